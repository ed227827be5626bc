"""Issue 12, finding 2: agents learn that a customer left. Ending the chat (the widget asks first) tells the
agent at once, their replies are refused instead of going nowhere, and the wrap-up closes it without a survey;
a queued customer who ends the chat, or goes silent past the grace period, leaves the queue (recorded as
abandoned) and is never assigned; one who comes back within it resumes their place; the socket is the
presence dot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.conversation.presence import PresenceRules, presence
from api.settings import Settings
from api.store.models import Handoff
from tests.api.conftest import Customer, ScriptedRasa, Staff
from tests.api.conversation.recording import events_of, eventually, record_agent_events

T0 = dt.datetime(2026, 12, 1, 9, 0)
RULES = PresenceRules(away_s=30, abandon_s=120)


def customer_socket(client: TestClient, c: Customer) -> Any:
    return client.websocket_connect(f"/api/v1/conversations/{c.id}/ws", subprotocols=["bankcs.v1", f"bearer.{c.token}"])


@pytest.mark.parametrize("connected, silent_s, expected", [
    (True, 10_000, "online"),  # a socket is open: there, however long the silence
    (False, 0, "online"), (False, 29.9, "online"),  # heard from just now (a client that asks over HTTP)
    (False, 30, "away"), (False, 119, "away"),  # keeps the place, not assigned
    (False, 120, "gone"), (False, 3600, "gone"),  # leaves the queue
])
def test_presence_oracle(connected: bool, silent_s: float, expected: str) -> None:
    assert presence(connected, T0 - dt.timedelta(seconds=silent_s), T0, RULES) == expected


def test_never_heard_from_counts_as_now() -> None:
    assert presence(False, None, T0, RULES) == "online"  # rows from before the column are not abandoned


def test_ending_a_chat_with_an_agent_tells_the_agent_at_once(client: TestClient) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    c = Customer(client)
    sent = record_agent_events(client)
    c.say("转人工")
    assert events_of(sent, "assigned")[0]["conversation"]["id"] == c.id
    ended = client.post(f"/api/v1/conversations/{c.id}/end", headers=c.auth)
    assert ended.status_code == 200 and ended.json()["state"] == "closed"
    assert events_of(sent, "customer_left") == [{"type": "customer_left", "conversation_id": c.id}]
    assert "客户已结束会话" in events_of(sent, "message")[-1]["message"]["text"]
    (mine,) = agent.get("/api/v1/agent/conversations")
    assert mine["id"] == c.id and mine["customer_left"] is True  # stays until the agent wraps up
    r = client.post(f"/api/v1/agent/conversations/{c.id}/messages", json={"text": "还在吗"}, headers=agent.auth)
    assert r.status_code == 409 and "客户已离开" in r.json()["detail"]  # never silently lost
    r = client.post(f"/api/v1/conversations/{c.id}/messages", json={"text": "hi"}, headers=c.auth)
    assert r.status_code == 409 and "已结束" in r.json()["detail"]
    agent.post(f"/api/v1/agent/conversations/{c.id}/close", {"disposition": "resolved", "note": "客户自行离开"})
    assert agent.get("/api/v1/agent/conversations") == []
    assert not any("推荐" in m["text"] for m in c.history()["messages"])  # nobody there for a survey
    assert agent.get("/api/v1/agent/me")["load"] == 0


def test_a_queued_customer_who_ends_the_chat_leaves_the_queue_and_is_never_assigned(client: TestClient) -> None:
    gone, live = Customer(client), Customer(client)
    gone.say("转人工")
    live.say("转人工")
    assert client.post(f"/api/v1/conversations/{gone.id}/end", headers=gone.auth).json()["state"] == "closed"
    agent = Staff(client, "agent")
    agent.patch_me(status="online", capacity=1)
    assert [c["id"] for c in agent.get("/api/v1/agent/conversations")] == [live.id]
    boss = Staff(client, "supervisor")
    assert [q["conversation_id"] for q in boss.get("/api/v1/supervisor/overview")["queue"]] == []
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        outcomes = {h.conversation_id: h.outcome for h in db.scalars(select(Handoff))}
    assert outcomes[gone.id] == "abandoned"


def test_the_presence_dot_follows_the_customer_socket(client: TestClient) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    c = Customer(client)
    c.say("转人工")
    sent = record_agent_events(client)
    with customer_socket(client, c):
        assert eventually(lambda: len(events_of(sent, "presence")) == 1)
        assert events_of(sent, "presence") == [{"type": "presence", "conversation_id": c.id, "online": True}]
        assert agent.get("/api/v1/agent/conversations")[0]["customer_online"] is True
    assert eventually(lambda: len(events_of(sent, "presence")) == 2)
    assert events_of(sent, "presence")[1] == {"type": "presence", "conversation_id": c.id, "online": False}
    assert agent.get("/api/v1/agent/conversations")[0]["customer_online"] is False


def test_silent_queued_customers_keep_their_place_then_leave_and_a_returning_one_resumes(tmp_path: Path,
                                                                                          rasa: ScriptedRasa) -> None:
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass", customer_away_s=30,
                        queue_abandon_s=120)
    app = create_app(settings, rasa)  # type: ignore[arg-type]
    service = app.state.chat
    clock = [dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)]
    service.now = lambda: clock[0]
    with TestClient(app) as client:
        assert client.portal is not None
        agent = Staff(client, "agent")
        agent.patch_me(status="online", capacity=1)
        busy = Customer(client)
        busy.say("转人工")  # takes the only seat
        first, returning, silent = Customer(client), Customer(client), Customer(client)
        for c in (first, returning, silent):
            c.say("转人工")
        clock[0] += dt.timedelta(seconds=45)  # all three away now: none may be assigned
        agent.post(f"/api/v1/agent/conversations/{busy.id}/close", {"disposition": "resolved"})
        assert agent.get("/api/v1/agent/conversations") == []
        returning.history()  # back (a request): resumes its place and takes the free seat
        client.portal.call(service.tick)
        assert [c["id"] for c in agent.get("/api/v1/agent/conversations")] == [returning.id]
        clock[0] += dt.timedelta(seconds=100)  # first and silent have been silent 145 s
        client.portal.call(service.tick)
        for c in (first, silent):
            after = c.history()
            assert after["state"] == "bot" and "退出人工排队" in after["messages"][-1]["text"]
        overview = Staff(client, "supervisor").get("/api/v1/supervisor/overview")
        assert overview["queue"] == []
        metrics = client.get("/metrics").text
        assert 'bridge_handoff_outcomes_total{outcome="abandoned"} 2' in metrics
