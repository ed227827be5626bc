"""The one way an event reaches a WebSocket: :func:`publish`.

The engine collects typed events (``api.schemas.events``) in an :class:`Outbox` while its transaction is open
and publishes them after the commit, so a push never announces a row that could still roll back. The outbox's
methods say which socket an event is for, and the types say which events each socket may carry; the addressing
is dispatched to the hub here and nowhere else (a second bridge process, e.g. over Redis, plugs in here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from api.conversation.hub import Hub
from api.schemas.events import AgentEventModel, CustomerEventModel


@dataclass(frozen=True)
class ToCustomer:
    conversation_id: str


@dataclass(frozen=True)
class ToAgent:
    agent_id: int


@dataclass(frozen=True)
class ToAllAgents:
    pass


Target = Union[ToCustomer, ToAgent, ToAllAgents]
Push = tuple[Target, Union[CustomerEventModel, AgentEventModel]]


@dataclass
class Outbox:
    pushes: list[Push] = field(default_factory=list)

    def to_customer(self, conversation_id: str, event: CustomerEventModel) -> None:
        self.pushes.append((ToCustomer(conversation_id), event))

    def to_agent(self, agent_id: int, event: AgentEventModel) -> None:
        self.pushes.append((ToAgent(agent_id), event))

    def to_all_agents(self, event: AgentEventModel) -> None:
        self.pushes.append((ToAllAgents(), event))


async def publish(hub: Hub, outbox: Outbox) -> None:
    """Send each event, in order, to the sockets of its target (a dead socket is dropped, never fails this)."""
    for target, event in outbox.pushes:
        frame = event.model_dump(mode="json", by_alias=True)
        if isinstance(target, ToCustomer):
            await hub.to_customer(target.conversation_id, frame)
        elif isinstance(target, ToAgent):
            await hub.to_agent(target.agent_id, frame)
        else:
            await hub.to_all_agents(frame)
