"""The knowledge base's one settings object, from the environment, with embedded-mode defaults.

Thresholds are tuned on the dev data only (README "Knowledge base"); scores are cosine similarities of the
configured encoder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kb_index.ranking import AnswerSignal

ROOT = Path(__file__).resolve().parent.parent


def env_number(name: str, default: float, kind: type = float) -> float:
    """``$name`` as a number of ``kind`` (float or int), or ``default`` when unset; a clear error when not one
    (shared with the bridge's settings)."""
    value = os.environ.get(name)
    try:
        return kind(value) if value else default
    except ValueError as exc:
        what = "an integer" if kind is int else "a number"
        raise ValueError(f"environment variable {name}={value!r} is not {what}") from exc


def _env_float(name: str, default: float) -> float:
    return env_number(name, default)


@dataclass(frozen=True)
class KbSettings:
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("DATA_DIR", ROOT / "var")))
    faq_dir: Path = field(default_factory=lambda: Path(os.environ.get("KB_FAQ_DIR", ROOT / "kb_index" / "faq")))
    encoder: str = field(default_factory=lambda: os.environ.get("KB_ENCODER", "e5-sym"))
    index_type: str = field(default_factory=lambda: os.environ.get("KB_INDEX_TYPE", "flat"))
    answer_threshold: float = field(default_factory=lambda: _env_float("KB_ANSWER_THRESHOLD", 0.93))
    suggest_threshold: float = field(default_factory=lambda: _env_float("KB_SUGGEST_THRESHOLD", 0.90))
    # answer-aware re-ranking (README "Knowledge base"): weight chosen on bank_faq leave-one-out queries, 0 = off
    answer_weight: float = field(default_factory=lambda: _env_float("KB_ANSWER_WEIGHT", 0.2))
    answer_chars: int = field(default_factory=lambda: int(env_number("KB_ANSWER_CHARS", 32, int)))

    @property
    def answer_signal(self) -> AnswerSignal:
        return AnswerSignal(self.answer_weight, self.answer_chars)

    @property
    def kb_dir(self) -> Path:
        return self.data_dir / "kb"

    @property
    def unanswered_path(self) -> Path:
        return self.data_dir / "kb" / "unanswered.db"
