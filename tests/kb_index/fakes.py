"""A small deterministic encoder for index tests (character-bigram hashing, 64 dims)."""

from __future__ import annotations

import zlib
from typing import Sequence

import numpy as np

from kb_index.encoders import unit_rows


class HashingEncoder:
    name = "hash64"
    dim = 64

    def __init__(self) -> None:
        self.encoded: list[str] = []
        self.encoded_answers: list[str] = []

    def _one(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, np.float32)
        grams = [text[i:i + 2] for i in range(max(1, len(text) - 1))]
        for gram in grams:
            vector[zlib.crc32(gram.encode()) % self.dim] += 1.0
        return vector

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return unit_rows(np.stack([self._one(t) for t in texts])) if texts else np.zeros((0, self.dim), np.float32)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += list(texts)
        return self.encode_queries(texts)

    def encode_answers(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded_answers += list(texts)
        return self.encode_queries(texts)


class WideHashingEncoder(HashingEncoder):
    """The same with 1024 dims: few bigram collisions, for tests that compare close texts."""

    name = "hash1024"
    dim = 1024
