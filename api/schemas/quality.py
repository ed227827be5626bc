"""The quality-review API's bodies (api/routes/quality.py): sampling, the queue, a review with its transcript,
items, scores and comments, the agent's appeal and the supervisor's decision, and the report."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.customer import MessageOut

ReviewStatus = Literal["open", "submitted", "appealed", "decided"]
Target = Literal["agent", "bot"]


class SampleIn(BaseModel):
    """One day's sampling (default today, UTC); every rule can be switched off or sized."""
    model_config = ConfigDict(extra="forbid")
    day: dt.date | None = None
    routine_agent: int = Field(default=5, ge=0, le=500)
    routine_bot: int = Field(default=5, ge=0, le=500)
    dissatisfied: bool = True  # every 不满意 or NPS detractor (0-6)
    flagged: bool = True  # every sensitive-word flag
    watch_agents: bool = True  # every conversation of an agent with complaints or low scores
    lookback_days: int = Field(default=7, ge=1, le=90)
    complaints_threshold: int = Field(default=1, ge=1, le=100)
    low_score: float = Field(default=80.0, ge=0, le=100)
    topics: list[str] = Field(default_factory=list, max_length=20)  # intents or business areas (skill groups)


class ReviewSummary(BaseModel):
    id: int
    conversation_id: str
    target: Target
    agent: str | None  # the agent's username (None: a bot-only conversation)
    agent_name: str | None
    reasons: list[str]
    reason_names: list[str]
    status: ReviewStatus
    total: float | None  # only once submitted
    needs_coaching: bool
    reviewer: str | None
    created_at: str
    submitted_at: str | None
    decision: Literal["upheld", "rejected"] | None


class SampleOut(BaseModel):
    day: str
    added: list[ReviewSummary]
    watched_agents: list[str]


class ItemResult(BaseModel):
    id: str
    title: str
    weight: float
    automatic: bool
    score: float | None  # in [0, 1]; None: not scored yet
    detail: str | None = None  # why an automatic item passed or failed
    message_ids: list[int] = []  # the messages that failed it


class CommentOut(BaseModel):
    id: int
    message_id: int
    text: str
    wrong_answer: bool
    author: str | None
    created_at: str


class ReviewDetail(ReviewSummary):
    checklist_version: str
    items: list[ItemResult]
    messages: list[MessageOut]
    comments: list[CommentOut]
    summary: str
    submitted_total: float | None
    appeal_text: str | None
    decision_comment: str | None


class ScoresIn(BaseModel):
    """A draft: the reviewer's scores of the manual items (0-1), the coaching mark and a summary."""
    model_config = ConfigDict(extra="forbid")
    scores: dict[str, float] = Field(default_factory=dict, max_length=50)
    needs_coaching: bool | None = None
    summary: str | None = Field(default=None, max_length=2000)


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: int
    text: str = Field(min_length=1, max_length=500)
    wrong_answer: bool = False  # a bot answer marked wrong (the trainers' report)


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000)


class DecisionIn(BaseModel):
    """Upheld: the review's total becomes ``total``; rejected: the reviewer's total stands."""
    model_config = ConfigDict(extra="forbid")
    upheld: bool
    comment: str = Field(min_length=1, max_length=1000)
    total: float | None = Field(default=None, ge=0, le=100)


class ChecklistItemOut(BaseModel):
    id: str
    title: str
    weight: float
    applies_to: list[Target]
    automatic: bool


class ChecklistOut(BaseModel):
    version: str
    items: list[ChecklistItemOut]


class AgentScore(BaseModel):
    agent: str
    agent_name: str
    period: str  # the ISO week, e.g. 2026-W49
    reviews: int
    average: float


class FailedItem(BaseModel):
    id: str
    title: str
    failed: int
    scored: int


class WrongAnswer(BaseModel):
    """A bot answer marked wrong: the KB entry it came from (or None for an intent's response) and an example."""
    kb_entry: str | None
    text: str
    count: int
    conversation_id: str


class QualityReport(BaseModel):
    since: str
    by_agent: list[AgentScore]
    most_failed: list[FailedItem]
    wrong_answers: list[WrongAnswer]
    coaching: list[str]  # agents with a submitted review marked "needs coaching"
