"""Evaluation outcome rates against hand-counted tables: direct answers and their precision, suggestions and
whether the right entry is among them, fallbacks, OOD questions answered or suggested; the same policy
outcomes on a re-ranker's leave-one-out report."""

from __future__ import annotations

from typing import Sequence

import pytest

from kb_index.evaluate import evaluate, loo_policy_outcomes, lowest_threshold, threshold_sweep, wilson_lower_bound
from kb_index.policy import Scored, Thresholds

THRESHOLDS = Thresholds(answer=0.9, suggest=0.8, answer_confidence=0.7, suggest_confidence=0.2,
                        suggestion_floor=0.05)
RESULTS: dict[str, list[Scored]] = {  # query -> candidates as the index returns them (cosine, probability)
    "answered right": [Scored("A", "", 0.95, 0.9), Scored("B", "", 0.9, 0.05)],
    "answered wrong": [Scored("B", "", 0.95, 0.8), Scored("A", "", 0.94, 0.1)],
    "suggested, right among them": [Scored("B", "", 0.92, 0.5), Scored("A", "", 0.9, 0.3)],
    "suggested, right missing": [Scored("B", "", 0.92, 0.5), Scored("C", "", 0.9, 0.3), Scored("A", "", 0.7, 0.1)],
    "unsure": [Scored("A", "", 0.92, 0.1)],
    "ood answered": [Scored("C", "", 0.93, 0.75)],
    "ood suggested": [Scored("C", "", 0.85, 0.9)],
    "ood rejected": [Scored("C", "", 0.7, 0.9)],
}


def search(text: str, k: int) -> Sequence[Scored]:
    return RESULTS.get(text, [])[:k]


def test_outcome_rates_are_counted_per_decision() -> None:
    queries = [(q, "A") for q in ("answered right", "answered wrong", "suggested, right among them",
                                  "suggested, right missing", "unsure")]
    result = evaluate(search, queries, ["ood answered", "ood suggested", "ood rejected", "ood rejected"], THRESHOLDS)
    assert (result.n, result.top1, result.top3) == (5, 0.4, 1.0)  # A is 3rd, yet under the suggest gate
    assert result.in_domain_answer_rate == pytest.approx(2 / 5) and result.answer_precision == pytest.approx(0.5)
    assert result.suggest_rate == pytest.approx(2 / 5) and result.suggest_hit_rate == pytest.approx(0.5)
    assert result.fallback_rate == pytest.approx(1 / 5)
    assert (result.ood_answer_rate, result.ood_suggest_rate) == (0.25, 0.25)


def test_leave_one_out_outcomes_from_a_reranker_report() -> None:
    report = {"probabilities": [[0.9, 0.05], [0.8, 0.1], [0.5, 0.3, 0.1], [0.1]],
              "cosines": [[0.95, 0.9], [0.95, 0.94], [0.92, 0.9, 0.85], [0.95]],
              "right": [0, 1, 2, 0]}
    outcomes = loo_policy_outcomes(report, THRESHOLDS)
    assert outcomes == {"answered": 2, "answer_rate": 0.5, "answer_precision": 0.5, "suggest_rate": 0.25,
                        "suggest_hit_rate": 1.0, "fallback_rate": 0.25}


def test_threshold_sweep_and_the_lowest_threshold_reaching_a_precision() -> None:
    report = {"probabilities": [[0.95], [0.85], [0.75], [0.65], [0.55]],
              "cosines": [[0.95], [0.95], [0.95], [0.95], [0.95]],
              "right": [0, 0, 1, 0, 1]}  # the 0.75 and 0.55 queries' best entries are wrong
    sweep = threshold_sweep(report, THRESHOLDS, [0.5, 0.6, 0.7, 0.8, 0.9])
    assert [(row["answer_rate"], row["answer_precision"]) for row in sweep] == \
        [(1.0, 0.6), (0.8, 0.75), (0.6, 2 / 3), (0.4, 1.0), (0.2, 1.0)]
    assert lowest_threshold(sweep, 0.9) == 0.8
    assert lowest_threshold(sweep, 0.7) == 0.6
    assert lowest_threshold(sweep[:3], 0.9) is None


def test_wilson_lower_bound_against_hand_computed_values() -> None:
    # all right: the closed form n / (n + z^2), z = 1.6449 at 95 % one-sided
    assert wilson_lower_bound(10, 10, 0.95) == pytest.approx(10 / (10 + 1.644854 ** 2), abs=1e-6)
    # 90 of 100, by hand: (0.9 + z²/200 - z·sqrt(0.09/100 + z²/40000)) / (1 + z²/100) = 0.83964
    assert wilson_lower_bound(90, 100, 0.95) == pytest.approx(0.83964, abs=1e-5)
    assert wilson_lower_bound(0, 10, 0.95) == 0.0 and wilson_lower_bound(0, 0, 0.95) == 0.0
    assert wilson_lower_bound(900, 1000, 0.95) > wilson_lower_bound(90, 100, 0.95)  # more evidence, tighter
    assert wilson_lower_bound(90, 100, 0.5) == pytest.approx(0.9)  # z = 0: the point estimate
    with pytest.raises(ValueError):
        wilson_lower_bound(9, 10, 1.0)


def test_lowest_threshold_with_a_margin_needs_enough_answers() -> None:
    sweep = [  # (probability, answered, precision): 0.75 reaches 0.9 by its point estimate only
        {"answer_confidence": 0.7, "answered": 400, "answer_rate": 0.4, "answer_precision": 0.88},
        {"answer_confidence": 0.75, "answered": 300, "answer_rate": 0.3, "answer_precision": 0.91},
        {"answer_confidence": 0.8, "answered": 250, "answer_rate": 0.25, "answer_precision": 0.94},
        {"answer_confidence": 0.85, "answered": 20, "answer_rate": 0.02, "answer_precision": 1.0},
    ]
    assert lowest_threshold(sweep, 0.9) == 0.75
    # 273 of 300: lower bound 0.879 < 0.9; 235 of 250: 0.910 >= 0.9
    assert lowest_threshold(sweep, 0.9, 0.95) == 0.8
    assert lowest_threshold(sweep[3:], 0.9, 0.95) is None  # 20 of 20 right: bound 0.881, too few to tell
