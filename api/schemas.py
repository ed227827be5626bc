"""Typed request and response bodies at the API edge (they make the OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.routing import SKILL_GROUPS

State = Literal["bot", "queued", "agent", "closed"]


class ButtonOut(BaseModel):
    title: str
    payload: str


class MessageOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: int
    from_: Literal["customer", "bot", "agent", "system"] = Field(alias="from")
    text: str
    buttons: list[ButtonOut] = []
    created_at: str
    agent_name: str | None = None


class NewConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["web", "app", "wechat"] = "web"
    customer_id: str | None = Field(default=None, max_length=64, pattern=r"^[\w.@:-]+$")


class ConversationCreated(BaseModel):
    id: str
    token: str
    state: State
    messages: list[MessageOut]


class CustomerMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=2000)
    payload: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def exactly_one(self) -> CustomerMessage:
        if (self.text is None) == (self.payload is None):
            raise ValueError("send either text or payload")
        value = self.text if self.text is not None else self.payload
        if not (value or "").strip():
            raise ValueError("the message is empty")
        return self


class ChatReply(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    state: State
    messages: list[MessageOut]
    queue_position: int | None = None
    estimated_wait_s: int | None = None
    agent_name: str | None = None


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginOut(BaseModel):
    token: str
    role: str
    username: str
    display_name: str
    expires_at: str


class AgentOut(BaseModel):
    username: str
    display_name: str
    role: str
    status: str
    capacity: int
    skills: list[str]
    load: int


class AgentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["online", "away", "offline"] | None = None
    capacity: int | None = Field(default=None, ge=1, le=20)
    skills: list[str] | None = None

    @model_validator(mode="after")
    def known_skills(self) -> AgentPatch:
        unknown = [s for s in self.skills or [] if s not in SKILL_GROUPS]
        if unknown:
            raise ValueError(f"unknown skill groups {unknown}; use {list(SKILL_GROUPS)}")
        return self


class AgentMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skill_group: str | None = None
    agent: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def one_target(self) -> TransferIn:
        if (self.skill_group is None) == (self.agent is None):
            raise ValueError("transfer to either a skill_group or an agent")
        if self.skill_group is not None and self.skill_group not in SKILL_GROUPS:
            raise ValueError(f"unknown skill group; use {list(SKILL_GROUPS)}")
        return self


class CannedOut(BaseModel):
    id: int
    title: str
    text: str
    skill_group: str


class KbSuggestion(BaseModel):
    entry_id: str
    question: str
    answer: str
    score: float


class LeaveMessageOut(BaseModel):
    id: int
    conversation_id: str
    customer_id: str | None
    callback_number: str | None
    text: str
    created_at: str
    status: str


class Detail(BaseModel):
    detail: Any
