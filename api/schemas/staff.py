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
    display_name: str  # for colleagues
    public_name: str  # what customers see: the nickname, else 工号
    role: str
    status: str
    capacity: int
    skills: list[str]
    load: int
    over_capacity: bool = False  # load above capacity (a chat taken over): shown, never assigned more


class AgentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["online", "away", "offline"] | None = None
    capacity: int | None = Field(default=None, ge=1, le=20)
    skills: list[str] | None = None
    public_name: str | None = Field(default=None, min_length=1, max_length=16)  # the nickname customers see

    @model_validator(mode="after")
    def known_skills(self) -> AgentPatch:
        unknown = [s for s in self.skills or [] if s not in SKILL_GROUPS]
        if unknown:
            raise ValueError(f"未知的技能组：{'、'.join(unknown)}；可选：{'、'.join(SKILL_GROUPS)}")
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
            raise ValueError("请选择转接的技能组或填写坐席用户名（二选一）")
        if self.skill_group is not None and self.skill_group not in SKILL_GROUPS:
            raise ValueError(f"未知的技能组：{self.skill_group}；可选：{'、'.join(SKILL_GROUPS)}")
        return self


Disposition = Literal["resolved", "unresolved", "callback", "complaint"]


class CloseIn(BaseModel):
    """The agent's 服务小结, required to end a human service: how it ended, and a note."""

    model_config = ConfigDict(extra="forbid")
    disposition: Disposition
    note: str = Field(default="", max_length=1000)


class WhisperIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=1000)


class LeaveOutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["called_back", "no_answer"]  # 已回拨 (closes it) / 未接通 (stays open, one more attempt)


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
    customer_online: bool = False  # the customer's widget has its socket open
    customer_left: bool = False  # the customer ended the chat: nothing more reaches them; wrap up


class HandoffTurn(BaseModel):
    text: str
    intent: str | None
    confidence: float | None


class KbLookup(BaseModel):
    query: str
    action: str  # answer | suggest | fallback
    confidence: float | None
    best_question: str | None
    best_score: float | None


class HandoffContext(BaseModel):
    """The bot's handoff signal made readable, with the KB lookups of the turns before it."""

    reason: str | None
    intent: str | None
    confidence: float | None
    slots: dict[str, Any]  # card_type, card_last4, city …: what the customer already gave
    turns: list[HandoffTurn]  # the customer's turns before the handoff, oldest first, with their intents
    kb_lookups: list[KbLookup]


class EarlierConversation(BaseModel):
    """One of the customer's other conversations (by customer_id), masked."""

    id: str
    created_at: str
    state: State
    handoff_reason: str | None
    disposition: str | None  # the agent's wrap-up, if a human served it
    note: str | None
    first_question: str
    messages: int


class ConversationDetail(ConversationSummary):
    handoff: dict[str, Any] | None  # the bot's raw signal: reason, intent, confidence, slots, history, KB
    messages: list[MessageOut]
    context: HandoffContext | None = None
    earlier: list[EarlierConversation] = []


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
    callback_number: str | None  # masked (138****5678); the whole number only through /reveal, audited
    has_number: bool  # an encrypted number is on file to reveal
    preferred_time: str | None
    text: str
    created_at: str
    status: str  # open | closed
    outcome: str | None  # called_back (已回拨) | no_answer (未接通)
    attempts: int
    outcome_at: str | None


class RevealedNumber(BaseModel):
    callback_number: str


class WrapUpOut(BaseModel):
    conversation_id: str
    agent: str | None
    disposition: str
    note: str
    customer_left: bool
    created_at: str


class WrapUpReport(BaseModel):
    counts: dict[str, int]  # disposition -> how many, over the period
    recent: list[WrapUpOut]  # newest first


class QueueItem(BaseModel):
    conversation_id: str
    skill_group: str | None
    handoff_reason: str | None
    waiting_s: int
    position: int | None  # within its skill group: each group is one queue
    long_wait: bool = False  # waiting at least LONG_WAIT_S (20 minutes by default)
    customer_online: bool = True


class SupervisorOverview(BaseModel):
    queue: list[QueueItem]  # by skill group, then position in it
    long_wait_s: int
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
    rasa_trackers: int = 0  # Rasa sessions erased in its tracker store
    unanswered: int = 0  # questions erased from the KB's unanswered store
