"""A small deterministic encoder for index tests (character-bigram hashing, 64 dims)."""

from __future__ import annotations

import zlib
from typing import Sequence

import numpy as np

from kb_index.encoders import unit_rows
from kb_index.entry import KbEntry


class HashingEncoder:
    name = "hash64"
    dim = 64
    symmetric = True  # questions are encoded the same way as queries

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


CHANNELS = ("手机银行", "网上银行", "电话银行", "柜台")
TASKS = ("查询公积金", "修改密码", "调整转账限额", "开通短信通知", "挂失银行卡", "查询余额", "打印流水",
         "更换预留手机号")
TEMPLATES = ("请问一下{c}怎么{t}呢", "麻烦问下在{c}上能不能{t}", "{c}可以{t}吗谢谢", "如何通过{c}{t}啊",
             "想知道用{c}{t}的具体步骤是什么")


def synthetic_kb() -> tuple[list[KbEntry], list[tuple[str, str]]]:
    """A KB of near-duplicate entries told apart only by channel (手机银行 vs 电话银行 查询公积金, the pattern of
    real bank KBs), each with 2-4 questions in its own wordings, and new queries (query, entry id) that word an
    entry's question the way only its siblings in other channels do: a sentence encoder then prefers the
    sibling with the same wording."""
    entries, queries = [], []
    for c_idx, channel in enumerate(CHANNELS):
        for t_idx, task in enumerate(TASKS):
            entry_id = f"e{c_idx}{t_idx}"
            own = [(c_idx + t_idx + k) % len(TEMPLATES) for k in range(2 + (c_idx + t_idx) % 3)]
            questions = [TEMPLATES[i].format(c=channel, t=task) for i in own]
            entries.append(KbEntry(entry_id, questions[0], f"{channel}{task}：请按{channel}的提示操作。",
                                   similar=tuple(questions[1:])))
            queries += [(TEMPLATES[i].format(c=channel, t=task), entry_id)
                        for i in range(len(TEMPLATES)) if i not in own]
    return entries, queries
