"""The one way an event reaches a WebSocket: :func:`publish`.

The engine collects typed events (``api.schemas.events``) in an :class:`Outbox` while its transaction is open
and publishes them after the commit, so a push never announces a row that could still roll back. The outbox's
methods say which socket an event is for, and the types say which events each socket may carry; the addressing
is turned into deliveries here and nowhere else. One process delivers them to its own sockets; with several
bridge processes (``REDIS_URL``) the batch is also published once on the hub's event bus
(``api.cluster.bus``), and every other process delivers the pushes whose sockets it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from api.cluster.bus import Delivery
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


def deliveries(outbox: Outbox) -> list[Delivery]:
    """The outbox's pushes as wire frames with their addresses, in order."""
    out = []
    for target, event in outbox.pushes:
        frame = event.model_dump(mode="json", by_alias=True)
        if isinstance(target, ToCustomer):
            out.append(Delivery("customer", target.conversation_id, frame))
        elif isinstance(target, ToAgent):
            out.append(Delivery("agent", str(target.agent_id), frame))
        else:
            out.append(Delivery("all_agents", "", frame))
    return out


async def publish(hub: Hub, outbox: Outbox) -> None:
    """Send each event, in order, to the sockets of its target: this process's at once, the other processes'
    through the bus (a dead socket is dropped, never fails this)."""
    pushes = deliveries(outbox)
    if not pushes:
        return
    await hub.deliver(pushes)
    if hub.bus is not None:
        await hub.bus.publish(pushes)
