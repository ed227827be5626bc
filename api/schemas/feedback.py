"""The NPS programme's and the feedback loop's bodies: survey campaigns (专项NPS调查) and their live results,
feedback items in an owner's queue, their replies and the period's figures."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.conversation.routing import SKILL_GROUPS

Band = Literal["detractor", "passive", "promoter"]
ReplyChannel = Literal["message", "callback_note", "none"]
FeedbackStatus = Literal["open", "assigned", "replied", "closed"]


class CampaignTarget(BaseModel):
    """Each list empty: any. A conversation is targeted when each non-empty list holds one of its values."""
    model_config = ConfigDict(extra="forbid")
    channels: list[str] = Field(default_factory=list, max_length=10)
    skill_groups: list[Literal[SKILL_GROUPS]] = Field(default_factory=list)  # type: ignore[valid-type]
    areas: list[Literal[SKILL_GROUPS]] = Field(default_factory=list)  # type: ignore[valid-type]


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: str = Field(min_length=1, max_length=32)
    question: str = Field(min_length=4, max_length=200)
    followups: dict[Band, str] = Field(default_factory=dict)
    target: CampaignTarget = Field(default_factory=CampaignTarget)
    sample_rate: float = Field(default=1.0, ge=0, le=1)
    starts_at: dt.datetime
    ends_at: dt.datetime

    @model_validator(mode="after")
    def _check(self) -> CampaignIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("结束时间必须晚于开始时间")
        for band, text in self.followups.items():
            if len(text) > 200:
                raise ValueError(f"追问（{band}）不能超过200字")
        return self


class CampaignPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool | None = None
    sample_rate: float | None = Field(default=None, ge=0, le=1)
    ends_at: dt.datetime | None = None


class CampaignOut(BaseModel):
    id: int
    topic: str
    question: str
    followups: dict[str, str]
    target: CampaignTarget
    sample_rate: float
    starts_at: str
    ends_at: str
    active: bool
    live: bool  # active and now within its period
    created_at: str


class CampaignList(BaseModel):
    campaigns: list[CampaignOut]


class FollowupAnswer(BaseModel):
    score: int | None
    band: str | None
    question: str | None
    text: str
    at: str | None


class CampaignResults(BaseModel):
    campaign: CampaignOut
    asked: int  # surveys started
    answered: int  # with a score
    nps: float | None  # % promoters - % detractors, over the answered
    promoters: int
    passives: int
    detractors: int
    distribution: list[int]  # answers per score 0..10
    comments: list[FollowupAnswer]  # newest first (masked)
    feedback_items: int


class FeedbackReplyOut(BaseModel):
    id: int
    author: str | None
    text: str
    channel: ReplyChannel
    created_at: str


class FeedbackItemOut(BaseModel):
    id: int
    source: str
    source_name: str
    conversation_id: str | None
    text: str  # masked
    score: int | None
    category: str
    keywords: list[str]
    team: str
    skill_group: str | None
    branch: str | None
    status: FeedbackStatus
    status_name: str
    assignee: str | None
    due_at: str
    overdue: bool
    created_at: str
    assigned_at: str | None
    first_reply_at: str | None
    closed_at: str | None
    replies: list[FeedbackReplyOut] = Field(default_factory=list)


class FeedbackList(BaseModel):
    team: str | None  # the owner's team (None: a supervisor seeing every team)
    items: list[FeedbackItemOut]


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: str | None = Field(default=None, max_length=64)  # a username; none: the caller
    team: str | None = Field(default=None, max_length=32)  # supervisors only: route to another team


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=1000)
    via: ReplyChannel = "none"


class OwnerTeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team: str = Field(min_length=1, max_length=32)


class OwnerOut(BaseModel):
    username: str
    display_name: str
    role: str
    team: str | None


class CategoryOut(BaseModel):
    name: str
    sla_hours: float
    keywords: list[str]


class FeedbackConfigOut(BaseModel):
    categories: list[CategoryOut]
    teams: list[str]
    default_team: str


class DurationOut(BaseModel):
    count: int
    mean_h: float | None
    median_h: float | None


class CategoryVolumeOut(BaseModel):
    category: str
    total: int
    open: int
    overdue: int


class ThemeOut(BaseModel):
    keyword: str
    category: str
    count: int


class FeedbackStatsOut(BaseModel):
    since: str
    until: str
    team: str | None
    total: int
    by_category: list[CategoryVolumeOut]
    by_status: dict[str, int]
    first_reply: DurationOut
    close: DurationOut
    overdue_ids: list[int]
    closed_late: int
    themes: list[ThemeOut]
