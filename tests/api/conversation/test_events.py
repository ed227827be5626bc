"""WebSocket events: each model's wire format (what the widget and the console parse) and publish() sending
each event, in order, to the sockets of its target."""

from __future__ import annotations

import asyncio
from typing import Any

from api.conversation.events import Outbox, publish
from api.conversation.hub import Hub
from api.schemas.customer import MessageOut
from api.schemas.events import (
    AgentTyping,
    Assigned,
    ConversationMessage,
    CustomerLeft,
    CustomerPresence,
    CustomerTyping,
    LeaveMessageLeft,
    NewMessage,
    QueueLength,
    QueuePosition,
    StateChanged,
    Unassigned,
)
from api.schemas.staff import ConversationSummary

MESSAGE = {"id": 7, "from": "agent", "text": "您好", "buttons": [{"title": "留言", "payload": "/leave_message"}],
           "created_at": "2026-12-01T08:00:00+00:00", "agent_name": "工号1001", "buttons_expired": False}
SUMMARY = {"id": "c1", "state": "agent", "customer_id": None, "skill_group": "通用",
           "handoff_reason": "customer_request", "agent": "agent", "queued_at": "2026-12-01T07:59:00+00:00",
           "assigned_at": "2026-12-01T08:00:00+00:00", "last_message": MESSAGE, "customer_online": True,
           "customer_left": False}


def wire(event: Any) -> dict[str, Any]:
    return dict(event.model_dump(mode="json", by_alias=True))


def test_each_event_has_its_wire_format() -> None:
    message = MessageOut.model_validate(MESSAGE)
    assert wire(NewMessage(message=message)) == {"type": "message", "message": MESSAGE}
    assert wire(AgentTyping()) == {"type": "typing", "from": "agent"}
    assert wire(StateChanged(state="bot", agent_name=None)) == {"type": "state", "state": "bot", "agent_name": None}
    assert wire(QueuePosition(position=2, estimated_wait_s=180)) == {"type": "queue", "position": 2,
                                                                     "estimated_wait_s": 180}
    assert wire(Assigned(conversation=ConversationSummary.model_validate(SUMMARY))) == {"type": "assigned",
                                                                                         "conversation": SUMMARY}
    assert wire(Unassigned(conversation_id="c1")) == {"type": "unassigned", "conversation_id": "c1"}
    assert wire(ConversationMessage(conversation_id="c1", message=message)) == {
        "type": "message", "conversation_id": "c1", "message": MESSAGE}
    assert wire(CustomerTyping(conversation_id="c1")) == {"type": "typing", "conversation_id": "c1",
                                                          "from": "customer"}
    assert wire(QueueLength(length=3)) == {"type": "queue", "length": 3}
    assert wire(LeaveMessageLeft()) == {"type": "leave_message"}
    assert wire(CustomerLeft(conversation_id="c1")) == {"type": "customer_left", "conversation_id": "c1"}
    assert wire(CustomerPresence(conversation_id="c1", online=False)) == {"type": "presence", "conversation_id": "c1",
                                                                          "online": False}


class RecordingHub(Hub):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, Any, dict[str, Any]]] = []

    async def to_customer(self, conversation_id: str, event: dict[str, Any]) -> None:
        self.sent.append(("customer", conversation_id, event))

    async def to_agent(self, user_id: int, event: dict[str, Any]) -> None:
        self.sent.append(("agent", user_id, event))

    async def to_all_agents(self, event: dict[str, Any]) -> None:
        self.sent.append(("all_agents", None, event))


def test_publish_sends_each_event_in_order_to_its_target() -> None:
    out = Outbox()
    out.to_customer("c1", StateChanged(state="queued", agent_name=None))
    out.to_agent(3, Unassigned(conversation_id="c1"))
    out.to_all_agents(QueueLength(length=1))
    out.to_customer("c2", AgentTyping())
    hub = RecordingHub()
    asyncio.run(publish(hub, out))
    assert hub.sent == [("customer", "c1", {"type": "state", "state": "queued", "agent_name": None}),
                        ("agent", 3, {"type": "unassigned", "conversation_id": "c1"}),
                        ("all_agents", None, {"type": "queue", "length": 1}),
                        ("customer", "c2", {"type": "typing", "from": "agent"})]
