"""The answer policy (pure): answer, suggest up to three questions, or admit the bot does not know."""

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
    score: float


@dataclass(frozen=True)
class Decision:
    action: Action
    best: Scored | None
    suggestions: tuple[Scored, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Thresholds:
    answer: float
    suggest: float
    max_suggestions: int = 3

    def __post_init__(self) -> None:
        if not self.suggest <= self.answer:
            raise ValueError(f"suggest threshold {self.suggest} must not exceed answer threshold {self.answer}")


def decide(candidates: Sequence[Scored], thresholds: Thresholds) -> Decision:
    """Apply the two thresholds to candidates sorted best first (one per entry)."""
    if not candidates or candidates[0].score < thresholds.suggest:
        return Decision(Action.FALLBACK, candidates[0] if candidates else None)
    best = candidates[0]
    if best.score >= thresholds.answer:
        return Decision(Action.ANSWER, best)
    suggestions = tuple(c for c in candidates if c.score >= thresholds.suggest)[: thresholds.max_suggestions]
    return Decision(Action.SUGGEST, best, suggestions)
