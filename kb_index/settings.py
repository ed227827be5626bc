"""The knowledge base's one settings object (extends ``common.settings.CommonSettings``), from the environment,
validated at start-up, with embedded-mode defaults.

The cosine thresholds were tuned on the dev data (README "Knowledge base"); the learned re-ranker's
probability thresholds on the leave-one-out questions of the KBs themselves, never on dev data.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from common.settings import ROOT, CommonSettings, env

if TYPE_CHECKING:  # ranking imports numpy: reading settings must not load it before kb_index.threads runs
    from kb_index.policy import Thresholds
    from kb_index.ranking import AnswerSignal
    from kb_index.reranker import RerankerConfig


class KbSettings(CommonSettings):
    faq_dir: Path = env("KB_FAQ_DIR", "faq_dir", ROOT / "kb_index" / "faq")
    encoder: str = env("KB_ENCODER", "encoder", "e5-sym")
    index_type: str = env("KB_INDEX_TYPE", "index_type", "flat")
    answer_threshold: float = env("KB_ANSWER_THRESHOLD", "answer_threshold", 0.93)
    suggest_threshold: float = env("KB_SUGGEST_THRESHOLD", "suggest_threshold", 0.90)
    # answer-aware re-ranking (README "Knowledge base"): weight chosen on bank_faq leave-one-out queries, 0 = off
    answer_weight: float = env("KB_ANSWER_WEIGHT", "answer_weight", 0.2)
    answer_chars: int = env("KB_ANSWER_CHARS", "answer_chars", 32)
    # learned re-ranker (README "Knowledge base"), trained at build time on the KB's own leave-one-out questions:
    # its calibrated probability answers and suggests; the two cosine thresholds above then gate OOD questions
    reranker: bool = env("KB_RERANKER", "reranker", True)
    answer_confidence: float = env("KB_ANSWER_CONFIDENCE", "answer_confidence", 0.80, ge=0, le=1)
    suggest_confidence: float = env("KB_SUGGEST_CONFIDENCE", "suggest_confidence", 0.2, ge=0, le=1)
    # threads and time budget under load (kb_index.threads, kb_index.budget; README "Speed"): 0 = sized from the
    # cores the process may use; KB_THREAD_CONFIG=0 leaves the libraries at their defaults (benchmark baseline)
    thread_config: bool = env("KB_THREAD_CONFIG", "thread_config", True)
    threads: int = env("KB_THREADS", "threads", 0, ge=0)
    workers: int = env("KB_WORKERS", "workers", 0, ge=0)
    build_threads: int = env("KB_BUILD_THREADS", "build_threads", 0, ge=0)
    build_nice: int = env("KB_BUILD_NICE", "build_nice", 10, ge=0, le=19)
    query_budget_ms: float = env("KB_QUERY_BUDGET_MS", "query_budget_ms", 300.0, gt=0)
    lexical_suggest_threshold: float = env("KB_LEXICAL_SUGGEST_THRESHOLD", "lexical_suggest_threshold", 0.5)

    @property
    def answer_signal(self) -> AnswerSignal:
        from kb_index.ranking import AnswerSignal

        return AnswerSignal(self.answer_weight, self.answer_chars)

    @property
    def reranker_config(self) -> RerankerConfig | None:
        from kb_index.reranker import RerankerConfig

        return RerankerConfig() if self.reranker else None

    @property
    def thresholds(self) -> Thresholds:
        from kb_index.policy import Thresholds

        return Thresholds(self.answer_threshold, self.suggest_threshold,
                          answer_confidence=self.answer_confidence, suggest_confidence=self.suggest_confidence)

    @property
    def kb_dir(self) -> Path:
        return self.data_dir / "kb"

    @property
    def unanswered_path(self) -> Path:
        return self.data_dir / "kb" / "unanswered.db"
