"""The feedback loop through the API: every survey comment, 不满意, complaint and 留言 becomes a masked, routed
item; owners see only their team's queue and move items open -> assigned -> replied -> closed; a reply reaches
the customer in their conversation or as a 留言 callback note; agents, trainers and customers are refused."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.feedback.owner_queue import reply_message
from api.store.models import LeaveMessage
from tests.api.conftest import Customer, Staff
from tests.api.feedback.helpers import add_owner, served_and_closed

ITEMS = "/api/v1/feedback/items"


def comment_after_service(client: TestClient, agent: Staff, text: str, csat: str = "一般") -> Customer:
    c = Customer(client)
    served_and_closed(client, agent, c)
    c.say(payload='/survey_nps{"score":4}')
    c.say(payload=f'/survey_csat{{"rating":"{csat}"}}')
    c.say(text)
    return c


def test_items_are_routed_and_owners_see_only_their_team(client: TestClient) -> None:
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online")
    tech, fees = add_owner(client, "tech", "金融科技部"), add_owner(client, "fees", "运营管理部")
    c = comment_after_service(client, agent, "手机银行App闪退，打不开，电话13812345678")
    (item,) = tech.get(ITEMS)["items"]
    assert (item["category"], item["team"], item["source"], item["status"]) == ("系统/App故障", "金融科技部",
                                                                               "survey", "open")
    assert "13812345678" not in item["text"] and "138****5678" in item["text"]  # masked
    assert "推荐意愿 4 分" in item["text"] and item["conversation_id"] == c.id and item["score"] == 4
    assert set(item["keywords"]) >= {"闪退", "打不开"}
    assert fees.get(ITEMS) == {"team": "运营管理部", "items": []}
    assert fees.client.get(f"{ITEMS}/{item['id']}", headers=fees.auth).status_code == 404  # not their team
    assert fees.client.post(f"{ITEMS}/{item['id']}/reply", headers=fees.auth,
                            json={"text": "x"}).status_code == 404
    listed = boss.get(ITEMS)
    assert listed["team"] is None and [i["id"] for i in listed["items"]] == [item["id"]]
    assert boss.get(ITEMS, team="运营管理部")["items"] == []


def test_refused_roles(client: TestClient) -> None:
    agent, trainer = Staff(client, "agent"), Staff(client, "trainer")
    c = Customer(client)
    for who in (agent, trainer):
        for path in (ITEMS, "/api/v1/feedback/stats", "/api/v1/campaigns"):
            r = client.get(path, headers=who.auth)
            assert r.status_code == 403 and "无权限" in r.json()["detail"], (who.role, path)
    assert client.post("/api/v1/campaigns", headers=agent.auth, json={}).status_code == 403
    # a customer's conversation token is no staff login; no token at all neither
    assert client.get(ITEMS, headers=c.auth).status_code == 401
    assert client.get(ITEMS).status_code == 401
    no_team = add_owner(client, "drifter", None)
    r = client.get(ITEMS, headers=no_team.auth)
    assert r.status_code == 403 and "团队" in r.json()["detail"]
    owner = add_owner(client, "tech", "金融科技部")
    assert client.get("/api/v1/campaigns", headers=owner.auth).status_code == 403  # campaigns: supervisors


def test_lifecycle_reply_to_the_conversation_and_close(client: TestClient) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    tech = add_owner(client, "tech", "金融科技部")
    add_owner(client, "tech2", "金融科技部")
    add_owner(client, "fees", "运营管理部")
    c = comment_after_service(client, agent, "App登录不了，一直报错")
    (item,) = tech.get(ITEMS)["items"]
    path = f"{ITEMS}/{item['id']}"
    r = client.post(f"{path}/close", headers=tech.auth)
    assert r.status_code == 409 and "请先答复" in r.json()["detail"]
    assigned = tech.post(f"{path}/assign", {"assignee": "tech2"})
    assert assigned["status"] == "assigned" and assigned["assignee"] == "处理人tech2"
    r = client.post(f"{path}/assign", headers=tech.auth, json={"assignee": "fees"})
    assert r.status_code == 422  # not an owner of this team
    r = client.post(f"{path}/assign", headers=tech.auth, json={"team": "运营管理部"})
    assert r.status_code == 403  # only supervisors route to another team
    replied = tech.post(f"{path}/reply", {"text": "已修复登录问题，请升级到最新版本", "via": "message"})
    assert replied["status"] == "replied" and replied["first_reply_at"]
    assert [r["channel"] for r in replied["replies"]] == ["message"]
    assert c.history()["messages"][-1]["text"] == reply_message("金融科技部", "已修复登录问题，请升级到最新版本")
    closed = tech.post(f"{path}/close")
    assert closed["status"] == "closed" and closed["closed_at"] and not closed["overdue"]
    r = client.post(f"{path}/reply", headers=tech.auth, json={"text": "再说一句"})
    assert r.status_code == 409 and "已关闭" in r.json()["detail"]
    assert tech.get(ITEMS, status="closed")["items"][0]["id"] == item["id"]
    stats = tech.get("/api/v1/feedback/stats")
    assert stats["team"] == "金融科技部" and stats["total"] == 1 and stats["by_status"]["closed"] == 1
    assert stats["first_reply"]["count"] == 1 and stats["close"]["count"] == 1
    assert {t["keyword"] for t in stats["themes"]} >= {"登录不了", "报错"}
    later = tech.get("/api/v1/feedback/stats", since="2099-01-01", until="2099-01-31")
    assert (later["since"], later["until"], later["total"]) == ("2099-01-01", "2099-01-31", 0)


def test_leave_messages_complaints_and_unhappy_answers_become_items(client: TestClient) -> None:
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online")
    c = Customer(client)
    r = client.post(f"/api/v1/conversations/{c.id}/leave-message", headers=c.auth,
                    json={"callback_number": "13912345678", "preferred_time": "尽快", "text": "信用卡年费被多扣了"})
    assert r.status_code == 200, r.text
    complainer = Customer(client)
    served_and_closed(client, agent, complainer, "complaint", "客户投诉坐席态度不耐烦")
    unhappy = Customer(client)
    served_and_closed(client, agent, unhappy)
    unhappy.say(payload='/survey_nps{"score":2}')
    unhappy.say(payload='/survey_csat{"rating":"不满意"}')
    items = {i["source"]: i for i in boss.get(ITEMS)["items"]}
    assert (items["leave_message"]["category"], items["leave_message"]["team"]) == ("费用", "运营管理部")
    assert (items["complaint"]["category"], items["complaint"]["team"]) == ("服务态度", "客服中心")
    assert "不满意" in items["survey"]["text"] and items["survey"]["category"] == "其他"
    # the 不满意 answer's item is updated by the comment that follows (still one item)
    unhappy.say("支行柜台只开了一个窗口")
    survey_items = [i for i in boss.get(ITEMS)["items"] if i["source"] == "survey"]
    assert len(survey_items) == 1 and survey_items[0]["category"] == "网点"

    # a reply as a 留言 callback note: a callback task with the number the customer left
    fee = items["leave_message"]
    boss.post(f"{ITEMS}/{fee['id']}/reply", {"text": "已为您退回多扣的年费", "via": "callback_note"})
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        notes = [m for m in db.query(LeaveMessage).all() if m.text.startswith("【意见答复")]
    assert len(notes) == 1 and notes[0].callback_number == "139****5678" and notes[0].callback_number_enc
    assert any("已为您退回" in m["text"] for m in agent.get("/api/v1/agent/leave-messages"))
    # no number on file: refused with the reason, nothing changes
    r = client.post(f"{ITEMS}/{items['complaint']['id']}/reply", headers=boss.auth,
                    json={"text": "已批评教育", "via": "callback_note"})
    assert r.status_code == 422 and "回电号码" in r.json()["detail"]
    assert boss.get(f"{ITEMS}/{items['complaint']['id']}")["status"] == "open"
    # a supervisor routes an item to another team
    moved = boss.post(f"{ITEMS}/{items['complaint']['id']}/assign", {"team": "零售业务部"})
    assert moved["team"] == "零售业务部" and moved["status"] == "open"


def test_overdue_items_come_first(client: TestClient) -> None:
    import datetime as dt

    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    tech = add_owner(client, "tech", "金融科技部")
    comment_after_service(client, agent, "App闪退")
    chat = client.app.state.chat  # type: ignore[attr-defined]
    start = chat.now()
    chat.now = lambda: start + dt.timedelta(hours=23)
    comment_after_service(client, agent, "App白屏")
    chat.now = lambda: start + dt.timedelta(hours=25)  # the first is past its 24 h SLA, the second is not
    items = tech.get(ITEMS)["items"]
    assert [i["text"].endswith("App闪退") for i in items] == [True, False]
    assert [i["overdue"] for i in items] == [True, False]
    assert [i["id"] for i in tech.get(ITEMS, overdue=True)["items"]] == [items[0]["id"]]
    assert tech.get("/api/v1/feedback/stats")["overdue_ids"] == [items[0]["id"]]


def test_supervisor_sets_an_owner_team_and_config_is_readable(client: TestClient) -> None:
    boss = Staff(client, "supervisor")
    owner = add_owner(client, "newbie", None)
    r = client.put("/api/v1/feedback/owners/newbie/team", headers=boss.auth, json={"team": "渠道管理部"})
    assert r.status_code == 200 and r.json()["team"] == "渠道管理部"
    assert owner.get(ITEMS)["team"] == "渠道管理部"
    r = client.put("/api/v1/feedback/owners/newbie/team", headers=boss.auth, json={"team": "火星部"})
    assert r.status_code == 422
    r = client.put("/api/v1/feedback/owners/agent/team", headers=boss.auth, json={"team": "渠道管理部"})
    assert r.status_code == 422
    config = owner.get("/api/v1/feedback/config")
    assert [c["name"] for c in config["categories"]][-1] == "其他" and "金融科技部" in config["teams"]


def test_a_deletion_request_erases_the_customers_opinions_and_replies(client: TestClient) -> None:
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online")
    mine, theirs = Customer(client, customer_id="cust-42"), Customer(client, customer_id="cust-7")
    for c, text in ((mine, "App闪退了三次"), (theirs, "App白屏")):
        served_and_closed(client, agent, c)
        c.say(payload='/survey_nps{"score":2}')
        c.say(payload='/survey_csat{"rating":"一般"}')
        c.say(text)
    items = {i["conversation_id"]: i for i in boss.get(ITEMS)["items"]}
    boss.post(f"{ITEMS}/{items[mine.id]['id']}/reply", {"text": "已修复闪退", "via": "none"})
    r = client.delete("/api/v1/supervisor/customers/cust-42", headers=boss.auth)
    assert r.status_code == 200, r.text
    erased = boss.get(f"{ITEMS}/{items[mine.id]['id']}")
    assert erased["text"] == "" and erased["keywords"] == [] and [x["text"] for x in erased["replies"]] == [""]
    assert boss.get(f"{ITEMS}/{items[theirs.id]['id']}")["text"].endswith("App白屏")  # another customer's stays


def test_development_mode_has_a_demo_owner_of_the_default_team(client: TestClient) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    owner = Staff(client, "owner")  # the demo password, like the other demo accounts
    assert owner.role == "owner" and owner.get(ITEMS) == {"team": "客服中心", "items": []}
    complainer = Customer(client)
    served_and_closed(client, agent, complainer, "complaint", "客户投诉坐席态度冷漠")
    (item,) = owner.get(ITEMS)["items"]
    assert item["source"] == "complaint" and item["conversation_id"] == complainer.id
