"""Features of (query, candidate entry) pairs for the learned re-ranker (pure numpy over one KB's data).

The same code serves a customer's query and a leave-one-out training query (a KB question removed from the
KB for its own query, with, by default, all but one of its entry's other questions: ``kb_index.reranker``):
``held_out`` names the removed questions, and every feature is computed as if they were not in the KB - they
are not candidate questions, their words leave the BM25 statistics, their similarities leave their entry's mean
and second-best cosine, their words leave its coverage. A training query that could see its own question would
learn that a near-copy always exists, which a customer's query never has.

Per candidate (the top ``CANDIDATES`` entries by their best question's cosine):
* e5 question cosines: best, gap to the best candidate, rank, mean and second best over the entry's questions;
* e5 cosine of the query with the answer's start (``passage:``), its gap and rank, and the question+answer
  score of the answer-aware ranking with its rank;
* BM25 over jieba words and over character 1-2-grams (best question of the entry), relative to the best
  candidate, and rank; the share of the query's words found in the entry's questions; BM25 of the query
  over the words of the answer's start (``ANSWER_WORD_CHARS``), relative and rank;
* lengths of the query, the best question and the answer;
* agreement on business terms (``kb_index.terms``) with the best question and with the answer, per group.

No feature counts an entry's questions. Leave-one-out queries only come from entries with several questions,
so a count teaches the model that an entry with one question is never the answer, and real queries mostly ask
about such entries (bank_faq: 7,524 of 7,834 entries have one question; with the count, dev top-1 fell to
0.28). Counted without the held-out question it is worse still: on a KB whose entries all have six questions
the one candidate with five is the answer (out-of-fold top-1 0.97 against 0.53 on this project's KB, none of
it real).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from kb_index.lexical import Bm25, char_ngrams, word_tokens
from kb_index.ranking import Candidate, best_question_per_entry
from kb_index.terms import GROUPS, Labels, agreement, term_labels

CANDIDATES = 50  # entries the re-ranker orders (bank KB leave-one-out: right entry among them 0.77 at 30, 0.82 at 50)
FETCH = 300  # nearest questions searched to find them (200 for 30)
ANSWER_WEIGHT = 0.2  # the answer-aware ranking's weight, one of the features
ANSWER_TERM_CHARS = 64  # business terms are read from the start of an answer
ANSWER_WORD_CHARS = 200  # the answer's words BM25 reads

FEATURES = (
    "qcos", "qcos_gap", "qcos_rank", "qcos_mean", "qcos_second",
    "acos", "acos_gap", "acos_rank", "combined_gap", "combined_rank",
    "bm25_words", "bm25_words_ratio", "bm25_words_rank", "bm25_chars", "bm25_chars_ratio", "bm25_chars_rank",
    "word_coverage", "answer_bm25", "answer_bm25_ratio", "answer_bm25_rank",
    "query_len", "question_len", "answer_len", "len_diff",
    *(f"terms_q_{g}" for g in GROUPS), *(f"terms_a_{g}" for g in GROUPS), "terms_conflicts",
    "question_coverage", "char_jaccard", "terms_missing", "terms_extra", "terms_entry_conflicts",
)


@dataclass(frozen=True)
class KbFeatureData:
    """What the features read about one KB, built once per index version."""

    question_vectors: np.ndarray  # (questions, dims), unit rows
    question_entry: np.ndarray  # (questions,) entry of each question
    entry_questions: tuple[np.ndarray, ...]  # question ids of each entry
    answer_vectors: np.ndarray | None  # (entries, dims) or None for a KB without answers
    words: Bm25
    chars: Bm25
    answer_words: Bm25  # one document per entry
    question_words: tuple[frozenset[str], ...]
    question_bigrams: tuple[frozenset[str], ...]
    question_labels: tuple[Labels, ...]
    answer_labels: tuple[Labels, ...]
    question_len: np.ndarray
    answer_len: np.ndarray

    @classmethod
    def build(cls, question_text: Sequence[str], question_entry: np.ndarray, question_vectors: np.ndarray,
              answers: Sequence[str], answer_vectors: np.ndarray | None) -> KbFeatureData:
        """``answers``: each entry's normalised answer ('' when it has none)."""
        question_entry = np.asarray(question_entry, dtype=np.int64)
        order = np.argsort(question_entry, kind="stable")
        bounds = np.searchsorted(question_entry[order], np.arange(len(answers) + 1))
        words = [word_tokens(t) for t in question_text]
        return cls(
            question_vectors=np.asarray(question_vectors, dtype=np.float32), question_entry=question_entry,
            entry_questions=tuple(order[bounds[e]:bounds[e + 1]] for e in range(len(answers))),
            answer_vectors=answer_vectors if answer_vectors is not None and any(answers) else None,
            words=Bm25(words), chars=Bm25([char_ngrams(t) for t in question_text]),
            answer_words=Bm25([word_tokens(a[:ANSWER_WORD_CHARS]) for a in answers]),
            question_words=tuple(frozenset(w) for w in words),
            question_bigrams=tuple(frozenset(_bigrams(t)) for t in question_text),
            question_labels=tuple(term_labels(t) for t in question_text),
            answer_labels=tuple(term_labels(a[:ANSWER_TERM_CHARS]) for a in answers),
            question_len=np.array([len(t) for t in question_text], np.float64),
            answer_len=np.array([len(a) for a in answers], np.float64),
        )


def _bigrams(text: str) -> list[str]:
    chars = [c for c in text if not c.isspace()]
    return [a + b for a, b in zip(chars, chars[1:], strict=False)] or chars


def _labels(labels: Labels) -> set[tuple[str, str]]:
    return {(group, label) for group, names in labels.items() for label in names}


