"""Lexical scorer: character 1-3-gram TF-IDF over the KB questions, kept sparse (an 8.5k-question KB has
~100k n-gram columns), scored by cosine; an entry scores by its best question, like the dense index."""

from __future__ import annotations

from typing import Sequence

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
