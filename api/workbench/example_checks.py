"""The training-data checks of bot/training_checks.py, worded in Chinese for the trainer: the workbench shows
these in a toast when it refuses new intent examples. The rules are the bot's own (its pure detection functions
decide); only the wording is the workbench's, with the example and what to change."""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

from bot.training_checks import (
    MAX_EXAMPLE_CHARS,
    Example,
    Tokenize,
    bad_lengths,
    misaligned_annotations,
    normalise,
)


def _short(text: str, n: int = 30) -> str:
    return text if len(text) <= n else text[:n] + "…"


def length_problems(examples: Sequence[Example]) -> list[str]:
    return [f"例句不能为空（意图 {ex.intent}）" if not ex.text.strip()
            else f"例句「{_short(ex.text)}」过长：最多 {MAX_EXAMPLE_CHARS} 个字，现有 {len(ex.text)} 个字"
            for ex in examples if bad_lengths([ex])]


def repeated_problems(examples: Sequence[Example]) -> list[str]:
    """The same example (ignoring width, case, spaces, end punctuation) given twice in one edit."""
    seen: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        seen[normalise(ex.text)].append(ex)
    return [f"例句「{_short(group[0].text)}」重复出现 {len(group)} 次"
            f"（意图 {'、'.join(dict.fromkeys(e.intent for e in group))}）"
            for group in seen.values() if len(group) > 1]


def alignment_problems(examples: Sequence[Example], tokenize: Tokenize) -> list[str]:
    """An entity annotation must start and end on jieba token boundaries (else Rasa cannot learn it)."""
    problems = []
    for ex in examples:
        for start, end, name in ex.entities:
            if misaligned_annotations([Example(ex.text, ex.intent, ((start, end, name),))], tokenize):
                words = " | ".join(w for w, _, _ in tokenize(ex.text))
                problems.append(f"例句「{_short(ex.text)}」中实体 {name} 的标注「{ex.text[start:end]}」"
                                f"与分词边界不一致（分词结果：{words}），请调整标注范围或在词典中添加该词")
    return problems
