"""The surge response in the reports and on ``/metrics``: how long the centre spent at each level (0, 1, 2) per
day and how often the level changed, read from the audit log — every change is one ``surge_level`` entry
(``"1->2"``, api/surge/control.py) — so the figures survive restarts.

The time at each level is pure (:func:`time_at_levels`): the level at the start of the period is the one the
last change before it left; the period is cut at ``now`` (the future has no level yet). The level in force is
itself read from the same entries (api/surge/control.py), so a restart carries on at the level it left."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from api.reports.periods import DateRange
from api.reports.prometheus import Registry, counter_lines, gauge_lines
from api.schemas.reports import KpiReport, SurgeDay, SurgeSummary
from api.store.models import AuditEntry

LEVELS = (0, 1, 2)
_CHANGE = re.compile(r"^([0-2])->([0-2])$")


@dataclass(frozen=True)
class LevelChange:
    at: dt.datetime  # local time (the report's clock)
    before: int
    after: int
    manual: bool


def parse_change(at: dt.datetime, target: str | None, detail_json: str | None) -> LevelChange | None:
    """One ``surge_level`` audit entry as a change; None for a malformed one (pure)."""
    found = _CHANGE.match(target or "")
    if not found:
        return None
    try:
        detail = json.loads(detail_json or "{}")
    except ValueError:
        detail = {}
    manual = bool(detail.get("manual")) if isinstance(detail, dict) else False
    return LevelChange(at, int(found.group(1)), int(found.group(2)), manual)


def level_at(ordered: Sequence[LevelChange], at: dt.datetime) -> int:
    """The level in force at ``at`` (pure; ``ordered`` by time): the one the last change up to then left, else
    the one the first change after it left behind, else 0."""
    last = next((c for c in reversed(ordered) if c.at <= at), None)
    if last is not None:
        return last.after
    return ordered[0].before if ordered else 0


def time_at_levels(changes: Sequence[LevelChange], r: DateRange, now: dt.datetime) -> list[SurgeDay]:
    """Seconds at each level for every day of ``r`` (local dates, inclusive), up to ``now``, and the changes of
    each day (pure). ``changes`` may start before the period and come in any order."""
    ordered = sorted(changes, key=lambda c: c.at)
    days = []
    day = r.start
    while day <= r.end:
        lo = dt.datetime.combine(day, dt.time())
        day_end = lo + dt.timedelta(days=1)
        hi = min(day_end, max(lo, now))
        seconds = [0.0, 0.0, 0.0]
        level, cursor = level_at(ordered, lo), lo
        for c in ordered:
            if lo < c.at < hi:
                seconds[level] += (c.at - cursor).total_seconds()
                cursor, level = c.at, c.after
        seconds[level] += (hi - cursor).total_seconds()
        days.append(SurgeDay(day=day.isoformat(), seconds=[round(s, 1) for s in seconds],
                             changes=sum(1 for c in ordered if lo <= c.at < day_end)))
        day += dt.timedelta(days=1)
    return days


def summary(changes: Sequence[LevelChange], r: DateRange, now: dt.datetime) -> SurgeSummary:
    """The period's surge figures (pure): per day, and the changes in the period by direction and by hand."""
    start = dt.datetime.combine(r.start, dt.time())
    end = dt.datetime.combine(r.end + dt.timedelta(days=1), dt.time())
    inside = [c for c in changes if start <= c.at < end]
    days = time_at_levels(changes, r, now)
    return SurgeSummary(days=days, changes=len(inside), raised=sum(1 for c in inside if c.after > c.before),
                        lowered=sum(1 for c in inside if c.after < c.before),
                        manual=sum(1 for c in inside if c.manual),
                        seconds=[round(sum(d.seconds[i] for d in days), 1) for i in LEVELS])


def with_surge(report: KpiReport, sessions: sessionmaker, r: DateRange, offset_h: float,
               now_utc: dt.datetime) -> KpiReport:
    """``report`` with the period's surge figures (the whole centre's: the report's filters do not narrow them)."""
    changes = load_changes(sessions, now_utc, offset_h)
    return report.model_copy(update={"surge": summary(changes, r, now_utc + dt.timedelta(hours=offset_h))})


def load_changes(sessions: sessionmaker, until_utc: dt.datetime, offset_h: float) -> list[LevelChange]:
    """Every level change up to ``until_utc``, in local time (the level at a period's start needs the last one
    before it, however old)."""
    shift = dt.timedelta(hours=offset_h)
    with sessions() as db:
        rows = db.execute(select(AuditEntry.at, AuditEntry.target, AuditEntry.detail_json)
                          .where(AuditEntry.action == "surge_level", AuditEntry.at < until_utc)
                          .order_by(AuditEntry.id)).all()
    found = (parse_change(at + shift, target, detail) for at, target, detail in rows)
    return [c for c in found if c is not None]


def metric_lines(level: int | None, changes: Sequence[LevelChange], registry: Registry) -> list[str]:
    """``/metrics``: the level now (absent when the surge response is off), the changes since the start of the
    audit log by direction, and the 转人工 requests answered first at level 1 and 2."""
    lines = gauge_lines("bridge_surge_level", "The surge response level now (0 normal, 1, 2)",
                        {(): float(level)}) if level is not None else []
    directions = {"up": sum(1 for c in changes if c.after > c.before),
                  "down": sum(1 for c in changes if c.after < c.before)}
    lines += counter_lines("bridge_surge_level_changes_total", "Surge level changes by direction (audited)",
                           {(("direction", d),): float(n) for d, n in directions.items()})
    lines += counter_lines("bridge_surge_deflections_total", "转人工 requests answered first with a simple "
                           "question's standard answer during a surge (this process)",
                           registry.series("bridge_surge_deflections_total") or {(): 0.0})
    return lines