def candidates_from_questions(question_ids: Sequence[int], scores: Sequence[float], question_entry: np.ndarray,
                              limit: int = CANDIDATES) -> list[Candidate]:
    """The ``limit`` best entries among scored questions (best first): how serving and training both pick the
    entries the re-ranker sees."""
    return best_question_per_entry(question_ids, scores, question_entry)[:limit]


def loo_candidates(data: KbFeatureData, query_vector: np.ndarray, held_out: Sequence[int] | np.ndarray = (),
                   fetch: int = FETCH, limit: int = CANDIDATES) -> list[Candidate]:
    """What the vector index would return for a KB question used as a query with the ``held_out`` questions
    (itself among them) removed from the KB (exact search)."""
    scores = data.question_vectors @ query_vector
    removed = np.unique(np.asarray(held_out, dtype=np.int64))
    scores[removed] = -np.inf
    fetch = min(fetch, scores.size - removed.size)
    if fetch <= 0:
        return []
    top = np.argpartition(-scores, fetch - 1)[:fetch]
    top = top[np.lexsort((top, -scores[top]))]
    return candidates_from_questions(top.tolist(), scores[top].tolist(), data.question_entry, limit)


def _rank(values: np.ndarray) -> np.ndarray:
    """0 for the largest value, ties broken by position."""
    ranks = np.empty(values.size)
    ranks[np.lexsort((np.arange(values.size), -values))] = np.arange(values.size)
    return ranks


def _ratio(values: np.ndarray) -> np.ndarray:
    top = values.max() if values.size else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def candidate_features(data: KbFeatureData, query: str, query_vector: np.ndarray, candidates: Sequence[Candidate],
                       held_out: Sequence[int] | np.ndarray = ()) -> np.ndarray:
    """One row of ``FEATURES`` per candidate (normalised query text, its unit vector), as if the ``held_out``
    questions were not in the KB."""
    n = len(candidates)
    if not n:
        return np.zeros((0, len(FEATURES)))
    entries = np.array([c.entry for c in candidates], dtype=np.int64)
    removed = np.asarray(held_out, dtype=np.int64)
    own = [q[~np.isin(q, removed)] if removed.size else q for q in (data.entry_questions[e] for e in entries)]
    lengths = np.array([q.size for q in own], np.int64)
    all_ids = np.concatenate(own)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    cos = data.question_vectors[all_ids] @ query_vector
    query_words = word_tokens(query)
    words = data.words.scores(query_words, all_ids, held_out)
    chars = data.chars.scores(char_ngrams(query), all_ids, held_out)
    per_entry = [slice(offsets[i], offsets[i + 1]) for i in range(n)]
    qcos = np.array([cos[s].max() for s in per_entry])
    second = np.array([np.sort(cos[s])[-2] if s.stop - s.start > 1 else np.nan for s in per_entry])
    mean = np.array([cos[s].mean() for s in per_entry])
    best_words = np.array([words[s].max() for s in per_entry])
    best_chars = np.array([chars[s].max() for s in per_entry])
    best_question = np.array([c.question for c in candidates], dtype=np.int64)
    if data.answer_vectors is not None:
        acos = data.answer_vectors[entries] @ query_vector
        acos_gap, acos_rank = acos - acos.max(), _rank(acos)
        combined = qcos + ANSWER_WEIGHT * acos
    else:
        acos = acos_gap = acos_rank = np.full(n, np.nan)
        combined = qcos
    answer_words = data.answer_words.scores(query_words, entries)
    unique_words = set(query_words)
    coverage = np.array([
        len(unique_words & frozenset().union(*(data.question_words[q] for q in ids))) / max(1, len(unique_words))
        for ids in own])
    query_labels = term_labels(query)
    terms_q = np.array([list(agreement(query_labels, data.question_labels[q]).values()) for q in best_question],
                       np.float64).reshape(n, len(GROUPS))
    terms_a = np.array([list(agreement(query_labels, data.answer_labels[e]).values()) for e in entries],
                       np.float64).reshape(n, len(GROUPS))
    conflicts = ((terms_q < 0) | (terms_a < 0)).sum(axis=1)
    question_coverage = np.array([len(unique_words & data.question_words[q]) / max(1, len(data.question_words[q]))
                                  for q in best_question])
    query_bigrams = frozenset(_bigrams(query))
    jaccard = np.array([len(query_bigrams & data.question_bigrams[q])
                        / max(1, len(query_bigrams | data.question_bigrams[q])) for q in best_question])
    asked = _labels(query_labels)
    named = [set().union(*(_labels(data.question_labels[q]) for q in ids), _labels(data.answer_labels[e]))
             for ids, e in zip(own, entries.tolist(), strict=True)]
    missing = np.array([len(asked - n) for n in named], np.float64)
    extra = np.array([len(_labels(data.question_labels[q]) - asked) for q in best_question], np.float64)
    entry_conflicts = np.array([sum(1 for g, labels in query_labels.items()
                                    if (theirs := {lab for grp, lab in n if grp == g}) and not theirs & labels)
                                for n in named], np.float64)
    question_len = data.question_len[best_question]
    columns = [
        qcos, qcos - qcos.max(), _rank(qcos), mean, second,
        acos, acos_gap, acos_rank, combined - combined.max(), _rank(combined),
        best_words, _ratio(best_words), _rank(best_words), best_chars, _ratio(best_chars), _rank(best_chars),
        coverage, answer_words, _ratio(answer_words), _rank(answer_words),
        np.full(n, float(len(query))), question_len, data.answer_len[entries],
        np.abs(question_len - len(query)),
    ]
    return np.column_stack([*columns, terms_q, terms_a, conflicts, question_coverage, jaccard, missing, extra,
                            entry_conflicts]).astype(np.float64)
