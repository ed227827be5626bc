"""What the KPIs are computed from: one plain record per thing that happened (a conversation started, a message,
a KB lookup, a handoff request, a 留言, a survey answer, a complaint, a sensitive-word hit), each with the local
moment it happened and the dimensions a report slices by. ``api.reports.queries`` reads them from the database;
the KPI functions (``api.reports.kpis``) never touch it, so they are tested on hand-written facts.

Dimensions: the conversation's channel; the skill group (of the handoff, else of the conversation; a
conversation the bot handled alone is in :data:`BOT_GROUP`); the agent (of the handoff, survey or wrap-up; a
conversation-level fact has the agent who last served it, or :data:`NO_AGENT`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Callable, TypeVar

BOT_GROUP = "（机器人）"
NO_AGENT = "（无人工）"


@dataclass(frozen=True)
class Dims:
    channel: str
    skill_group: str = BOT_GROUP
    agent: str = NO_AGENT


@dataclass(frozen=True)
class Fact:
    conversation_id: str
    at: dt.datetime  # local time (the report's time zone)
    dims: Dims


@dataclass(frozen=True)
class ConversationFact(Fact):
    handoff_requested: bool = False  # any handoff request in the conversation, whenever it came


@dataclass(frozen=True)
class MessageFact(Fact):
    sender: str = "customer"  # customer | bot | agent (notices and whispers are not messages exchanged)


@dataclass(frozen=True)
class KbFact(Fact):
    action: str = "answer"  # answer | suggest | fallback (the KB policy's decision)


@dataclass(frozen=True)
class HandoffFact(Fact):
    reason: str = "customer_request"
    wait_s: float | None = None  # queued -> accepted by an agent; None when never accepted
    handle_s: float | None = None  # accepted -> closed
    outcome: str | None = None  # served | left_message | abandoned | customer_left | out_of_hours | None (open)


@dataclass(frozen=True)
class LeaveFact(Fact):
    called_back_after_s: float | None = None  # None: not (yet) called back


@dataclass(frozen=True)
class SurveyFact(Fact):
    nps: int | None = None
    csat: str | None = None  # 满意 | 一般 | 不满意


@dataclass(frozen=True)
class ComplaintFact(Fact):
    pass


@dataclass(frozen=True)
class FlagFact(Fact):
    category: str = ""
    source: str = "customer"


@dataclass
class Facts:
    conversations: list[ConversationFact] = field(default_factory=list)
    messages: list[MessageFact] = field(default_factory=list)
    kb: list[KbFact] = field(default_factory=list)
    handoffs: list[HandoffFact] = field(default_factory=list)
    leaves: list[LeaveFact] = field(default_factory=list)
    surveys: list[SurveyFact] = field(default_factory=list)
    complaints: list[ComplaintFact] = field(default_factory=list)
    flags: list[FlagFact] = field(default_factory=list)

    def where(self, keep: Callable[[Fact], bool]) -> Facts:
        """The facts ``keep`` accepts (every kind)."""
        return Facts(**{name: [f for f in getattr(self, name) if keep(f)] for name in FACT_KINDS})

    def split(self, key: Callable[[Fact], str]) -> dict[str, Facts]:
        """The facts grouped by ``key`` (one pass over every kind)."""
        out: dict[str, Facts] = {}
        for name in FACT_KINDS:
            for f in getattr(self, name):
                getattr(out.setdefault(key(f), Facts()), name).append(f)
        return out

    def between(self, start: dt.datetime, end: dt.datetime) -> Facts:
        """The facts at ``start`` <= local time < ``end``."""
        return self.where(lambda f: start <= f.at < end)


FACT_KINDS = ("conversations", "messages", "kb", "handoffs", "leaves", "surveys", "complaints", "flags")
F = TypeVar("F", bound=Fact)


@dataclass(frozen=True)
class Filters:
    """A report's filters; None keeps every value."""
    channel: str | None = None
    skill_group: str | None = None
    agent: str | None = None

    def accepts(self, fact: Fact) -> bool:
        d = fact.dims
        return (self.channel is None or d.channel == self.channel) \
            and (self.skill_group is None or d.skill_group == self.skill_group) \
            and (self.agent is None or d.agent == self.agent)


def with_dims(fact: F, **changes: str) -> F:
    return replace(fact, dims=replace(fact.dims, **changes))
