"""The surge response in the reports (api/reports/surge_levels.py): time at each level per day against a
minute-by-minute brute force on random change sequences, hand-made cases, and the audit entries read back."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from api.reports.periods import DateRange
from api.reports.prometheus import Registry
from api.reports.surge_levels import LevelChange, metric_lines, parse_change, summary, time_at_levels

D1 = dt.date(2026, 11, 2)


def at(day: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 1 + day, hh, mm)


def change(when: dt.datetime, before: int, after: int, manual: bool = False) -> LevelChange:
    return LevelChange(when, before, after, manual)


def brute_force(changes: list[LevelChange], r: DateRange, now: dt.datetime) -> list[list[float]]:
    """Sample the level in the middle of every minute (changes fall on whole minutes)."""
    ordered = sorted(changes, key=lambda c: c.at)
    out = []
    day = r.start
    while day <= r.end:
        seconds = [0.0, 0.0, 0.0]
        t = dt.datetime.combine(day, dt.time())
        for _ in range(24 * 60):
            if t >= now:
                break
            probe = t + dt.timedelta(seconds=30)
            done = [c for c in ordered if c.at <= probe]
            level = done[-1].after if done else (ordered[0].before if ordered else 0)
            seconds[level] += 60
            t += dt.timedelta(minutes=1)
        out.append(seconds)
        day += dt.timedelta(days=1)
    return out


@pytest.mark.parametrize("seed", range(12))
def test_time_at_levels_matches_a_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    base = dt.datetime(2026, 11, 1)
    minutes = sorted(rng.sample(range(0, 5 * 24 * 60), rng.randint(0, 14)))
    changes, level = [], rng.choice((0, 1))
    for m in minutes:
        new = rng.choice([x for x in (0, 1, 2) if x != level])
        changes.append(change(base + dt.timedelta(minutes=m), level, new))
        level = new
    rng.shuffle(changes)  # any order
    r = DateRange(dt.date(2026, 11, 2), dt.date(2026, 11, 4))
    now = base + dt.timedelta(minutes=rng.randint(0, 6 * 24 * 60))
    got = time_at_levels(changes, r, now)
    assert [d.seconds for d in got] == brute_force(changes, r, now)
    assert [d.day for d in got] == ["2026-11-02", "2026-11-03", "2026-11-04"]
    for d in got:
        lo = dt.datetime.fromisoformat(d.day)
        assert d.changes == sum(1 for c in changes if lo <= c.at < lo + dt.timedelta(days=1))


def test_a_surge_across_midnight_and_the_day_in_progress() -> None:
    changes = [change(at(0, 22), 0, 1), change(at(1, 1), 1, 2, manual=True), change(at(1, 2, 30), 2, 0)]
    r = DateRange(D1, D1 + dt.timedelta(days=1))
    got = summary(changes, r, now=at(2, 6))  # the second day is today: six hours so far
    assert [d.seconds for d in got.days] == [[77400.0, 3600.0, 5400.0], [21600.0, 0.0, 0.0]]
    assert [d.changes for d in got.days] == [2, 0]  # the 22:00 change was the day before the period
    assert (got.changes, got.raised, got.lowered, got.manual) == (2, 1, 1, 1)
    assert got.seconds == [99000.0, 3600.0, 5400.0]


def test_no_changes_is_level_0_and_the_future_has_no_time() -> None:
    got = summary([], DateRange(D1, D1), now=at(0, 12))  # the period is after now
    assert got.days[0].seconds == [0.0, 0.0, 0.0] and got.changes == 0
    assert summary([], DateRange(D1, D1), now=at(5, 0)).days[0].seconds == [86400.0, 0.0, 0.0]


def test_parse_change_reads_the_audit_entry() -> None:
    when = at(1, 9)
    assert parse_change(when, "1->2", '{"manual": true, "reason": "演练"}') == change(when, 1, 2, True)
    assert parse_change(when, "2->1", None) == change(when, 2, 1)
    assert parse_change(when, "2->1", "not json") == change(when, 2, 1)
    assert parse_change(when, "3->1", None) is None
    assert parse_change(when, None, None) is None


def test_metric_lines() -> None:
    registry = Registry()
    registry.inc("bridge_surge_deflections_total")
    lines = metric_lines(2, [change(at(1, 1), 0, 2), change(at(1, 2), 2, 1)], registry)
    assert "bridge_surge_level 2" in lines
    assert 'bridge_surge_level_changes_total{direction="up"} 1' in lines
    assert 'bridge_surge_level_changes_total{direction="down"} 1' in lines
    assert "bridge_surge_deflections_total 1" in lines
    assert not any(line.startswith("bridge_surge_level ") for line in metric_lines(None, [], Registry()))
