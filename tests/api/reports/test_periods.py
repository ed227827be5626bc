"""Report periods against hand-worked calendars: the period before, buckets, local days and UTC windows."""

from __future__ import annotations

import datetime as dt

import pytest

from api.reports.periods import DateRange, buckets, local_day, period_of, previous_range, utc_window

D = dt.date


@pytest.mark.parametrize(("start", "end", "prev_start", "prev_end"), [
    (D(2026, 11, 1), D(2026, 11, 30), D(2026, 10, 1), D(2026, 10, 31)),  # a whole month: the month before
    (D(2026, 3, 1), D(2026, 3, 31), D(2026, 2, 1), D(2026, 2, 28)),  # ... of another length
    (D(2026, 1, 1), D(2026, 1, 31), D(2025, 12, 1), D(2025, 12, 31)),  # across a year
    (D(2026, 11, 2), D(2026, 11, 8), D(2026, 10, 26), D(2026, 11, 1)),  # an ISO week: the week before
    (D(2026, 11, 5), D(2026, 11, 5), D(2026, 11, 4), D(2026, 11, 4)),  # a day: the day before
    (D(2026, 11, 3), D(2026, 12, 2), D(2026, 10, 4), D(2026, 11, 2)),  # 30 days: the 30 before
])
def test_previous_range(start: dt.date, end: dt.date, prev_start: dt.date, prev_end: dt.date) -> None:
    assert previous_range(DateRange(start, end)) == DateRange(prev_start, prev_end)


def test_a_range_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="结束日期"):
        DateRange(D(2026, 11, 2), D(2026, 11, 1))


def test_buckets_clip_weeks_and_months_to_the_range() -> None:
    november = DateRange(D(2026, 11, 1), D(2026, 11, 30))  # 1 Nov 2026 is a Sunday
    weeks = buckets(november, "week")
    assert [k for k, _ in weeks] == ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    assert weeks[0][1] == DateRange(D(2026, 11, 1), D(2026, 11, 1))
    assert weeks[-1][1] == DateRange(D(2026, 11, 30), D(2026, 11, 30))
    assert sum(part.days for _, part in weeks) == 30
    assert len(buckets(november, "day")) == 30
    months = buckets(DateRange(D(2026, 10, 15), D(2026, 12, 3)), "month")
    assert [(k, p.days) for k, p in months] == [("2026-10", 17), ("2026-11", 30), ("2026-12", 3)]


def test_period_of_a_day() -> None:
    assert period_of(D(2026, 11, 5), "week") == DateRange(D(2026, 11, 2), D(2026, 11, 8))
    assert period_of(D(2024, 2, 10), "month") == DateRange(D(2024, 2, 1), D(2024, 2, 29))  # leap year


def test_local_days_at_utc_plus_8() -> None:
    assert local_day(dt.datetime(2026, 11, 1, 15, 59), 8) == D(2026, 11, 1)
    assert local_day(dt.datetime(2026, 11, 1, 16, 0), 8) == D(2026, 11, 2)  # local midnight
    assert utc_window(DateRange(D(2026, 11, 2), D(2026, 11, 2)), 8) == (
        dt.datetime(2026, 11, 1, 16, 0), dt.datetime(2026, 11, 2, 16, 0))
