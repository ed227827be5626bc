"""Issue 12, findings 6 and 7. Closing a chat needs the agent's 服务小结 (disposition and note; the console
asks for confirmation first), stored for the reports. A supervisor has an audit screen with filters, listens
in on any live chat, whispers to its agent (never seen by the customer) and takes it over; waits of 20 minutes
and more are flagged; each skill group is one queue with its own positions, listed group by group; and an
agent's capacity is never lowered below the chats they serve."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import Customer, ScriptedRasa, Staff
from tests.api.conversation.recording import events_of, record_agent_events


def close(client: TestClient, staff: Staff, conv_id: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(f"/api/v1/agent/conversations/{conv_id}/close", json=body or {}, headers=staff.auth)


def test_closing_needs_a_wrap_up_which_the_reports_count(client: TestClient) -> None:
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online")
    c = Customer(client)
    c.say("转人工")
    r = close(client, agent, c.id)
    assert r.status_code == 422 and "服务小结" in r.json()["detail"]
    r = close(client, agent, c.id, {"disposition": "maybe"})
    assert r.status_code == 422 and "取值无效" in r.json()["detail"]
    assert agent.get("/api/v1/agent/conversations")[0]["id"] == c.id  # nothing happened
    r = close(client, agent, c.id, {"disposition": "callback", "note": "客户要求明天回电 13812345678"})
    assert r.status_code == 200 and "推荐" in c.history()["messages"][-1]["text"]  # the survey
    report = boss.get("/api/v1/supervisor/wrapups")
    assert report["counts"] == {"callback": 1}
    (wrap,) = report["recent"]
    assert wrap["agent"] == "agent" and wrap["note"] == "客户要求明天回电 138****5678"
    assert 'bridge_wrapups_total{disposition="callback"} 1' in client.get("/metrics").text
    (entry,) = boss.get("/api/v1/supervisor/audit", action="close_conversation")
    assert entry["detail"]["disposition"] == "callback"


def test_audit_filters(client: TestClient) -> None:
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online")
    boss.patch_me(capacity=4)
    assert {e["actor"] for e in boss.get("/api/v1/supervisor/audit", actor="agen")} == {"agent"}
    assert {e["action"] for e in boss.get("/api/v1/supervisor/audit", action="agent_settings")} == {"agent_settings"}
    assert {e["target"] for e in boss.get("/api/v1/supervisor/audit", target="superv")} == {"supervisor"}
    today = dt.datetime.now(dt.timezone.utc).date()
    assert len(boss.get("/api/v1/supervisor/audit", since=str(today), action="agent_settings")) == 2
    assert boss.get("/api/v1/supervisor/audit", until=str(today - dt.timedelta(days=1))) == []
    r = client.get("/api/v1/supervisor/audit", params={"since": "昨天"}, headers=boss.auth)
    assert r.status_code == 422 and "日期格式" in r.json()["detail"]


def test_listen_in_whisper_and_take_over(client: TestClient) -> None:
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online")
    c = Customer(client)
    c.say("转人工")
    c.say("我的卡被冻结了")
    live = boss.get(f"/api/v1/agent/conversations/{c.id}")  # listen-in: the supervisor reads any live chat
    assert "我的卡被冻结了" in str(live["messages"])
    sent = record_agent_events(client)
    note = boss.post(f"/api/v1/supervisor/conversations/{c.id}/whisper", {"text": "先核实身份再解冻"})
    assert note["from"] == "whisper"
    (event,) = events_of(sent, "message")  # to the serving agent only
    assert event["message"]["text"] == "先核实身份再解冻" and event["message"]["from"] == "whisper"
    assert "先核实身份" in str(agent.get(f"/api/v1/agent/conversations/{c.id}")["messages"])
    assert "先核实身份" not in str(c.history())  # never the customer's
    r = client.post(f"/api/v1/supervisor/conversations/{c.id}/whisper", json={"text": "x"}, headers=agent.auth)
    assert r.status_code == 403
    taken = boss.post(f"/api/v1/supervisor/conversations/{c.id}/takeover")
    assert taken["agent"] == "supervisor"
    assert agent.get("/api/v1/agent/conversations") == []
    assert [x["id"] for x in boss.get("/api/v1/agent/conversations")] == [c.id]
    name = boss.get("/api/v1/agent/me")["public_name"]
    assert c.history()["agent_name"] == name and f"客服 {name} 为您服务" in str(c.history())
    r = client.post(f"/api/v1/supervisor/conversations/{c.id}/takeover", headers=boss.auth)
    assert r.status_code == 409 and "已在接待" in r.json()["detail"]
    (entry,) = boss.get("/api/v1/supervisor/audit", action="take_over")
    assert entry["target"] == c.id


def test_capacity_is_never_lowered_below_the_load(client: TestClient) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online", capacity=3)
    for _ in range(3):
        Customer(client).say("转人工")
    r = client.patch("/api/v1/agent/me", json={"capacity": 1}, headers=agent.auth)
    assert r.status_code == 409 and "接待上限不能低于 3" in r.json()["detail"]
    me = agent.get("/api/v1/agent/me")
    assert (me["load"], me["capacity"], me["over_capacity"]) == (3, 3, False)
    r = client.patch("/api/v1/agent/me", json={"capacity": 0}, headers=agent.auth)
    assert r.status_code == 422 and "接待上限：不能小于 1" in r.json()["detail"]


def test_long_waits_and_one_queue_per_skill_group(tmp_path: Path, rasa: ScriptedRasa) -> None:
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass", long_wait_s=1200,
                        queue_abandon_s=7200)
    app = create_app(settings, rasa)  # type: ignore[arg-type]
    service = app.state.chat
    clock = [dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)]
    service.now = lambda: clock[0]
    with TestClient(app) as client:
        first = Customer(client)
        first.say("转人工")
        card = Customer(client)
        card.say("信用卡逾期了转人工")
        clock[0] += dt.timedelta(minutes=21)
        last = Customer(client)
        last.say("转人工")
        queue = Staff(client, "supervisor").get("/api/v1/supervisor/overview")["queue"]
    assert [(q["conversation_id"], q["skill_group"], q["position"], q["long_wait"]) for q in queue] == [
        (card.id, "信用卡", 1, True), (first.id, "通用", 1, True), (last.id, "通用", 2, False)]
