"""Checks on NLU training data that Rasa itself only warns about (pure functions; tokenizer injected).

Used by the tests and, later, by the trainer workbench before it writes an edit back to ``nlu_data/``.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Callable, Iterable, Sequence

# (word, start, end) spans, as ``jieba.tokenize`` yields them
Tokenize = Callable[[str], Iterable[tuple[str, int, int]]]
MAX_EXAMPLE_CHARS = 200


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[tuple[int, int, str], ...] = ()  # (start, end, entity name)
    source: str = ""


def misaligned_annotations(examples: Iterable[Example], tokenize: Tokenize) -> list[str]:
    """One message per entity annotation whose start or end falls inside a token, naming the example."""
    problems = []
    for ex in examples:
        if not ex.entities:
            continue
        tokens = list(tokenize(ex.text))
        bounds = {s for _, s, _ in tokens} | {e for _, _, e in tokens}
        for start, end, name in ex.entities:
            if start not in bounds or end not in bounds:
                words = " | ".join(w for w, _, _ in tokens)
                problems.append(
                    f"{ex.source}: intent '{ex.intent}', example '{ex.text}': entity '{name}' "
                    f"('{ex.text[start:end]}') does not line up with the jieba tokens [{words}]"
                )
    return problems


def normalise(text: str) -> str:
    """Compare examples ignoring width, case, spaces and trailing punctuation."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if not ch.isspace()).rstrip("?？!！。.~～")


# a held-out text this similar (difflib ratio of the normalised texts) to a training/KB text is a light edit of it
LIGHT_EDIT = 0.75


def light_edits(texts: Sequence[str], corpus: Iterable[str],
                threshold: float = LIGHT_EDIT) -> list[tuple[str, str, float]]:
    """(text, a corpus text, ratio) for each text whose normalised form is at least ``threshold`` similar (difflib
    ratio) to a text of ``corpus`` (already normalised), or equal to one; in the order of ``texts``, the most
    similar one each. Held-out sets must contain no light edit of what the bot was built from."""
    norms = {text: normalise(text) for text in texts}
    best: dict[str, tuple[str, float]] = {}
    matcher = SequenceMatcher(None, autojunk=False)
    for other in sorted(corpus):
        matcher.set_seq2(other)  # difflib caches what it learns about the second sequence: one per corpus text
        for text, norm in norms.items():
            matcher.set_seq1(norm)
            floor = max(threshold, best.get(text, ("", 0.0))[1])
            if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
                continue
            ratio = matcher.ratio()
            if ratio >= floor and ratio > best.get(text, ("", 0.0))[1]:
                best[text] = (other, ratio)
    return [(text, best[text][0], round(best[text][1], 2)) for text in texts if text in best]


def conflicting_examples(examples: Sequence[Example]) -> list[str]:
    """Examples that appear under two intents, or twice under one."""
    seen: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        seen[normalise(ex.text)].append(ex)
    problems = []
    for group in seen.values():
        if len(group) > 1:
            where = ", ".join(f"{ex.intent} ({ex.source})" for ex in group)
            problems.append(f"'{group[0].text}' appears {len(group)} times: {where}")
    return problems


def bad_lengths(examples: Iterable[Example], max_chars: int = MAX_EXAMPLE_CHARS) -> list[str]:
    """Examples that are empty or longer than ``max_chars``."""
    return [
        f"{ex.source}: intent '{ex.intent}': example {'is empty' if not ex.text.strip() else 'is too long'}: "
        f"'{ex.text[:40]}'"
        for ex in examples
        if not ex.text.strip() or len(ex.text) > max_chars
    ]
