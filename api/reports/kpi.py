"""Service-quality KPIs, pure (oracle-tested): what the surveys after human service add up to."""

from __future__ import annotations

from typing import Iterable


def nps_score(scores: Iterable[int]) -> float:
    """Net promoter score on 0-10 answers: % promoters (9-10) minus % detractors (0-6), rounded to 2 places;
    0.0 when nobody answered. Passives (7-8) count only in the total."""
    answers = list(scores)
    if not answers:
        return 0.0
    promoters = sum(s >= 9 for s in answers)
    detractors = sum(s <= 6 for s in answers)
    return round(100.0 * (promoters - detractors) / len(answers), 2)
