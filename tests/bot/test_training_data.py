"""The NLU training data: coverage, token alignment, no conflicts, held-out sets kept apart."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import jieba
import pytest
import yaml

from bot.tokenizer import jieba_spans
from bot.training_checks import Example, Tokenize, bad_lengths, conflicting_examples, misaligned_annotations, normalise
from tests.bot.nlu_files import HELDOUT_DIR, ROOT, TRAINING_DIR, load_examples, oos_heldout

SPECIAL_INTENTS = {"nlu_fallback"}
REGULATOR_NUMBERS = {"110", "96110", "12378", "12386", "12363", "12315"}


@pytest.fixture(scope="module")
def tokenize() -> Tokenize:
    for path in sorted((TRAINING_DIR / "jieba_userdict").glob("*.txt")):
        jieba.load_userdict(str(path))
    return jieba_spans


def test_at_least_40_intents_with_15_examples_each() -> None:
    counts = Counter(ex.intent for ex in load_examples(TRAINING_DIR))
    assert len(counts) >= 40
    thin = {intent: n for intent, n in counts.items() if n < 15}
    assert not thin, f"intents with fewer than 15 examples: {thin}"


def test_entity_annotations_line_up_with_jieba_tokens(tokenize: Tokenize) -> None:
    problems = misaligned_annotations(load_examples(TRAINING_DIR) + load_examples(HELDOUT_DIR), tokenize)
    assert not problems, "\n".join(problems)


def test_misaligned_annotation_is_reported_with_the_example(tokenize: Tokenize) -> None:
    text = "我要转20000元"
    start = text.index("2")
    bad = Example(text, "transfer_limit", ((start, start + 3, "amount"),), "nlu_data/nlu/x.yml")
    (problem,) = misaligned_annotations([bad], tokenize)
    assert "nlu_data/nlu/x.yml" in problem and "我要转20000元" in problem and "'200'" in problem


def test_no_example_under_two_intents_or_twice() -> None:
    problems = conflicting_examples(load_examples(TRAINING_DIR))
    assert not problems, "\n".join(problems)


def test_examples_are_neither_empty_nor_overlong() -> None:
    assert not bad_lengths(load_examples(TRAINING_DIR) + load_examples(HELDOUT_DIR))


def test_no_whitespace_tokens(tokenize: Tokenize) -> None:
    texts = [ex.text for ex in load_examples(TRAINING_DIR) if " " in ex.text]
    assert texts, "the data should include messages with spaces (card numbers typed in groups, English words)"
    for text in texts:
        assert all(word.strip() for word, _, _ in tokenize(text)), text


def test_heldout_set_is_large_apart_from_training_and_covers_every_intent() -> None:
    train = load_examples(TRAINING_DIR)
    heldout = load_examples(HELDOUT_DIR)
    assert len(heldout) >= 200
    seen = {normalise(ex.text) for ex in train}
    leaked = [ex.text for ex in heldout if normalise(ex.text) in seen]
    assert not leaked, f"held-out examples also in training data: {leaked}"
    assert {ex.intent for ex in train} == {ex.intent for ex in heldout}


def test_out_of_scope_heldout_is_apart_from_training() -> None:
    questions = oos_heldout()
    assert len(questions) >= 100
    seen = {normalise(ex.text) for ex in load_examples(TRAINING_DIR)}
    assert not [q for q in questions if normalise(q) in seen]


@pytest.fixture(scope="module")
def domain() -> dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def test_every_intent_is_in_the_domain(domain: dict) -> None:
    intents = {ex.intent for ex in load_examples(TRAINING_DIR)}
    assert intents == set(domain["intents"])


def test_responses_use_only_institution_slots_and_no_hard_coded_numbers(domain: dict) -> None:
    slots = set(domain["slots"])
    for name, variants in domain["responses"].items():
        for variant in variants:
            text = variant.get("text", "")
            for placeholder in re.findall(r"(?<!\{)\{(\w+)\}(?!\})", text):
                assert placeholder in slots, f"{name}: unknown placeholder {{{placeholder}}}"
            # institution phone numbers live in the `hotline` slot; only public regulator/police numbers may appear
            for number in re.findall(r"(?<!\d)(?:95\d{3,4}|[48]00-?\d{3}-?\d{4}|1[3-9]\d{9})(?!\d)", text):
                assert number in REGULATOR_NUMBERS, f"{name}: hard-coded number {number}"


def test_buttons_point_at_known_intents(domain: dict) -> None:
    intents = set(domain["intents"])
    for name, variants in domain["responses"].items():
        for variant in variants:
            for button in variant.get("buttons", []):
                match = re.match(r"^/(\w+)", button["payload"])
                assert match and match.group(1) in intents, f"{name}: button {button}"


def test_institution_facts_are_configured_once(domain: dict) -> None:
    for slot in ("org_name", "hotline", "app_name", "branch_hours", "service_hours"):
        assert domain["slots"][slot].get("initial_value"), slot
    text = Path(ROOT / "domain.yml").read_text(encoding="utf-8")
    hotline = domain["slots"]["hotline"]["initial_value"]
    assert text.count(hotline) == 1
