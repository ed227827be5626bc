"""The labelled paraphrase query set for the shipped KB (``nlu_eval/kb_queries.tsv``): messages written for this
project the way customers type them, each labelled with the one entry of ``kb_index/faq/*.yml`` whose answer
satisfies it; used to calibrate and report direct-answer precision, so it must stay fresh: no query equals a KB
question, a training example, a held-out NLU example or a precision-set item, and none is a light edit of a KB
question (difflib similarity of the normalised texts below 0.75)."""

from __future__ import annotations

from collections import Counter
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence

import pytest
import yaml

from bot.training_checks import normalise
from kb_index.entry import KbEntry
from kb_index.lint import read_intent_examples
from kb_index.sources import load_folder

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ROOT / "nlu_eval" / "kb_queries.tsv"
KB_FAQ = ROOT / "kb_index" / "faq"
HEADER = ("query", "gold_id")
LIGHT_EDIT = 0.75
MIN_ROWS, MAX_ROWS, MIN_ENTRIES = 240, 300, 180


class Row(NamedTuple):
    query: str
    gold_id: str


def parse_queries(text: str) -> list[Row]:
    """Rows of the TSV (header ``query<TAB>gold_id``, no quoting); a malformed line is an error naming it."""
    lines = text.splitlines()
    if not lines or tuple(lines[0].split("\t")) != HEADER:
        raise ValueError(f"header must be {HEADER!r}, got {lines[:1]!r}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != 2 or not all(f and f == f.strip() for f in fields) or any(
                f[0] in "\"'" for f in fields):
            raise ValueError(f"line {number}: expected two unquoted, non-empty fields: {line!r}")
        rows.append(Row(*fields))
    return rows


def light_edits(queries: Iterable[str], questions: Sequence[str],
                threshold: float = LIGHT_EDIT) -> list[tuple[str, str, float]]:
    """(query, question, similarity) for each query whose normalised text is at least ``threshold`` similar
    (difflib ratio) to a normalised question; the cheap upper bounds skip most pairs."""
    normalised = [(q, normalise(q)) for q in questions]
    found = []
    for query in queries:
        text = normalise(query)
        for question, other in normalised:
            matcher = SequenceMatcher(None, text, other)
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            ratio = matcher.ratio()
            if ratio >= threshold:
                found.append((query, question, round(ratio, 3)))
    return found


@lru_cache(maxsize=1)
def rows() -> tuple[Row, ...]:
    return tuple(parse_queries(QUERIES.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def kb_entries() -> tuple[KbEntry, ...]:
    return tuple(load_folder(KB_FAQ))


def kb_questions() -> list[str]:
    return [q for entry in kb_entries() for q in entry.questions]


def held_out_and_training_texts() -> dict[str, str]:
    """Normalised text -> where it comes from, for every other text the queries must not repeat."""
    sources: dict[str, str] = {}
    for folder in (ROOT / "nlu_data" / "nlu", ROOT / "nlu_eval" / "nlu_heldout"):
        for intent, examples in read_intent_examples(folder).items():
            sources.update((normalise(t), f"{folder.name}/{intent}") for t in examples)
    for path in sorted((ROOT / "nlu_eval").glob("precision_set*.yml")):
        items = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("items") or []
        sources.update((normalise(str(item["text"])), path.name) for item in items)
    return sources


def test_file_parses_with_its_header_and_size() -> None:
    assert MIN_ROWS <= len(rows()) <= MAX_ROWS, len(rows())


def test_parser_refuses_a_bad_header_a_third_column_and_quoting() -> None:
    assert parse_queries("query\tgold_id\n卡丢了\tcards_accounts-001\n") == [Row("卡丢了", "cards_accounts-001")]
    for bad in ("q\tid\n卡丢了\tx-1\n", "query\tgold_id\n卡丢了\tx-1\textra\n", 'query\tgold_id\n"卡丢了"\tx-1\n',
                "query\tgold_id\n卡丢了\n"):
        with pytest.raises(ValueError):
            parse_queries(bad)


def test_every_gold_id_is_a_shipped_entry_and_the_set_spreads_over_the_kb() -> None:
    ids = {entry.id for entry in kb_entries()}
    assert not [r for r in rows() if r.gold_id not in ids]
    gold = Counter(r.gold_id for r in rows())
    assert len(gold) >= MIN_ENTRIES, len(gold)
    files = {path.stem for path in KB_FAQ.glob("*.yml")}
    assert files == {gold_id.rsplit("-", 1)[0] for gold_id in gold}


def test_no_duplicate_queries() -> None:
    counts = Counter(normalise(r.query) for r in rows())
    assert not [text for text, n in counts.items() if n > 1]


def test_no_query_equals_a_kb_question_training_held_out_or_precision_set_text() -> None:
    taken = {normalise(q): "kb" for q in kb_questions()} | held_out_and_training_texts()
    assert not [(r.query, taken[normalise(r.query)]) for r in rows() if normalise(r.query) in taken]


def test_no_query_is_a_light_edit_of_a_kb_question() -> None:
    assert not light_edits((r.query for r in rows()), kb_questions())


def test_light_edit_check_finds_a_known_light_edit_and_passes_a_paraphrase() -> None:
    questions = ["借记卡丢失后如何挂失？", "信用卡怎么还款？"]
    found = light_edits(["借记卡丢了后如何挂失", "信用卡咋还款", "早上钱包被偷了，里面有张工资卡"], questions)
    assert [(q, k) for q, k, _ in found] == [("借记卡丢了后如何挂失", "借记卡丢失后如何挂失？"),
                                             ("信用卡咋还款", "信用卡怎么还款？")]
    assert all(LIGHT_EDIT <= ratio < 1 for _, _, ratio in found)
    assert light_edits(["信用卡怎么还款"], questions) == [("信用卡怎么还款", "信用卡怎么还款？", 1.0)]
