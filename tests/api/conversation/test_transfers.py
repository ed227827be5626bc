"""Issue 12, finding 4: transfers respect skill and capacity. A chat transferred to a skill group never comes
back to the agent who sent it, nobody on duty with the skill is a clear Chinese refusal (the chat stays where
it is), the chat leaves the sender's list at once (an ``unassigned`` event), and a named colleague who is
offline, full or unknown is refused in Chinese."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from api.conversation.routing import AgentSlot, Waiting, dispatch
from tests.api.conftest import Customer, Staff
from tests.api.conversation.recording import events_of, record_agent_events

T0 = dt.datetime(2026, 12, 1, 9, 0)


def test_a_transferred_chat_never_goes_back_to_its_sender() -> None:
    sender = AgentSlot(1, ("通用",), 3, 0, True)
    other = AgentSlot(2, ("通用",), 3, 2, True)
    moved = Waiting("c", "理财", T0, exclude_agent=1)  # nobody has 理财: 通用 agents — but not the sender
    assert dispatch([moved], [sender, other]) == [("c", 2)]
    assert dispatch([moved], [sender]) == []
    assert dispatch([Waiting("c", "理财", T0)], [sender]) == [("c", 1)]  # an ordinary handoff may go to them


def transfer(client: TestClient, staff: Staff, conv_id: str, **body: Any) -> tuple[int, dict[str, Any]]:
    r = client.post(f"/api/v1/agent/conversations/{conv_id}/transfer", json=body, headers=staff.auth)
    return r.status_code, r.json()


def test_a_skill_group_nobody_on_duty_has_is_refused_in_chinese_and_the_chat_stays(client: TestClient) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online", skills=["通用"])
    c = Customer(client)
    c.say("转人工")
    status, body = transfer(client, agent, c.id, skill_group="理财")
    assert status == 409 and "理财技能组当前没有其他在线坐席" in body["detail"]
    assert [x["id"] for x in agent.get("/api/v1/agent/conversations")] == [c.id]


def test_a_skill_group_transfer_reaches_the_skilled_agent_and_leaves_the_sender_at_once(client: TestClient) -> None:
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online", skills=["通用", "理财"], capacity=5)
    boss.patch_me(status="online", skills=["理财"], capacity=1)
    filler = Customer(client)
    filler.say("转人工")  # 通用: the agent's
    c = Customer(client)
    c.say("转人工")
    assert {x["id"] for x in agent.get("/api/v1/agent/conversations")} == {filler.id, c.id}
    sent = record_agent_events(client)
    status, summary = transfer(client, agent, c.id, skill_group="理财")
    assert status == 200
    assert events_of(sent, "unassigned") == [{"type": "unassigned", "conversation_id": c.id}]
    sender = {user_id for user_id, e in sent if e["type"] == "unassigned"}
    receiver = {user_id for user_id, e in sent if e["type"] == "assigned"}
    assert len(sender) == len(receiver) == 1 and sender != receiver  # out of the sender's list, into the boss's
    assert [x["id"] for x in boss.get("/api/v1/agent/conversations")] == [c.id]
    assert [x["id"] for x in agent.get("/api/v1/agent/conversations")] == [filler.id]
    assert "理财专席" in str(c.history())


def test_a_full_skill_group_queues_the_chat_without_giving_it_back(client: TestClient) -> None:
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online", skills=["通用"], capacity=5)
    boss.patch_me(status="online", skills=["理财"], capacity=1)
    busy = Customer(client)
    busy.say("转人工")
    transfer(client, agent, busy.id, skill_group="理财")  # the boss is now full
    c = Customer(client)
    c.say("转人工")
    status, summary = transfer(client, agent, c.id, skill_group="理财")
    assert status == 200 and summary["state"] == "queued" and summary["agent"] is None
    assert agent.get("/api/v1/agent/conversations") == []  # free, 通用, yet it does not come back
    boss.post(f"/api/v1/agent/conversations/{busy.id}/close", {"disposition": "resolved"})
    assert [x["id"] for x in boss.get("/api/v1/agent/conversations")] == [c.id]


def test_named_transfers_are_refused_in_chinese(client: TestClient) -> None:
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online")
    c = Customer(client)
    c.say("转人工")
    status, body = transfer(client, agent, c.id, agent="supervisor")
    assert status == 409 and "离线" in body["detail"] and "无法转接" in body["detail"]
    boss.patch_me(status="online", capacity=1)
    other = Customer(client)
    other.say("转人工")
    transfer(client, agent, other.id, agent="supervisor")
    status, body = transfer(client, agent, c.id, agent="supervisor")
    assert status == 409 and "接待已满（1/1）" in body["detail"]
    status, body = transfer(client, agent, c.id, agent="nobody")
    assert status == 404 and "没有用户名为 nobody 的坐席" in body["detail"]
    status, body = transfer(client, agent, c.id, agent="agent")
    assert status == 422 and "不能转接给自己" in body["detail"]
    status, body = transfer(client, agent, c.id, skill_group="外汇")
    assert status == 422 and "未知的技能组" in body["detail"]
    status, body = transfer(client, agent, c.id)
    assert status == 422 and "二选一" in body["detail"]
    assert [x["id"] for x in agent.get("/api/v1/agent/conversations")] == [c.id]
