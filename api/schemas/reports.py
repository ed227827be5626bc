"""The reports API's bodies (role supervisor): the KPI report of a period with its trend, slices and the period
before; the conversations behind a number; the KPI definitions."""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import BaseModel, Field

from api.reports.kpis import KpiValues

Granularity = Literal["day", "week", "month"]


# Every KPI of one period and slice, rates in %, None when there is nothing to rate: the engine's own frozen
# dataclass (api/reports/kpis.py), which pydantic validates and documents in the OpenAPI schema as it is, so the
# fields are declared once.
KpiSet: TypeAlias = KpiValues


class KpiDefinition(BaseModel):
    key: str
    label: str
    unit: Literal["count", "percent", "seconds", "score"]
    formula: str


class SeriesPoint(BaseModel):
    bucket: str  # 2026-11-05 | 2026-W45 | 2026-11
    start: str
    end: str
    kpis: KpiSet


class Slice(BaseModel):
    key: str  # a channel, skill group or agent
    kpis: KpiSet


class NpsDistribution(BaseModel):
    counts: list[int] = Field(description="answers per score, index 0..10")
    answers: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None


class ReportFilters(BaseModel):
    channel: str | None = None
    skill_group: str | None = None
    agent: str | None = None


class FilterOptions(BaseModel):
    channels: list[str]
    skill_groups: list[str]
    agents: list[str]


class SurgeDay(BaseModel):
    day: str  # local date
    seconds: list[float] = Field(description="seconds at level 0, 1 and 2 that day (up to now for today)")
    changes: int  # level changes that day


class SurgeSummary(BaseModel):
    """The surge response in the period (二级话务应急响应, from the audit log)."""
    days: list[SurgeDay] = []
    seconds: list[float] = Field(default=[0.0, 0.0, 0.0], description="seconds at level 0, 1 and 2 in the period")
    changes: int = 0
    raised: int = 0
    lowered: int = 0
    manual: int = 0  # set by a supervisor's hand


class KpiReport(BaseModel):
    start: str
    end: str
    granularity: Granularity
    filters: ReportFilters
    previous_start: str
    previous_end: str
    current: KpiSet
    previous: KpiSet
    change: dict[str, float | None] = Field(description="current − previous (percentage points for rates)")
    series: list[SeriesPoint]
    by_channel: list[Slice]
    by_skill_group: list[Slice]
    by_agent: list[Slice]
    handoffs_by_reason: dict[str, int]
    nps_distribution: NpsDistribution
    options: FilterOptions
    connect_within_s: float
    callback_sla_h: float
    definitions: list[KpiDefinition]
    surge: SurgeSummary = Field(default_factory=SurgeSummary)


class DrillItem(BaseModel):
    conversation_id: str
    at: str  # local time of the first fact in this conversation
    channel: str
    skill_group: str
    agent: str
    facts: int  # how many of the counted facts are in this conversation
    detail: str  # e.g. the handoff reason and wait, the NPS score


class DrillDown(BaseModel):
    kpi: str
    label: str
    start: str
    end: str
    count: int  # facts counted (what the dashboard shows for a count KPI, or the rate's numerator)
    conversations: list[DrillItem]
