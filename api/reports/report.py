"""A KPI report assembled from facts, pure: the period's KPIs, the period before and the change, the trend by
day/week/month, the slices by channel, skill group and agent, handoff reasons and the NPS distribution; and the
facts behind one number (the drill-down), which count exactly what the KPI counts."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Sequence

from api.reports.facts import Fact, Facts, Filters, HandoffFact, SurveyFact
from api.reports.kpis import (
    KPI_DEFS,
    OUT_OF_HOURS,
    Rules,
    change,
    compute,
    connected,
    handoffs_by_reason,
    in_hours,
    is_connected,
    nps_distribution,
    nps_groups,
    on_time,
)
from api.reports.periods import DateRange, Granularity, bucket_key, buckets, previous_range
from api.schemas.reports import (
    DrillDown,
    DrillItem,
    FilterOptions,
    KpiDefinition,
    KpiReport,
    KpiSet,
    NpsDistribution,
    ReportFilters,
    SeriesPoint,
    Slice,
)


def local_bounds(r: DateRange) -> tuple[dt.datetime, dt.datetime]:
    """[first local midnight, the midnight after the last day)."""
    return dt.datetime.combine(r.start, dt.time()), dt.datetime.combine(r.end + dt.timedelta(days=1), dt.time())


def definitions() -> list[KpiDefinition]:
    """Each KPI's key, name, unit and formula (:data:`api.reports.kpis.KPI_DEFS`)."""
    return [KpiDefinition.model_validate(vars(d)) for d in KPI_DEFS]


def kpi_set(facts: Facts, rules: Rules) -> KpiSet:
    return compute(facts, rules)


def _slices(facts: Facts, rules: Rules, dim: str) -> list[Slice]:
    groups = facts.split(lambda f: str(getattr(f.dims, dim)))
    return [Slice(key=k, kpis=kpi_set(groups[k], rules)) for k in sorted(groups)]


def _kinds(facts: Facts) -> list[Sequence[Fact]]:
    return [facts.conversations, facts.messages, facts.kb, facts.handoffs, facts.leaves, facts.surveys,
            facts.complaints, facts.flags]


def options_of(facts: Facts) -> FilterOptions:
    """The values a filter can take: those present in the facts read (the period and the one before)."""
    def values(dim: str) -> list[str]:
        return sorted({getattr(f.dims, dim) for kind in _kinds(facts) for f in kind})
    return FilterOptions(channels=values("channel"), skill_groups=values("skill_group"), agents=values("agent"))


def build_report(facts: Facts, r: DateRange, granularity: Granularity, filters: Filters, rules: Rules) -> KpiReport:
    """``facts`` must cover ``r`` and the period before it (:func:`api.reports.periods.previous_range`)."""
    before = previous_range(r)
    sliced = facts.where(filters.accepts)
    current = sliced.between(*local_bounds(r))
    previous = sliced.between(*local_bounds(before))
    now_values, before_values = compute(current, rules), compute(previous, rules)
    distribution = nps_distribution(current)
    by_bucket = current.split(lambda f: bucket_key(f.at.date(), granularity))
    series = [SeriesPoint(bucket=key, start=part.start.isoformat(), end=part.end.isoformat(),
                          kpis=kpi_set(by_bucket.get(key, Facts()), rules))
              for key, part in buckets(r, granularity)]
    return KpiReport(
        start=r.start.isoformat(), end=r.end.isoformat(), granularity=granularity,
        filters=ReportFilters(channel=filters.channel, skill_group=filters.skill_group, agent=filters.agent),
        previous_start=before.start.isoformat(), previous_end=before.end.isoformat(),
        current=now_values, previous=before_values,
        change=change(now_values, before_values), series=series,
        by_channel=_slices(current, rules, "channel"), by_skill_group=_slices(current, rules, "skill_group"),
        by_agent=_slices(current, rules, "agent"), handoffs_by_reason=handoffs_by_reason(current),
        nps_distribution=NpsDistribution(counts=distribution, answers=sum(distribution),
                                         nps=now_values.nps, **nps_groups(distribution)),
        options=options_of(facts), connect_within_s=rules.connect_within_s,
        callback_sla_h=round(rules.callback_sla_s / 3600, 2),
        definitions=definitions())


# ---------------------------------------------------------------------------------- drill-down
@dataclass(frozen=True)
class Drill:
    label: str
    select: Callable[[Facts, Rules], Sequence[Fact]]


