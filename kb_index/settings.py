"""The knowledge base's one settings object (extends ``common.settings.CommonSettings``), from the environment,
validated at start-up, with embedded-mode defaults.

Thresholds are tuned on the dev data only (README "Knowledge base"); scores are cosine similarities of the
configured encoder.
"""

from __future__ import annotations

from pathlib import Path

from common.settings import ROOT, CommonSettings, env
from kb_index.ranking import AnswerSignal


class KbSettings(CommonSettings):
    faq_dir: Path = env("KB_FAQ_DIR", "faq_dir", ROOT / "kb_index" / "faq")
    encoder: str = env("KB_ENCODER", "encoder", "e5-sym")
    index_type: str = env("KB_INDEX_TYPE", "index_type", "flat")
    answer_threshold: float = env("KB_ANSWER_THRESHOLD", "answer_threshold", 0.93)
    suggest_threshold: float = env("KB_SUGGEST_THRESHOLD", "suggest_threshold", 0.90)
    # answer-aware re-ranking (README "Knowledge base"): weight chosen on bank_faq leave-one-out queries, 0 = off
    answer_weight: float = env("KB_ANSWER_WEIGHT", "answer_weight", 0.2)
    answer_chars: int = env("KB_ANSWER_CHARS", "answer_chars", 32)

    @property
    def answer_signal(self) -> AnswerSignal:
        return AnswerSignal(self.answer_weight, self.answer_chars)

    @property
    def kb_dir(self) -> Path:
        return self.data_dir / "kb"

    @property
    def unanswered_path(self) -> Path:
        return self.data_dir / "kb" / "unanswered.db"
