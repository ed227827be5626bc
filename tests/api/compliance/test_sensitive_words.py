"""Sensitive-word filter: the Aho-Corasick automaton against a brute-force oracle, normalisation, the list file."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from api.compliance.sensitive_words import SensitiveWords, WordListError, normalise


def oracle(entries: list[tuple[str, str, str]], text: str) -> set[str]:
    t = normalise(text)
    return {term for term, _, _ in entries if normalise(term) and normalise(term) in t}


def test_matches_equal_brute_force_on_random_overlapping_terms() -> None:
    rng = random.Random(3)
    alphabet = "保本收益稳赚不赔内幕ab"
    for _ in range(200):
        entries = [("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))), "c", "output")
                   for _ in range(rng.randint(1, 8))]
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        words = SensitiveWords(entries)
        assert {h.term for h in words.find(text)} == oracle(entries, text), (entries, text)


def test_the_shipped_list_catches_marketing_and_abuse_through_separators() -> None:
    words = SensitiveWords.from_file()
    assert {h.category for h in words.find("这款产品稳 赚 不 赔，还有内幕消息", "output")} == {"marketing_forbidden"}
    assert [h.category for h in words.find("你们这些垃圾客服", "input")] == ["abuse"]
    assert words.find("这款产品稳赚不赔", "input") == []  # directions are separate
    assert words.find("理财非存款，产品有风险，投资须谨慎。") == []
    assert words.find("ＳＢ客服") and words.find("刷 单 返 利")


def test_a_broken_list_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "w.yml"
    bad.write_text("categories:\n  x: {direction: sideways, terms: [a]}\n", encoding="utf-8")
    with pytest.raises(WordListError, match=r"w\.yml: category x: direction"):
        SensitiveWords.from_file(bad)
    bad.write_text("categories: [\n", encoding="utf-8")
    with pytest.raises(WordListError, match=r"w\.yml"):
        SensitiveWords.from_file(bad)
