"""Ranking (pure numpy): question scores -> entry scores, score fusion, top-k.

An entry scores by its best-matching question. Answer-aware re-ranking then orders the candidate entries by
that score plus a weighted query-answer similarity, which separates near-duplicate questions with different
answers (手机银行 vs 电话银行 查询公积金); each candidate keeps its question score as the confidence the answer
policy reads, so the thresholds keep their meaning. Fusion standardises each scorer's scores over the same
candidate set (z-scores) before a weighted sum, so scorers with different ranges can be combined.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class Candidate:
    entry: int  # index of the entry
    question: int  # index of its best-matching question
    score: float  # that question's cosine with the query
    confidence: float | None = None  # calibrated probability that this is the right entry (learned re-ranker)


def brute_force_top_k(query: np.ndarray, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Inner-product top-k of each query row against ``vectors`` (the oracle FAISS results are checked against)."""
    scores = np.atleast_2d(query) @ vectors.T
    k = min(k, vectors.shape[0])
    idx = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, idx, axis=1), idx


def best_question_per_entry(question_ids: Sequence[int], scores: Sequence[float],
                            question_entry: np.ndarray) -> list[Candidate]:
    """Collapse scored questions to entries (max over each entry's questions), best first."""
    best: dict[int, Candidate] = {}
    for qid, score in zip(question_ids, scores, strict=True):
        if qid < 0:
            continue  # FAISS pads missing results with -1
        entry = int(question_entry[qid])
        if entry not in best or score > best[entry].score:
            best[entry] = Candidate(entry, int(qid), float(score))
    return sorted(best.values(), key=lambda c: (-c.score, c.entry))


@dataclass(frozen=True)
class AnswerSignal:
    """Answer-aware re-ranking: ``weight`` x cosine(query, answer), the answer cut to its first ``chars``
    characters before encoding (weight 0 turns it off)."""

    weight: float
    chars: int

    def __post_init__(self) -> None:
        if self.weight < 0 or self.chars < 1:
            raise ValueError(f"answer signal needs weight >= 0 and chars >= 1, got {self.weight}, {self.chars}")

    @property
    def active(self) -> bool:
        return self.weight > 0


def rerank_with_answers(candidates: Sequence[Candidate], answer_scores: Sequence[float],
                        weight: float) -> list[Candidate]:
    """``candidates`` ordered by score + weight x answer score (ties: question score, then entry index)."""
    if len(candidates) != len(answer_scores):
        raise ValueError("one answer score per candidate")
    keyed = [(c.score + weight * float(a), c) for c, a in zip(candidates, answer_scores, strict=True)]
    return [c for _, c in sorted(keyed, key=lambda kc: (-kc[0], -kc[1].score, kc[1].entry))]


def zscores(values: np.ndarray) -> np.ndarray:
    """Standardised scores; a constant vector maps to zeros."""
    std = float(values.std())
    return (values - values.mean()) / std if std > 1e-9 else np.zeros_like(values)


def fuse(score_columns: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """Weighted sum of z-scored columns (one column per scorer, same candidates in the same order)."""
    if len(score_columns) != len(weights) or not score_columns:
        raise ValueError("one weight per score column")
    return np.sum([w * zscores(np.asarray(c, dtype=np.float64)) for c, w in zip(score_columns, weights, strict=True)],
                  axis=0)


def verbatim_first(candidates: Sequence[Candidate], entries: set[int]) -> list[Candidate]:
    """A query that is word for word a question of exactly one entry gets that entry first with confidence 1:
    the KB itself says where that wording belongs (a customer clicking a suggested question, a trainer trying
    an entry). The re-ranker never saw such a query - leave-one-out removes the query's own question - so its
    probability for an exact match is no better informed than for a paraphrase. A wording filed under several
    entries is a conflict (``python -m kb_index lint``) and stays with the re-ranker."""
    if len(entries) != 1:
        return list(candidates)
    (entry,) = entries
    exact = [dataclasses.replace(c, confidence=1.0) for c in candidates if c.entry == entry]
    return exact + [c for c in candidates if c.entry != entry]
