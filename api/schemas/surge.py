"""The surge response's bodies (api/routes/surge.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class QueueStatsOut(BaseModel):
    queued: int
    longest_wait_s: float
    available_agents: int
    per_agent: float  # 0 while nobody is online


class SurgeOut(BaseModel):
    level: int  # 0 normal, 1, 2
    since: str
    manual: bool  # set by hand and held until manual_until
    manual_until: str | None
    set_by: str | None
    stats: QueueStatsOut
    measures: list[str]  # the level's response measures, for supervisors to carry out


class SurgeNotice(BaseModel):
    """What the widget shows (no figures)."""
    level: int
    notice: str | None


class SurgeLevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: int = Field(ge=0, le=2)
    reason: str = Field(min_length=1, max_length=200)
