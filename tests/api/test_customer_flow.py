"""Customer API v1: bot replies, handoff to a queued state, agent service, survey, return to a fresh bot
session, 留言 when nobody is online, masking, and errors."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Customer, ScriptedRasa, Staff


def texts(reply: dict) -> str:
    return "\n".join(m["text"] for m in reply["messages"])


def test_new_conversation_gets_a_welcome_and_a_token(client: TestClient) -> None:
    c = Customer(client)
    assert c.created["state"] == "bot" and c.created["messages"][0]["from"] == "bot"
    assert any(b["payload"] == "/human_handoff" for b in c.created["messages"][0]["buttons"])


def test_messages_go_to_the_bot_and_come_back_in_the_response(client: TestClient, rasa: ScriptedRasa) -> None:
    c = Customer(client)
    reply = c.say("你好")
    assert reply["state"] == "bot"
    assert [m["from"] for m in reply["messages"]] == ["customer", "bot"]
    assert reply["messages"][1]["text"] == "您说的是：你好"
    assert rasa.calls == [(f"{c.id}-1", "你好")]


def test_pii_is_masked_in_history_and_for_the_bot(client: TestClient, rasa: ScriptedRasa) -> None:
    c = Customer(client)
    reply = c.say("我的手机13812345678，卡号6212261202011234565")
    assert "13812345678" not in str(reply) and "138****5678" in reply["messages"][0]["text"]
    assert "13812345678" not in str(c.history())
    assert rasa.calls[-1][1] == "我的手机138****5678，卡号***************4565"  # only the last 4 digits


def test_a_button_click_shows_its_title(client: TestClient) -> None:
    c = Customer(client)
    reply = c.say(payload="/human_handoff")
    assert reply["messages"][0]["text"] == "转人工" and reply["messages"][0]["from"] == "customer"


def test_handoff_with_nobody_online_queues_and_offers_a_leave_message(client: TestClient) -> None:
    c = Customer(client, "cust-1")
    reply = c.say("转人工")
    assert reply["state"] == "queued" and reply["queue_position"] == 1 and reply["estimated_wait_s"] > 0
    assert "前面还有0位" in texts(reply) and "留言" in texts(reply)
    assert c.say("还在吗")["state"] == "queued"  # the bot stays silent while queued
    reply = c.say(payload="/leave_message")
    assert "回电" in texts(reply)
    reply = c.say("请回电13912345678，信用卡年费问题")
    assert reply["state"] == "bot" and "已收到您的留言" in texts(reply)
    agent = Staff(client, "agent")
    (left,) = agent.get("/api/v1/agent/leave-messages")
    assert left["callback_number"] == "139****5678" and "13912345678" not in left["text"]
    assert left["customer_id"] == "cust-1"
    agent.post(f"/api/v1/agent/leave-messages/{left['id']}/close")
    assert agent.get("/api/v1/agent/leave-messages") == []


def test_full_service_cycle_with_survey_and_fresh_bot_session(client: TestClient, rasa: ScriptedRasa) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    c = Customer(client)
    c.say("你好")
    reply = c.say("转人工")
    name = agent.get("/api/v1/agent/me")["public_name"]  # 工号 (the internal 坐席小王 is for colleagues)
    assert reply["state"] == "agent" and reply["agent_name"] == name and name != "坐席小王"
    assert f"客服 {name} 为您服务" in texts(c.history()) and "坐席小王" not in str(c.history())
    (conv,) = agent.get("/api/v1/agent/conversations")
    assert conv["id"] == c.id and conv["handoff_reason"] == "customer_request"
    detail = agent.get(f"/api/v1/agent/conversations/{c.id}")
    assert [m["text"] for m in detail["messages"] if m["from"] == "customer"] == ["你好", "转人工"]
    assert detail["handoff"]["intent"] == "human_handoff" and detail["handoff"]["confidence"] == 0.97
    calls = len(rasa.calls)
    reply = c.say("我的信用卡被冻结了")
    assert reply["state"] == "agent" and [m["from"] for m in reply["messages"]] == ["customer"]
    assert len(rasa.calls) == calls  # the bot stays silent while an agent owns the chat
    out = agent.post(f"/api/v1/agent/conversations/{c.id}/messages", {"text": "您好，我来帮您查一下"})
    assert out["from"] == "agent" and out["agent_name"] == name
    agent.post(f"/api/v1/agent/conversations/{c.id}/close", {"disposition": "resolved", "note": "已解冻"})
    after = c.history()
    assert after["state"] == "bot"
    nps_question = after["messages"][-1]
    assert "推荐" in nps_question["text"] and len(nps_question["buttons"]) == 11
    reply = c.say(payload='/survey_nps{"score":9}')
    assert reply["messages"][0]["text"] == "9" and "满意" in texts(reply)
    reply = c.say(payload='/survey_csat{"rating":"满意"}')
    assert "意见" in texts(reply)
    reply = c.say("服务很好，手机13812345678")
    assert "感谢您的评价" in texts(reply)
    c.say("你好")
    assert rasa.calls[-1] == (f"{c.id}-2", "你好")  # a new Rasa session: pre-handoff context is gone
    metrics = client.get("/metrics").text
    assert 'bridge_nps_responses_total{score="9"} 1' in metrics
    assert 'bridge_csat_responses_total{rating="满意"} 1' in metrics
    assert 'bridge_handoffs_total{reason="customer_request"} 1' in metrics
    assert "bridge_nps_score 100" in metrics and "bridge_queue_wait_seconds_count 1" in metrics


def test_bot_down_keeps_the_message_and_offers_a_human(client: TestClient, rasa: ScriptedRasa) -> None:
    c = Customer(client)
    rasa.down = True
    reply = c.say("查余额")
    assert reply["messages"][0]["text"] == "查余额"
    assert reply["messages"][1]["from"] == "system" and "转人工" in str(reply["messages"][1]["buttons"])
    assert "查余额" in texts(c.history())
    reply = c.say(payload="/human_handoff")  # handled by the bridge even with the bot down
    assert reply["state"] == "queued"


def test_customer_token_is_scoped_to_its_conversation(client: TestClient) -> None:
    a, b = Customer(client), Customer(client)
    r = client.post(f"/api/v1/conversations/{a.id}/messages", json={"text": "hi"}, headers=b.auth)
    assert r.status_code == 401
    assert client.get(f"/api/v1/conversations/{a.id}/messages").status_code == 401
    assert client.get("/api/v1/conversations/nope/messages", headers=a.auth).status_code == 404


def test_bad_bodies_get_clear_errors(client: TestClient) -> None:
    c = Customer(client)
    url = f"/api/v1/conversations/{c.id}/messages"
    for body in ({}, {"text": ""}, {"text": "   "}, {"text": "a", "payload": "b"}, {"text": "x" * 2001},
                 {"text": "hi", "extra": 1}):
        r = client.post(url, json=body, headers=c.auth)
        assert r.status_code == 422 and r.json()["detail"], body
    r = client.post(url, content=b"{not json", headers={**c.auth, "Content-Type": "application/json"})
    assert r.status_code == 422
    assert client.post("/api/v1/conversations", json={"channel": "fax"}).status_code == 422
