"""The staff API's bodies: login, the agent console, the supervisor's overview, audit and flags."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.conversation.routing import SKILL_GROUPS
from api.schemas.customer import MessageOut, State

Role = Literal["agent", "supervisor", "trainer"]


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


class ConversationSummary(BaseModel):
    """A conversation in the agent's list, the supervisor's live view and the ``assigned`` event."""

    id: str
    state: State
    customer_id: str | None
    skill_group: str | None
    handoff_reason: str | None
    agent: str | None  # the assigned agent's username
    queued_at: str | None
    assigned_at: str | None
    last_message: MessageOut | None


class ConversationDetail(ConversationSummary):
    handoff: dict[str, Any] | None  # the bot's context: reason, intent, confidence, slots, KB candidates
    messages: list[MessageOut]


class CannedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str
    text: str
    skill_group: str


class KbSuggestion(BaseModel):
    entry_id: str
    question: str
    answer: str  # institution facts ({hotline}, {app_name} …) filled in, ready to insert
    score: float


class LeaveMessageOut(BaseModel):
    id: int
    conversation_id: str
    customer_id: str | None
    callback_number: str | None
    text: str
    created_at: str
    status: str


class QueueItem(BaseModel):
    conversation_id: str
    skill_group: str | None
    handoff_reason: str | None
    waiting_s: int
    position: int | None


class SupervisorOverview(BaseModel):
    queue: list[QueueItem]  # longest waiting first
    agents: list[AgentOut]
    live: list[ConversationSummary]
    leave_messages_open: int


class AuditEntryOut(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    target: str | None
    detail: Any = None  # the action's details (masked), e.g. an edit's diff


class FlagOut(BaseModel):
    id: int
    conversation_id: str | None
    source: str
    category: str
    term: str
    text: str
    blocked: bool
    created_at: str


class ErasedCounts(BaseModel):
    conversations: int
    messages: int
    leave_messages: int