def _wait_detail(f: Fact) -> str:
    if not isinstance(f, HandoffFact):
        return ""
    wait = f"，等待 {f.wait_s:.0f} 秒" if f.wait_s is not None else ""
    return f"{f.reason}{wait}（{f.outcome or '进行中'}）"


def _survey_detail(f: Fact) -> str:
    if not isinstance(f, SurveyFact):
        return ""
    parts = ([f"NPS {f.nps}"] if f.nps is not None else []) + ([f.csat] if f.csat else [])
    return "，".join(parts)


DRILLS: dict[str, Drill] = {
    "conversations": Drill("会话", lambda f, r: f.conversations),
    "bot_self_service": Drill("机器人自助完成的会话", lambda f, r: [c for c in f.conversations
                                                            if not c.handoff_requested]),
    "messages": Drill("消息", lambda f, r: f.messages),
    "kb_lookups": Drill("知识库检索", lambda f, r: f.kb),
    "kb_answer": Drill("知识库直接回答", lambda f, r: [k for k in f.kb if k.action == "answer"]),
    "kb_suggest": Drill("知识库推荐问题", lambda f, r: [k for k in f.kb if k.action == "suggest"]),
    "kb_fallback": Drill("知识库未命中", lambda f, r: [k for k in f.kb if k.action == "fallback"]),
    "handoff_requests": Drill("转人工请求", lambda f, r: f.handoffs),
    "out_of_hours_requests": Drill("非服务时间转人工", lambda f, r: [h for h in f.handoffs
                                                              if h.outcome == OUT_OF_HOURS]),
    "connected": Drill("规定时间内接通", lambda f, r: connected(f, r)),
    "not_connected": Drill("未在规定时间内接通", lambda f, r: [h for h in in_hours(f)
                                                                      if not is_connected(h, r)]),
    "abandoned": Drill("排队放弃", lambda f, r: [h for h in in_hours(f) if h.outcome == "abandoned"]),
    "leave_messages": Drill("留言", lambda f, r: f.leaves),
    "leave_late": Drill("未及时回拨的留言", lambda f, r: [m for m in f.leaves if not on_time(m, r)]),
    "csat_answers": Drill("满意度评价", lambda f, r: [s for s in f.surveys if s.csat is not None]),
    "dissatisfied": Drill("不满意评价", lambda f, r: [s for s in f.surveys if s.csat == "不满意"]),
    "nps_answers": Drill("NPS 评价", lambda f, r: [s for s in f.surveys if s.nps is not None]),
    "promoters": Drill("推荐者（9–10 分）", lambda f, r: [s for s in f.surveys if s.nps is not None and s.nps >= 9]),
    "detractors": Drill("贬损者（0–6 分）", lambda f, r: [s for s in f.surveys if s.nps is not None and s.nps <= 6]),
    "complaints": Drill("投诉", lambda f, r: f.complaints),
    "sensitive_hits": Drill("敏感词命中", lambda f, r: f.flags),
}


def drill_down(facts: Facts, kpi: str, r: DateRange, filters: Filters, rules: Rules,
               reason: str | None = None) -> DrillDown:
    """The conversations behind ``kpi`` in ``r`` (the same slice as the report), oldest first; ``reason``
    narrows handoff drills to one handoff reason. Raises KeyError for an unknown KPI."""
    drill = DRILLS[kpi]
    chosen = list(drill.select(facts.where(filters.accepts).between(*local_bounds(r)), rules))
    if reason is not None:
        chosen = [f for f in chosen if isinstance(f, HandoffFact) and f.reason == reason]
    chosen.sort(key=lambda f: f.at)
    grouped: OrderedDict[str, list[Fact]] = OrderedDict()
    for f in chosen:
        grouped.setdefault(f.conversation_id, []).append(f)
    items = []
    for conv_id, group in grouped.items():
        first = group[0]
        detail = "；".join(d for d in (_wait_detail(f) or _survey_detail(f) for f in group) if d)
        items.append(DrillItem(conversation_id=conv_id, at=first.at.isoformat(timespec="seconds"),
                               channel=first.dims.channel, skill_group=first.dims.skill_group,
                               agent=first.dims.agent, facts=len(group), detail=detail[:300]))
    label = drill.label + (f"（{reason}）" if reason else "")
    return DrillDown(kpi=kpi, label=label, start=r.start.isoformat(), end=r.end.isoformat(), count=len(chosen),
                     conversations=items)
