"""The knowledge base's one settings object, from the environment, with embedded-mode defaults.

Thresholds are tuned on the dev data only (README "Knowledge base"); scores are cosine similarities of the
configured encoder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        return float(value) if value else default
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={value!r} is not a number") from exc


@dataclass(frozen=True)
class KbSettings:
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("DATA_DIR", ROOT / "var")))
    faq_dir: Path = field(default_factory=lambda: Path(os.environ.get("KB_FAQ_DIR", ROOT / "kb_index" / "faq")))
    encoder: str = field(default_factory=lambda: os.environ.get("KB_ENCODER", "e5-sym"))
    index_type: str = field(default_factory=lambda: os.environ.get("KB_INDEX_TYPE", "flat"))
    answer_threshold: float = field(default_factory=lambda: _env_float("KB_ANSWER_THRESHOLD", 0.93))
    suggest_threshold: float = field(default_factory=lambda: _env_float("KB_SUGGEST_THRESHOLD", 0.90))

    @property
    def kb_dir(self) -> Path:
        return self.data_dir / "kb"

    @property
    def unanswered_path(self) -> Path:
        return self.data_dir / "kb" / "unanswered.db"
