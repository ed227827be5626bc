"""The answer policy (pure): answer, suggest up to three questions, or admit the bot does not know.

Two regimes, chosen by what the index gives:
* with the learned re-ranker each candidate carries ``confidence``, the calibrated probability that it is the
  right entry: answer when the best one's confidence reaches ``answer_confidence``, suggest when it reaches
  ``suggest_confidence``. The question cosine stays an out-of-domain gate (an answer needs ``answer``, a
  suggestion ``suggest``): the re-ranker learned to order KB questions, and its probability separates banking
  from general questions poorly, while the cosine does that well;
* without it (a KB with too few multi-question entries) the cosine alone against ``answer`` / ``suggest``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Sequence


class Action(str, Enum):
    ANSWER = "answer"  # score >= answer threshold: answer, then ask 这个回答对您有帮助吗
    SUGGEST = "suggest"  # suggest threshold <= score < answer threshold: 您是不是想问 + question buttons
    FALLBACK = "fallback"  # below: apologise, suggest rephrasing, offer a human


@dataclass(frozen=True)
class Scored:
    entry_id: str
    question: str
    score: float  # question cosine
    confidence: float | None = None  # calibrated probability of being the right entry (re-ranked indexes)


@dataclass(frozen=True)
class Decision:
    action: Action
    best: Scored | None
    suggestions: tuple[Scored, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Thresholds:
    answer: float  # cosine
    suggest: float  # cosine
    max_suggestions: int = 3
    answer_confidence: float = 0.80  # calibrated probability (README "Knowledge base": chosen on LOO queries)
    suggest_confidence: float = 0.2
    suggestion_floor: float = 0.05  # the 2nd and 3rd suggestions need at least this probability

    def __post_init__(self) -> None:
        if not self.suggest <= self.answer:
            raise ValueError(f"suggest threshold {self.suggest} must not exceed answer threshold {self.answer}")
        if not 0 <= self.suggestion_floor <= self.suggest_confidence <= self.answer_confidence <= 1:
            raise ValueError("confidence thresholds must be probabilities with suggestion floor <= suggest <= "
                             f"answer, got {self.suggestion_floor}, {self.suggest_confidence}, "
                             f"{self.answer_confidence}")


def decide(candidates: Sequence[Scored], thresholds: Thresholds) -> Decision:
    """Apply the two thresholds to candidates sorted best first (one per entry)."""
    if not candidates or candidates[0].score < thresholds.suggest:
        return Decision(Action.FALLBACK, candidates[0] if candidates else None)
    best = candidates[0]
    if best.confidence is not None:
        return _decide_calibrated(candidates, thresholds)
    if best.score >= thresholds.answer:
        return Decision(Action.ANSWER, best)
    suggestions = tuple(c for c in candidates if c.score >= thresholds.suggest)[: thresholds.max_suggestions]
    return Decision(Action.SUGGEST, best, suggestions)


def _decide_calibrated(candidates: Sequence[Scored], thresholds: Thresholds) -> Decision:
    """The re-ranker's regime: ``candidates`` in its order, the best one past the suggest cosine gate."""
    best = candidates[0]
    confidence = best.confidence or 0.0
    if confidence >= thresholds.answer_confidence and best.score >= thresholds.answer:
        return Decision(Action.ANSWER, best)
    if confidence < thresholds.suggest_confidence:
        return Decision(Action.FALLBACK, best)
    suggestions = (best, *(c for c in candidates[1:thresholds.max_suggestions]
                           if c.score >= thresholds.suggest and (c.confidence or 0.0) >= thresholds.suggestion_floor))
    return Decision(Action.SUGGEST, best, suggestions)
