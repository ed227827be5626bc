"""Report periods, pure: a date range in the service centre's local time (UTC+8 by default: China has no daylight
saving), its buckets by day, ISO week or calendar month, the period before it, and the UTC window the database is
read for (rows are stored in naive UTC).

The period before a range is the one a supervisor compares with: the previous calendar month for a whole month,
the previous ISO week for a whole week, otherwise the same number of days immediately before."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

Granularity = Literal["day", "week", "month"]
GRANULARITIES: tuple[Granularity, ...] = ("day", "week", "month")


@dataclass(frozen=True)
class DateRange:
    """Whole local days, ``start`` to ``end`` inclusive."""
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("结束日期不能早于开始日期")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def label(self) -> str:
        return self.start.isoformat() if self.days == 1 else f"{self.start.isoformat()}~{self.end.isoformat()}"


def month_end(day: dt.date) -> dt.date:
    first_next = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def is_whole_month(r: DateRange) -> bool:
    return r.start.day == 1 and r.end == month_end(r.start)


def is_whole_week(r: DateRange) -> bool:
    return r.start.isoweekday() == 1 and r.days == 7


def previous_range(r: DateRange) -> DateRange:
    """The period to compare with (see the module docstring)."""
    if is_whole_month(r):
        end = r.start - dt.timedelta(days=1)
        return DateRange(end.replace(day=1), end)
    end = r.start - dt.timedelta(days=1)
    return DateRange(end - dt.timedelta(days=r.days - 1), end)


def period_of(day: dt.date, granularity: Granularity) -> DateRange:
    """The day, ISO week (Monday to Sunday) or calendar month holding ``day``."""
    if granularity == "day":
        return DateRange(day, day)
    if granularity == "week":
        start = day - dt.timedelta(days=day.isoweekday() - 1)
        return DateRange(start, start + dt.timedelta(days=6))
    return DateRange(day.replace(day=1), month_end(day))


def bucket_key(day: dt.date, granularity: Granularity) -> str:
    """The bucket a local day falls in: ``2026-11-05``, ``2026-W45`` (ISO week) or ``2026-11``."""
    if granularity == "day":
        return day.isoformat()
    if granularity == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def buckets(r: DateRange, granularity: Granularity) -> list[tuple[str, DateRange]]:
    """The buckets covering ``r`` in order, each clipped to ``r`` (a month range by week starts mid-week)."""
    out: list[tuple[str, DateRange]] = []
    day = r.start
    while day <= r.end:
        whole = period_of(day, granularity)
        part = DateRange(day, min(whole.end, r.end))
        out.append((bucket_key(day, granularity), part))
        day = part.end + dt.timedelta(days=1)
    return out


def local_day(at_utc: dt.datetime, utc_offset_h: float) -> dt.date:
    """The local calendar day of a naive-UTC timestamp."""
    return (at_utc + dt.timedelta(hours=utc_offset_h)).date()


def utc_window(r: DateRange, utc_offset_h: float) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in naive UTC covering the range's local days."""
    start = dt.datetime.combine(r.start, dt.time()) - dt.timedelta(hours=utc_offset_h)
    end = dt.datetime.combine(r.end + dt.timedelta(days=1), dt.time()) - dt.timedelta(hours=utc_offset_h)
    return start, end
