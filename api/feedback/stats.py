"""The feedback loop's figures for a period (pure): volume by category, time to first reply and to close, items
overdue now, and the top recurring themes.

* time to first reply: ``first_reply_at - created_at`` over the items replied to, in hours (mean and median);
* time to close: ``closed_at - created_at`` over the closed items, in hours (mean and median);
* overdue: items not closed whose SLA due time has passed (``lifecycle.is_overdue``); closed late: closed after
  their due time;
* themes: the categorising keywords counted over the period's items (an item counts each keyword once), most
  frequent first, ties by keyword.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from api.feedback.lifecycle import closed_late, is_overdue


@dataclass(frozen=True)
class FeedbackRow:
    id: int
    category: str
    team: str
    status: str
    created_at: dt.datetime
    due_at: dt.datetime
    first_reply_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Duration:
    count: int
    mean_h: float | None
    median_h: float | None


@dataclass(frozen=True)
class Theme:
    keyword: str
    category: str
    count: int


@dataclass(frozen=True)
class CategoryVolume:
    category: str
    total: int
    open: int  # not closed yet
    overdue: int


@dataclass(frozen=True)
class FeedbackStats:
    total: int
    by_category: list[CategoryVolume]
    by_status: dict[str, int]
    first_reply: Duration
    close: Duration
    overdue_ids: list[int]
    closed_late: int
    themes: list[Theme]


def _hours(spans: list[dt.timedelta]) -> Duration:
    if not spans:
        return Duration(0, None, None)
    hours = [s.total_seconds() / 3600 for s in spans]
    return Duration(len(hours), round(statistics.fmean(hours), 2), round(statistics.median(hours), 2))


def feedback_stats(rows: Sequence[FeedbackRow], now: dt.datetime, categories: Sequence[str] = (),
                   top: int = 10) -> FeedbackStats:
    """``categories``: listed in this order (with zero volumes), others after them by name."""
    names = list(categories) + sorted({r.category for r in rows} - set(categories))
    by_category = [CategoryVolume(name, sum(r.category == name for r in rows),
                                  sum(r.category == name and r.status != "closed" for r in rows),
                                  sum(r.category == name and is_overdue(r.status, r.due_at, now) for r in rows))
                   for name in names]
    themes: Counter[tuple[str, str]] = Counter()
    for row in rows:
        for keyword in set(row.keywords):
            themes[(keyword, row.category)] += 1
    ranked = sorted(themes.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))[:top]
    return FeedbackStats(
        total=len(rows),
        by_category=by_category,
        by_status={s: sum(r.status == s for r in rows) for s in ("open", "assigned", "replied", "closed")},
        first_reply=_hours([r.first_reply_at - r.created_at for r in rows if r.first_reply_at is not None]),
        close=_hours([r.closed_at - r.created_at for r in rows if r.closed_at is not None]),
        overdue_ids=sorted(r.id for r in rows if is_overdue(r.status, r.due_at, now)),
        closed_late=sum(closed_late(r.due_at, r.closed_at) for r in rows),
        themes=[Theme(keyword, category, count) for (keyword, category), count in ranked],
    )
