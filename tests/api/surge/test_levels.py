"""Surge levels driven by a simulated queue through both levels and back (oracle table), with hysteresis."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.surge.levels import Bounds, LevelRule, QueueStats, SurgeRules, next_level

RULES = SurgeRules()  # L1: enter 10 / 180 s / 3, exit 5 / 90 s / 1.5; L2: enter 25 / 480 s / 6, exit 15 / 240 s / 4


def test_a_simulated_queue_goes_through_both_levels_and_back() -> None:
    # (queued, longest wait, agents online, seconds since the last change) -> the level after it
    steps = [
        ((4, 30, 4, 999), 0),
        ((9, 170, 4, 999), 0),  # below every level-1 entry threshold
        ((10, 60, 4, 999), 1),  # queue length reaches 10
        ((7, 100, 4, 10), 1),  # above level 1's exit: stays (hysteresis)
        ((20, 300, 4, 10), 1),  # 20/4 = 5 per agent < 6, 300 s < 480 s, 20 < 25
        ((24, 490, 4, 10), 2),  # the longest wait reaches level 2
        ((14, 200, 4, 30), 2),  # clears level 2's exit but has held only 30 s
        ((14, 200, 4, 130), 1),  # held 130 s: one level down
        ((3, 60, 4, 10), 1),  # clears level 1's exit, held too briefly
        ((3, 60, 4, 130), 0),  # back to normal
        ((1, 10, 0, 999), 0),  # nobody online: the ratio does not count, one customer alone is no surge
        ((10, 10, 0, 999), 1),  # ... the queue's length does
    ]
    level = 0
    for (queued, wait, agents, held), expected in steps:
        level = next_level(level, QueueStats(queued, wait, agents), RULES, held)
        assert level == expected, (queued, wait, agents, held)


def test_level2_entered_directly_and_left_one_level_at_a_time() -> None:
    flood = QueueStats(30, 10, 10)
    assert next_level(0, flood, RULES, 0) == 2
    calm = QueueStats(0, 0, 10)
    assert next_level(2, calm, RULES, 500) == 1 and next_level(1, calm, RULES, 500) == 0


@pytest.mark.parametrize(("stats", "per_agent"), [(QueueStats(6, 0, 4), 1.5), (QueueStats(0, 0, 0), 0.0),
                                                  (QueueStats(2, 0, 0), 0.0)])
def test_waiting_customers_per_available_agent(stats: QueueStats, per_agent: float) -> None:
    assert stats.per_agent == per_agent


def test_thresholds_without_hysteresis_or_level2_below_level1_are_refused() -> None:
    with pytest.raises(ValidationError, match="exit threshold queued must be below"):
        LevelRule(enter=Bounds(queued=5, longest_wait_s=60, per_agent=2), exit=Bounds(queued=5, longest_wait_s=30,
                                                                                      per_agent=1))
    low = LevelRule(enter=Bounds(queued=8, longest_wait_s=600, per_agent=9), exit=Bounds(queued=4, longest_wait_s=60,
                                                                                         per_agent=1))
    with pytest.raises(ValidationError, match="level 2's entry threshold queued"):
        SurgeRules(level2=low)
