"""Every WebSocket push, as a typed model: one JSON object per frame, told apart by ``type``.

The customer's socket (``/api/v1/conversations/{id}/ws``) carries :data:`CustomerEvent`, an agent's console
(``/api/v1/agent/ws``) :data:`AgentEvent`. The engine builds these models and hands them to
``api.conversation.events.publish``, the one place they reach a socket; ``api.app`` adds both unions to
``/openapi.json`` (OpenAPI has no WebSockets), and a test checks that every model here is listed there.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from api.schemas.customer import MessageOut, State
from api.schemas.staff import ConversationSummary


# ---------------------------------------------------------------------------------- to the customer's widget
class NewMessage(BaseModel):
    """A message the customer did not get in an HTTP reply: agent replies, system notices, the survey."""

    type: Literal["message"] = "message"
    message: MessageOut


class AgentTyping(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    type: Literal["typing"] = "typing"
    from_: Literal["agent"] = Field(default="agent", alias="from")


class StateChanged(BaseModel):
    """The conversation changed hands, e.g. queued → agent (the widget shows 「客服 小王 为您服务」)."""

    type: Literal["state"] = "state"
    state: State
    agent_name: str | None


class QueuePosition(BaseModel):
    type: Literal["queue"] = "queue"
    position: int
    estimated_wait_s: int


# ---------------------------------------------------------------------------------- to agents' consoles
class Assigned(BaseModel):
    type: Literal["assigned"] = "assigned"
    conversation: ConversationSummary


class Unassigned(BaseModel):
    """Transferred away, or back to the queue."""

    type: Literal["unassigned"] = "unassigned"
    conversation_id: str


class ConversationMessage(BaseModel):
    """A customer's message (or a system notice) in a conversation the agent serves."""

    type: Literal["message"] = "message"
    conversation_id: str
    message: MessageOut


class CustomerTyping(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    type: Literal["typing"] = "typing"
    conversation_id: str
    from_: Literal["customer"] = Field(default="customer", alias="from")


class QueueLength(BaseModel):
    type: Literal["queue"] = "queue"
    length: int


class LeaveMessageLeft(BaseModel):
    """A customer left a 留言: consoles reload their list."""

    type: Literal["leave_message"] = "leave_message"


class CustomerLeft(BaseModel):
    """The customer ended the chat (结束会话 in the widget): nothing more reaches them; the agent wraps up."""

    type: Literal["customer_left"] = "customer_left"
    conversation_id: str


class CustomerPresence(BaseModel):
    """The customer's widget opened or lost its socket (the console's presence dot)."""

    type: Literal["presence"] = "presence"
    conversation_id: str
    online: bool


CustomerEventModel = Union[NewMessage, AgentTyping, StateChanged, QueuePosition]
AgentEventModel = Union[Assigned, Unassigned, ConversationMessage, CustomerTyping, QueueLength, LeaveMessageLeft,
                        CustomerLeft, CustomerPresence]
CustomerEvent = Annotated[CustomerEventModel, Field(discriminator="type")]
AgentEvent = Annotated[AgentEventModel, Field(discriminator="type")]

SOCKETS: dict[str, tuple[str, object]] = {
    # socket path: (the union's name in /openapi.json, the union)
    "/api/v1/conversations/{conv_id}/ws": ("CustomerEvent", CustomerEvent),
    "/api/v1/agent/ws": ("AgentEvent", AgentEvent),
}


def event_schemas(ref_template: str = "#/components/schemas/{model}") -> dict[str, dict]:
    """JSON schemas of both unions and of every model they use, named as in ``components.schemas``."""
    schemas: dict[str, dict] = {}
    for name, union in SOCKETS.values():
        schema = TypeAdapter(union).json_schema(mode="serialization", ref_template=ref_template)
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas
