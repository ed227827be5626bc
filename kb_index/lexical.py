"""Lexical scorers: character 1-3-gram TF-IDF over the KB questions, kept sparse (an 8.5k-question KB has
~100k n-gram columns), scored by cosine, an entry scoring by its best question like the dense index (the
baseline); and BM25 over jieba words or character n-grams, features of the learned re-ranker."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from kb_index.ranking import Candidate, best_question_per_entry


class CharTfidfScorer:
    name = "tfidf"

    def __init__(self, questions: Sequence[str], question_entry: Sequence[int]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if not questions:
            raise ValueError("no questions to fit the TF-IDF scorer on")
        self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(list(questions)).T.tocsr()  # n-grams x questions
        self._question_entry = np.asarray(question_entry, dtype=np.int64)

    def scores(self, text: str) -> np.ndarray:
        """Cosine of ``text`` with every question (rows are L2-normalised by the vectorizer)."""
        query = self._vectorizer.transform([text])
        return np.asarray((query @ self._matrix).todense()).ravel()

    def search(self, text: str, k: int = 5, fetch: int = 50) -> list[Candidate]:
        scores = self.scores(text)
        fetch = min(fetch, scores.size)
        top = np.argpartition(-scores, fetch - 1)[:fetch]
        top = top[np.argsort(-scores[top], kind="stable")]
        return best_question_per_entry(top.tolist(), scores[top].tolist(), self._question_entry)[:k]


def word_tokens(text: str) -> list[str]:
    """jieba words of a normalised text (business terms kept whole: 手机银行, 信用卡), punctuation and spaces
    dropped."""
    return [t for t in _jieba().lcut(text) if t.strip() and not _PUNCT.fullmatch(t)]


def char_ngrams(text: str) -> list[str]:
    """Character unigrams and bigrams of a text, spaces dropped."""
    chars = [c for c in text if not c.isspace()]
    return chars + [a + b for a, b in zip(chars, chars[1:], strict=False)]


_PUNCT = re.compile(r"[\W_]+")


@lru_cache(maxsize=1)
def _jieba() -> Any:
    """A private jieba tokenizer (the global one may carry another process's dictionary) that knows the KB's
    business terms."""
    import jieba

    from kb_index.terms import TERM_GROUPS

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for labels in TERM_GROUPS.values():
        for forms in labels.values():
            for form in forms:
                tokenizer.add_word(form, freq=20000)
    return tokenizer


class Bm25:
    """Okapi BM25 over tokenised documents (the KB's questions), scoring a query against chosen documents.

    ``held_out`` scores as if those documents were not in the collection (document count, document frequencies
    and average length without them): the re-ranker's leave-one-out training queries are KB questions, and their
    own document would otherwise raise the document frequency of every one of their terms, which a real query
    never sees."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        from scipy.sparse import csr_matrix

        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for row, doc in enumerate(docs):
            counts: dict[int, int] = {}
            for token in doc:
                column = self.vocab.setdefault(token, len(self.vocab))
                counts[column] = counts.get(column, 0) + 1
            rows += [row] * len(counts)
            cols += list(counts)
            vals += list(counts.values())
        self.tf = csr_matrix((np.array(vals, np.float64), (rows, cols)), shape=(len(docs), max(1, len(self.vocab))))
        self.df = np.asarray((self.tf > 0).sum(axis=0)).ravel()
        self.doc_len = np.array([len(d) for d in docs], np.float64)
        self.n_docs = len(docs)

    def scores(self, query: Sequence[str], doc_ids: Sequence[int] | np.ndarray,
               held_out: Sequence[int] | np.ndarray = ()) -> np.ndarray:
        """BM25 of ``query`` (tokens) against each document of ``doc_ids`` (which must hold none of
        ``held_out``)."""
        terms = sorted({self.vocab[t] for t in query if t in self.vocab})
        ids = np.asarray(doc_ids, dtype=np.int64)
        if not terms or not ids.size:
            return np.zeros(ids.size)
        n_docs, df, total = self.n_docs, self.df[terms].astype(np.float64), self.doc_len.sum()
        removed = np.unique(np.asarray(held_out, dtype=np.int64))
        if removed.size:
            n_docs -= removed.size
            df = df - np.asarray((self.tf[removed][:, terms] > 0).sum(axis=0)).ravel()
            total -= self.doc_len[removed].sum()
        idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        tf = self.tf[ids][:, terms].toarray()
        norm = self.k1 * (1 - self.b + self.b * self.doc_len[ids] / max(total / max(n_docs, 1), 1e-9))
        return np.asarray((tf * (self.k1 + 1) / (tf + norm[:, None])) @ idf)
