"""Quality review through the API: sampling a complaint-driven queue and a routine one, the automatic items on
the real transcripts, draft scores hidden until submitted, comments on messages, the agent's one appeal decided
by a supervisor other than the reviewer, the report; and every refusal (403 for the wrong role or person, 409
after submitting or a second appeal, 422 for unscored items)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import Customer, Staff

Q = "/api/v1/quality"


def served_and_rated(client: TestClient, agent: Staff, nps: int) -> Customer:
    """A customer served by ``agent`` (greeted, thanked), closed as a complaint, then rated ``nps``."""
    c = Customer(client)
    c.say("转人工")
    for text in ("您好，很高兴为您服务", "已为您处理，感谢您的耐心，再见"):
        agent.post(f"/api/v1/agent/conversations/{c.id}/messages", {"text": text})
    agent.post(f"/api/v1/agent/conversations/{c.id}/close", {"disposition": "complaint", "note": "客户投诉等待久"})
    c.say(payload=f'/survey_nps{{"score":{nps}}}')
    return c


def by_conversation(reviews: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["conversation_id"]: r for r in reviews}


def test_review_appeal_and_report(client: TestClient) -> None:
    agent, boss, reviewer = Staff(client, "agent"), Staff(client, "supervisor"), Staff(client, "reviewer")
    agent.patch_me(status="online")
    served = served_and_rated(client, agent, nps=3)
    fund = Customer(client)
    fund.say("基金怎么买")  # the scripted bot echoes it: a 基金 answer without 风险提示
    bill = Customer(client)
    bill.say("水电费怎么交")  # a KB answer
    Customer(client)  # never spoke: not a conversation to review

    for who in (agent, Staff(client, "trainer")):
        assert client.post(f"{Q}/sample", json={}, headers=who.auth).status_code == 403
    sampled = reviewer.post(f"{Q}/sample", {"routine_agent": 0, "routine_bot": 5})
    assert sampled["watched_agents"] == ["agent"]  # a complaint and a detractor today
    picked = by_conversation(sampled["added"])
    assert set(picked) == {served.id, fund.id, bill.id}
    assert picked[served.id]["reasons"] == ["dissatisfied", "agent_watch"]
    assert picked[served.id]["target"] == "agent" and picked[served.id]["agent"] == "agent"
    assert picked[fund.id]["reasons"] == ["routine_bot"] and picked[fund.id]["target"] == "bot"
    assert reviewer.post(f"{Q}/sample", {"routine_agent": 0, "routine_bot": 5})["added"] == []  # queued once
    assert [r["conversation_id"] for r in reviewer.get(f"{Q}/queue", reason="dissatisfied")] == [served.id]

    fund_review = reviewer.get(f"{Q}/reviews/{picked[fund.id]['id']}")
    items = {i["id"]: i for i in fund_review["items"]}
    (answer,) = [m for m in fund_review["messages"] if m["from"] == "bot" and "基金" in m["text"]]
    assert items["risk_reminder"]["score"] == 0 and items["risk_reminder"]["message_ids"] == [answer["id"]]
    assert "greeting" not in items and items["solved"]["automatic"] is False and items["solved"]["score"] is None

    review_id = picked[served.id]["id"]
    detail = reviewer.get(f"{Q}/reviews/{review_id}")
    auto = {i["id"]: i["score"] for i in detail["items"] if i["automatic"]}
    assert auto == {"greeting": 1, "closing": 1, "first_response": 1, "forbidden_phrases": 1, "risk_reminder": 1,
                    "no_return_promise": 1, "no_secret_echo": 1}
    assert detail["total"] is None and detail["status"] == "open"

    # the agent sees nothing before it is submitted
    assert agent.get(f"{Q}/mine") == []
    assert client.get(f"{Q}/reviews/{review_id}", headers=agent.auth).status_code == 403
    assert client.put(f"{Q}/reviews/{review_id}/scores", json={"scores": {"solved": 1}},
                      headers=agent.auth).status_code == 403  # an agent cannot review

    r = client.post(f"{Q}/reviews/{review_id}/submit", headers=reviewer.auth)
    assert r.status_code == 422 and "3 项未打分" in r.json()["detail"]
    for scores, problem in (({"greeting": 0}, "不能打分"), ({"solved": 2}, "0 到 1")):
        r = client.put(f"{Q}/reviews/{review_id}/scores", json={"scores": scores}, headers=reviewer.auth)
        assert r.status_code == 422 and problem in r.json()["detail"]
    reviewer_scores = {"scores": {"solved": 1, "attitude": 0.5, "wording": 1}, "needs_coaching": True,
                       "summary": "等待过久"}
    assert client.put(f"{Q}/reviews/{review_id}/scores", json=reviewer_scores, headers=reviewer.auth).status_code == 200
    r = client.put(f"{Q}/reviews/{review_id}/scores", json=reviewer_scores, headers=boss.auth)
    assert r.status_code == 409 and "质检员小陈" in r.json()["detail"]  # the first reviewer owns it

    agent_line = next(m for m in detail["messages"] if m["from"] == "agent")
    r = client.post(f"{Q}/reviews/{review_id}/comments", json={"message_id": answer["id"], "text": "x"},
                    headers=reviewer.auth)
    assert r.status_code == 404  # a message of another conversation
    r = client.post(f"{Q}/reviews/{review_id}/comments",
                    json={"message_id": agent_line["id"], "text": "x", "wrong_answer": True}, headers=reviewer.auth)
    assert r.status_code == 422 and "机器人" in r.json()["detail"]
    commented = reviewer.post(f"{Q}/reviews/{review_id}/comments",
                              {"message_id": agent_line["id"], "text": "问候规范 13812345678"}, status=201)
    assert commented["comments"][0]["text"] == "问候规范 138****5678"  # masked
    reviewer.post(f"{Q}/reviews/{picked[fund.id]['id']}/comments",
                  {"message_id": answer["id"], "text": "缺少风险提示", "wrong_answer": True}, status=201)

    submitted = reviewer.post(f"{Q}/reviews/{review_id}/submit")
    # weights: 7 automatic items met (5+5+10+15+15+15+15 = 80), solved 20·1, attitude 10·0.5, wording 5·1
    assert submitted["total"] == round(100 * (80 + 20 + 5 + 5) / 115, 1) == 95.7
    assert submitted["status"] == "submitted" and submitted["reviewer"] == "质检员小陈"
    r = client.put(f"{Q}/reviews/{review_id}/scores", json={"scores": {"solved": 0}}, headers=reviewer.auth)
    assert r.status_code == 409  # final

    (mine,) = agent.get(f"{Q}/mine")
    assert mine["id"] == review_id and mine["total"] == 95.7 and mine["needs_coaching"]
    assert agent.get(f"{Q}/reviews/{review_id}")["summary"] == "等待过久"
    r = client.post(f"{Q}/reviews/{review_id}/appeal", json={"reason": "x"}, headers=boss.auth)
    assert r.status_code == 403  # not the supervisor's review
    appealed = agent.post(f"{Q}/reviews/{review_id}/appeal", {"reason": "客户等待是因为系统故障"})
    assert appealed["status"] == "appealed"
    r = client.post(f"{Q}/reviews/{review_id}/appeal", json={"reason": "再申诉"}, headers=agent.auth)
    assert r.status_code == 409 and "只能申诉一次" in r.json()["detail"]

    decision = {"upheld": True, "comment": "系统故障属实"}
    assert client.post(f"{Q}/reviews/{review_id}/decision", json=decision,
                       headers=reviewer.auth).status_code == 403  # supervisors decide
    r = client.post(f"{Q}/reviews/{review_id}/decision", json=decision, headers=boss.auth)
    assert r.status_code == 422 and "调整后的总分" in r.json()["detail"]
    decided = boss.post(f"{Q}/reviews/{review_id}/decision", decision | {"total": 100})
    assert (decided["status"], decided["decision"], decided["total"], decided["submitted_total"]) == \
        ("decided", "upheld", 100, 95.7)
    r = client.post(f"{Q}/reviews/{review_id}/decision", json=decision | {"total": 90}, headers=boss.auth)
    assert r.status_code == 409

    report = reviewer.get(f"{Q}/report")
    assert [(a["agent"], a["reviews"], a["average"]) for a in report["by_agent"]] == [("agent", 1, 100.0)]
    assert report["most_failed"][0]["id"] == "attitude" and report["coaching"] == ["agent"]
    (wrong,) = report["wrong_answers"]
    assert wrong["conversation_id"] == fund.id and wrong["kb_entry"] is None and "基金" in wrong["text"]
    actions = {e["action"] for e in boss.get("/api/v1/supervisor/audit", limit=100)}
    assert {"quality_sample", "quality_score", "quality_submit", "quality_appeal", "quality_appeal_decided"} <= actions


def test_a_supervisor_never_reviews_a_chat_they_served_nor_decides_their_own_review(client: TestClient) -> None:
    boss, reviewer = Staff(client, "supervisor"), Staff(client, "reviewer")
    boss.patch_me(status="online")
    served = served_and_rated(client, boss, nps=10)
    (review,) = boss.post(f"{Q}/sample", {"routine_agent": 5, "routine_bot": 0})["added"]
    assert review["conversation_id"] == served.id and review["agent"] == "supervisor"
    r = client.put(f"{Q}/reviews/{review['id']}/scores", json={"scores": {"solved": 1}}, headers=boss.auth)
    assert r.status_code == 403 and "自己服务" in r.json()["detail"]
    r = client.put(f"{Q}/reviews/{review['id']}/scores", json={"scores": {"solved": 1, "attitude": 1, "wording": 1}},
                   headers=reviewer.auth)
    assert r.status_code == 200
    assert reviewer.post(f"{Q}/reviews/{review['id']}/submit")["total"] == 100.0
    boss.post(f"{Q}/reviews/{review['id']}/appeal", {"reason": "复核"})  # a supervisor is an agent here
    checklist = reviewer.get(f"{Q}/checklist")
    assert checklist["version"] and {"greeting", "solved"} <= {i["id"] for i in checklist["items"]}


def test_the_daily_sample_runs_once_a_day_and_a_rerun_adds_nothing(client: TestClient) -> None:
    import datetime as dt

    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online")
    served = served_and_rated(client, agent, nps=9)
    Customer(client).say("你好")
    reviews = client.app.state.quality  # type: ignore[attr-defined]
    tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    first = reviews.run_daily(tomorrow)  # samples today, yesterday as seen tomorrow
    assert first is not None and {r.target for r in first.added} == {"agent", "bot"}
    assert served.id in {r.conversation_id for r in first.added}
    assert reviews.run_daily(tomorrow) is None  # once a day
    reviews._last_daily = None  # a restart: the next tick runs it again
    again = reviews.run_daily(tomorrow)
    assert again is not None and again.added == []
    entries = boss.get("/api/v1/supervisor/audit", action="quality_sample")
    assert [(e["actor"], e["detail"]["added"]) for e in entries] == [("system", 2)]  # the empty rerun: no entry


def test_a_deletion_request_erases_the_comments_on_the_customers_messages(client: TestClient) -> None:
    boss, reviewer = Staff(client, "supervisor"), Staff(client, "reviewer")
    customer = Customer(client, customer_id="cust-42")
    customer.say("基金怎么买")
    (review,) = reviewer.post(f"{Q}/sample", {"routine_agent": 0, "routine_bot": 5})["added"]
    detail = reviewer.get(f"{Q}/reviews/{review['id']}")
    answer = next(m for m in detail["messages"] if m["from"] == "bot" and "基金" in m["text"])
    reviewer.post(f"{Q}/reviews/{review['id']}/comments", {"message_id": answer["id"], "text": "客户问基金申购"},
                  status=201)
    r = client.delete("/api/v1/supervisor/customers/cust-42", headers=boss.auth)
    assert r.status_code == 200, r.text
    after = reviewer.get(f"{Q}/reviews/{review['id']}")
    assert after["messages"] == [] and after["comments"] == []  # gone with the messages they were on
