"""Complaint analysis and coaching bodies (api/routes/quality.py, api/quality/complaints.py, coaching.py)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class CauseOut(BaseModel):
    cause: str  # a feedback category (api/feedback/categories.yml)
    count: int
    examples: list[str]  # conversation ids, newest first


class AgentComplaintsOut(BaseModel):
    username: str
    name: str
    count: int
    causes: dict[str, int]
    flagged: bool  # at or above the threshold: to coach one-to-one
    open_coaching: bool  # has a coaching record still open


class WeekCount(BaseModel):
    period: str  # ISO week, 2026-W48
    count: int


class ComplaintReport(BaseModel):
    since: str
    until: str
    threshold: int
    total: int
    unattributed: int  # no agent served (the bot or the queue)
    by_cause: list[CauseOut]
    by_agent: list[AgentComplaintsOut]
    by_week: list[WeekCount]


class CoachingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent: str = Field(min_length=1, max_length=64)  # username
    reason: str = Field(min_length=1, max_length=500)
    plan: str = Field(min_length=1, max_length=2000)
    follow_up_on: dt.date


class CoachingCloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(min_length=1, max_length=2000)


class CoachingOut(BaseModel):
    id: int
    agent: str
    agent_name: str
    created_by: str
    reason: str
    plan: str
    follow_up_on: str
    status: str  # open | closed
    outcome: str | None
    closed_by: str | None
    created_at: str
    closed_at: str | None
    overdue: bool  # open past its follow-up date
    complaints_before: int  # in the window before the coaching
    complaints_after: int  # since it, over as many days as have passed (at most the window)
    days_after: int
    window_days: int
