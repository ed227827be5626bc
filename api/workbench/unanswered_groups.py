"""Group unanswered questions for review (pure): the same question typed slightly differently counts once.

Two questions join a group when their normalised texts are equal or their character-bigram Jaccard
similarity to the group's first question reaches ``threshold``. Groups come most frequent first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from kb_index.normalize import normalise_query


@dataclass(frozen=True)
class Question:
    id: int
    text: str
    kind: str
    created_at: str


@dataclass
class Group:
    text: str
    ids: list[int] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)
    last_seen: str = ""
    samples: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.ids)


def bigrams(text: str) -> frozenset[str]:
    t = normalise_query(text)
    return frozenset(t[i:i + 2] for i in range(len(t) - 1)) if len(t) > 1 else frozenset({t})


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def group_questions(questions: Sequence[Question], threshold: float = 0.5) -> list[Group]:
    groups: list[tuple[frozenset[str], Group]] = []
    for q in sorted(questions, key=lambda q: (q.created_at, q.id)):
        grams = bigrams(q.text)
        target = next((g for key, g in groups if jaccard(key, grams) >= threshold), None)
        if target is None:
            target = Group(text=q.text)
            groups.append((grams, target))
        target.ids.append(q.id)
        target.kinds[q.kind] = target.kinds.get(q.kind, 0) + 1
        target.last_seen = max(target.last_seen, q.created_at)
        if q.text not in target.samples and len(target.samples) < 5:
            target.samples.append(q.text)
    newest_first = sorted((g for _, g in groups), key=lambda g: g.last_seen, reverse=True)
    return sorted(newest_first, key=lambda g: -g.count)  # stable: most frequent, then most recent
