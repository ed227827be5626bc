"""KB lint: near-identical questions filed under different entries, and NLU intent examples that collide with KB
questions, so trainers can merge the entries or tell them apart.

* ``conflict``: two entries hold near-identical questions but different answers - the bot answers one of them
  more or less at random; the business terms on which the questions disagree (手机银行 vs 电话银行) are listed,
  since adding them to the similar questions is how the entries are told apart;
* ``duplicate``: the same with (nearly) the same answer - one entry too many, merge them;
* ``intent``: an intent's training example is near-identical to a KB question - the NLU answers it with the
  intent, and the KB entry is never reached for that wording (or the two disagree about what it means).

``find_conflicts`` is the pure core (the CLI ``python -m kb_index lint`` and the trainer workbench call it);
similarity is the cosine of character 1-2-gram counts of the normalised texts, which needs no model and is the
same on every machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from kb_index.entry import KbEntry
from kb_index.lexical import char_ngrams
from kb_index.normalize import normalise_query
from kb_index.terms import TERM_GROUPS, term_labels

QUESTION_SIMILARITY = 0.8  # near-identical questions
ANSWER_SIMILARITY = 0.9  # at or above: the same answer (a duplicate), below: a conflict
_CHUNK = 512


@dataclass(frozen=True)
class Conflict:
    kind: str  # "conflict" | "duplicate" | "intent"
    first: str  # entry id, or the intent's name for kind "intent"
    first_question: str
    second: str  # entry id
    second_question: str
    similarity: float
    answer_similarity: float | None = None  # kinds "conflict" and "duplicate"
    term_differences: tuple[str, ...] = ()  # e.g. "channel: 手机银行 / 电话银行"

    def describe(self) -> str:
        what = {"conflict": "近似问题、答案不同", "duplicate": "近似问题、答案相同（可合并）",
                "intent": "意图样例与知识库问题相同"}[self.kind]
        terms = f"；区别：{'，'.join(self.term_differences)}" if self.term_differences else ""
        return (f"[{what}] {self.first}「{self.first_question}」 ↔ {self.second}「{self.second_question}」 "
                f"相似度 {self.similarity:.2f}{terms}")


def _counts(texts: Sequence[str]) -> tuple[Any, dict[str, int]]:
    """L2-normalised character 1-2-gram count rows (scipy CSR) and the vocabulary."""
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for row, text in enumerate(texts):
        counts: dict[int, float] = {}
        for gram in char_ngrams(text):
            column = vocab.setdefault(gram, len(vocab))
            counts[column] = counts.get(column, 0.0) + 1.0
        norm = float(np.sqrt(sum(v * v for v in counts.values()))) or 1.0
        rows += [row] * len(counts)
        cols += list(counts)
        vals += [v / norm for v in counts.values()]
    return csr_matrix((vals, (rows, cols)), shape=(len(texts), max(1, len(vocab)))), vocab


def _similar_pairs(left: Sequence[str], right: Sequence[str], threshold: float,
                   same: bool) -> list[tuple[int, int, float]]:
    """(i, j, cosine) of texts with cosine >= threshold (``same``: left is right, pairs i < j only)."""
    matrix, vocab = _counts([*left, *right] if not same else left)
    a = matrix[:len(left)]
    b = a if same else matrix[len(left):]
    pairs = []
    for start in range(0, a.shape[0], _CHUNK):
        block = (a[start:start + _CHUNK] @ b.T).toarray()
        for i, j in zip(*np.nonzero(block >= threshold - 1e-9), strict=True):
            row = start + int(i)
            if not same or row < j:
                pairs.append((row, int(j), float(block[i, j])))
    return pairs


def term_differences(a: str, b: str) -> tuple[str, ...]:
    """The business-term groups on which two texts name different labels (手机银行 / 电话银行)."""
    left, right = term_labels(a), term_labels(b)
    out = []
    for group in TERM_GROUPS:
        mine, theirs = left.get(group, frozenset()), right.get(group, frozenset())
        if mine != theirs and (mine or theirs):
            out.append(f"{group}: {'、'.join(sorted(mine)) or '—'} / {'、'.join(sorted(theirs)) or '—'}")
    return tuple(out)


def _answer_similarity(a: str, b: str) -> float:
    matrix, _ = _counts([normalise_query(a), normalise_query(b)])
    return float((matrix[0] @ matrix[1].T).toarray()[0, 0])


def find_conflicts(entries: Sequence[KbEntry], intent_examples: Mapping[str, Sequence[str]] | None = None,
                   question_similarity: float = QUESTION_SIMILARITY,
                   answer_similarity: float = ANSWER_SIMILARITY) -> list[Conflict]:
    """Near-identical questions across entries (one finding per pair of entries, its most similar questions)
    and intent examples near-identical to a KB question; most similar first."""
    questions = [(e_idx, q, normalise_query(q)) for e_idx, entry in enumerate(entries) for q in entry.questions]
    questions = [(e, q, n) for e, q, n in questions if n]
    texts = [n for _, _, n in questions]
    best: dict[tuple[int, int], tuple[int, int, float]] = {}
    for i, j, sim in _similar_pairs(texts, texts, question_similarity, same=True):
        a, b = sorted((questions[i][0], questions[j][0]))
        if a != b and ((a, b) not in best or sim > best[(a, b)][2]):
            best[(a, b)] = (i, j, sim)
    found = []
    for (a, b), (i, j, sim) in best.items():
        first, second = entries[a], entries[b]
        i, j = (i, j) if questions[i][0] == a else (j, i)
        answers = _answer_similarity(first.answer, second.answer)
        found.append(Conflict("duplicate" if answers >= answer_similarity else "conflict", first.id,
                              questions[i][1], second.id, questions[j][1], round(sim, 4), round(answers, 4),
                              term_differences(questions[i][2], questions[j][2])))
    examples = [(intent, text, normalise_query(_plain(text))) for intent, texts_ in (intent_examples or {}).items()
                for text in texts_]
    examples = [(i, t, n) for i, t, n in examples if n]
    seen: set[tuple[str, int]] = set()
    for i, j, sim in sorted(_similar_pairs([n for _, _, n in examples], texts, question_similarity, same=False),
                            key=lambda p: -p[2]):
        intent, entry = examples[i][0], questions[j][0]
        if (intent, entry) not in seen:
            seen.add((intent, entry))
            found.append(Conflict("intent", intent, _plain(examples[i][1]), entries[entry].id, questions[j][1],
                                  round(sim, 4), None, term_differences(examples[i][2], questions[j][2])))
    return sorted(found, key=lambda c: (-c.similarity, c.kind, c.first, c.second))


_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def _plain(example: str) -> str:
    """An NLU example without its entity annotations: [信用卡](card_type) -> 信用卡."""
    return _ANNOTATION.sub(r"\1", example)


def read_intent_examples(folder: Path) -> dict[str, list[str]]:
    """Training examples by intent from Rasa NLU files (``nlu_data/nlu/*.yml``), annotations removed."""
    import yaml

    examples: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if isinstance(block, dict) and block.get("intent") and isinstance(block.get("examples"), str):
                lines = [line.strip()[2:].strip() for line in block["examples"].splitlines()
                         if line.strip().startswith("- ")]
                examples.setdefault(str(block["intent"]), []).extend(_plain(line) for line in lines if line)
    return examples
