"""NPS against its definition, on hand-worked tables and on random answers (an independent count)."""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction

import pytest

from api.reports.kpi import nps_score


@pytest.mark.parametrize(("scores", "expected"), [
    ([], 0.0),
    ([10], 100.0),
    ([0], -100.0),
    ([7, 8], 0.0),  # passives only
    ([9, 10, 6, 7], 25.0),  # 2 promoters, 1 detractor, 1 passive of 4
    ([6, 9, 9], 33.33),  # rounded to 2 places
    ([5, 5, 9], -33.33),
])
def test_nps_table(scores: list[int], expected: float) -> None:
    assert nps_score(scores) == expected


def test_nps_matches_an_independent_count_on_random_answers() -> None:
    rng = random.Random(7)
    for _ in range(500):
        scores = [rng.randint(0, 10) for _ in range(rng.randint(1, 60))]
        by_score = Counter(scores)
        promoters = by_score[9] + by_score[10]
        detractors = sum(by_score[s] for s in range(7))
        expected = float(round(Fraction(100 * (promoters - detractors), len(scores)), 2))
        assert nps_score(scores) == pytest.approx(expected, abs=0.005)
        assert nps_score(iter(scores)) == nps_score(scores)  # any iterable
