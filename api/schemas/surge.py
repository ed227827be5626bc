"""The surge response's bodies (api/routes/surge.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class QueueStatsOut(BaseModel):
    queued: int
    longest_wait_s: float
    available_agents: int
    per_agent: float  # 0 while nobody is online


class OverCapacityOut(BaseModel):
    username: str
    load: int  # chats served now
    capacity: int


class SurgeOut(BaseModel):
    level: int  # 0 normal, 1, 2
    since: str
    manual: bool  # set by hand and held until manual_until
    manual_until: str | None
    set_by: str | None
    stats: QueueStatsOut
    measures: list[str]  # the level's response measures, for supervisors to carry out
    capacity_raised: int = 0  # agents whose capacity level 2 raised (restored when it ends)
    over_capacity: list[OverCapacityOut] = []  # agents serving more chats than their capacity


class SurgeNotice(BaseModel):
    """What the widget shows (no figures)."""
    level: int
    notice: str | None
    expected_wait_s: int | None = None  # for a customer asking for a person now; None at level 0
    leave_message_first: bool = False  # level 2: 留言 is offered before queueing


class SurgeLevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: int = Field(ge=0, le=2)
    reason: str = Field(min_length=1, max_length=200)
