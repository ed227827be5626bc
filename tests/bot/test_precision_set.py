"""The held-out precision set (nlu_eval/precision_set.yml) and its evaluation (bot.precision): the set is
large, labelled with known behaviours, covers every compliance category and kind of message and is never
trained on; judging and event reading are checked on their own; the trained model answers it with at most 2 %
wrong answers and every compliance message gets its reply."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Dict

import pytest
import yaml

from bot.precision import (
    COMPLIANCE,
    PROMPT_INTENTS,
    Item,
    behaviour_for_intent,
    behaviour_from_events,
    judge,
    load_set,
    precision_report,
)
from bot.training_checks import light_edits, normalise
from kb_index.sources import read_queries
from tests.bot.nlu_files import HELDOUT_DIR, ROOT, TRAINING_DIR, load_examples, oos_heldout

Parse = Callable[[str], Dict[str, Any]]
REPORT_DIR = Path(os.environ.get("DATA_DIR", ROOT / "var")) / "reports"
SET = ROOT / "nlu_eval" / "precision_set.yml"
SET_V2 = ROOT / "nlu_eval" / "precision_set_v2.yml"
SET_V3 = ROOT / "nlu_eval" / "precision_set_v3.yml"
SET_V4 = ROOT / "nlu_eval" / "precision_set_v4.yml"
SET_V5 = ROOT / "nlu_eval" / "precision_set_v5.yml"
SET_V6 = ROOT / "nlu_eval" / "precision_set_v6.yml"
SET_V7 = ROOT / "nlu_eval" / "precision_set_v7.yml"
SET_V8 = ROOT / "nlu_eval" / "precision_set_v8.yml"
SET_V9 = ROOT / "nlu_eval" / "precision_set_v9.yml"
SET_V10 = ROOT / "nlu_eval" / "precision_set_v10.yml"
SET_V11 = ROOT / "nlu_eval" / "precision_set_v11.yml"
SET_V12 = ROOT / "nlu_eval" / "precision_set_v12.yml"
SET_V13 = ROOT / "nlu_eval" / "precision_set_v13.yml"
SET_V14 = ROOT / "nlu_eval" / "precision_set_v14.yml"
SET_V15 = ROOT / "nlu_eval" / "precision_set_v15.yml"
KB_QUERIES = ROOT / "nlu_eval" / "kb_queries.tsv"
KB_FAQ = ROOT / "kb_index" / "faq"


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return load_set(SET)


def test_set_is_large_valid_and_held_out(items: list[Item]) -> None:
    assert len(items) >= 300
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    for item in items:
        for label in (item.expect, *item.also):
            kind, _, name = label.partition(":")
            assert kind in {"intent", "kb", "fallback", "compliance", "handoff"}, label
            assert kind != "intent" or name in intents, label
            assert kind != "compliance" or name in COMPLIANCE, label
    seen = {normalise(ex.text) for ex in load_examples(TRAINING_DIR)}
    assert not [i.text for i in items if normalise(i.text) in seen]
    assert len({i.text for i in items}) == len(items)


def assert_covers_categories_and_tags(items: list[Item]) -> None:
    """>= 6 messages per compliance category, >= 5 per kind of message (tag), >= 5 non-banking with banking words."""
    per_category = Counter(i.expect for i in items if i.expect.startswith("compliance:"))
    assert all(per_category[f"compliance:{c}"] >= 6 for c in COMPLIANCE), per_category
    tags = Counter(tag for i in items for tag in i.tags)
    for tag in ("colloquial", "typo", "traditional", "long", "near_miss", "non_banking", "noise", "yes_no"):
        assert tags[tag] >= 5, (tag, tags)
    non_banking_with_banking_words = [i for i in items if "non_banking" in i.tags
                                      and any(w in i.text for w in ("信用卡", "银行卡", "储蓄卡", "银行", "网点"))]
    assert len(non_banking_with_banking_words) >= 5


def test_set_covers_every_compliance_category_and_kind_of_message(items: list[Item]) -> None:
    assert_covers_categories_and_tags(items)
    assert Counter(i.expect for i in items)["handoff"] >= 5


@pytest.mark.parametrize(
    "expect, also, got, verdict",
    [
        ("intent:card_report_loss", (), "intent:card_report_loss", "right"),
        ("intent:card_report_loss", (), "intent:credit_card_apply", "wrong"),
        ("intent:card_report_loss", (), "fallback", "honest"),
        ("intent:card_report_loss", (), "kb_suggest", "honest"),
        ("intent:card_report_loss", (), "kb_answer", "wrong"),
        ("intent:card_report_loss", ("kb",), "kb_answer", "right"),
        ("kb", (), "kb_answer", "right"),
        ("kb", (), "kb_suggest", "right"),
        ("kb", (), "intent:stock_commission", "wrong"),
        ("fallback", (), "fallback", "right"),
        ("fallback", (), "ack", "wrong"),
        ("fallback", (), "kb_answer", "wrong"),
        ("compliance:investment_advice", (), "intent:fund_purchase_redeem", "wrong"),
        ("compliance:investment_advice", (), "fallback", "honest"),
        ("compliance:loan_scam", ("compliance:fraud_alert",), "compliance:fraud_alert", "right"),
        ("handoff", (), "handoff", "right"),
    ],
)
def test_judge(expect: str, also: tuple[str, ...], got: str, verdict: str) -> None:
    assert judge(Item("x", expect, also), got) == verdict


def test_report_counts_wrong_answers_and_compliance_by_category() -> None:
    items = [Item("a", "intent:x"), Item("b", "compliance:loan_scam"), Item("c", "compliance:loan_scam"),
             Item("d", "fallback")]
    report = precision_report(items, ["intent:x", "compliance:loan_scam", "fallback", "ack"])
    assert (report.right, report.honest, report.wrong) == (2, 1, 1)
    assert report.wrong_rate == 0.25
    assert report.by_category == {"compliance:loan_scam": (1, 2)}
    assert report.compliance_accuracy == 0.5
    assert report.wrong_items == [("d", "fallback", "ack")]


@pytest.mark.parametrize(
    "intent, behaviour",
    [("investment_advice", "compliance:investment_advice"), ("fraud_alert", "compliance:fraud_alert"),
     ("human_handoff", "handoff"), ("nlu_fallback", "fallback"), ("out_of_scope", "fallback"),
     ("affirm", "fallback"), ("inform", "fallback"), ("card_report_loss", "intent:card_report_loss")],
)
def test_behaviour_of_a_first_message(intent: str, behaviour: str) -> None:
    assert behaviour_for_intent(intent) == behaviour


def _turn(*events: Dict[str, Any]) -> list[Dict[str, Any]]:
    return [{"event": "action", "name": "action_listen"}, {"event": "user", "text": "q"}, *events]


@pytest.mark.parametrize(
    "events, behaviour",
    [
        (_turn({"event": "action", "name": "utter_investment_advice"},
               {"event": "bot", "metadata": {"utter_action": "utter_investment_advice"}}),
         "compliance:investment_advice"),
        (_turn({"event": "action", "name": "utter_card_report_loss"}, {"event": "action", "name": "card_loss_form"}),
         "intent:card_report_loss"),
        (_turn({"event": "action", "name": "utter_deposit_rate"}), "intent:deposit_rate"),
        (_turn({"event": "action", "name": "action_kb_fallback"},
               {"event": "bot", "data": {"custom": {"kb": {"action": "answer"}}}}), "kb_answer"),
        (_turn({"event": "action", "name": "action_kb_fallback"},
               {"event": "bot", "data": {"custom": {"kb": {"action": "suggest"}}}}), "kb_suggest"),
        (_turn({"event": "action", "name": "action_kb_fallback"},
               {"event": "bot", "metadata": {"utter_action": "utter_out_of_scope"}},
               {"event": "bot", "data": {"custom": {"kb": {"action": "fallback"}}}}), "fallback"),
        (_turn({"event": "action", "name": "action_kb_fallback"},
               {"event": "bot", "data": {"custom": {"handoff": {"reason": "repeated_fallback"}}}}), "handoff"),
        (_turn({"event": "action", "name": "utter_anything_else"}), "ack"),
        (_turn({"event": "action", "name": "utter_affirm_without_question"}), "fallback"),
        (_turn({"event": "action", "name": "action_kb_fallback"},
               {"event": "bot", "metadata": {"utter_action": "utter_out_of_scope"}}), "fallback"),
    ],
)
def test_behaviour_read_from_tracker_events(events: list[Dict[str, Any]], behaviour: str) -> None:
    intents = ["deposit_rate", "card_report_loss", "investment_advice", "out_of_scope"]
    assert behaviour_from_events(events, intents) == behaviour


def test_model_on_the_precision_set(parse: Parse, items: list[Item]) -> None:
    """NLU + rules, first message of a conversation (the KB is measured live: python -m bot.precision --rasa)."""
    outcomes = [behaviour_for_intent(parse(i.text)["intent"]["name"]) for i in items]
    report = precision_report(items, outcomes)
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / "precision_set.json").write_text(json.dumps(asdict(report), ensure_ascii=False, indent=1),
                                                   encoding="utf-8")
    print(f"\nprecision set n={report.n} right={report.right} honest={report.honest} wrong={report.wrong} "
          f"wrong-rate={report.wrong_rate:.3f} compliance={report.compliance_accuracy:.3f}")
    assert report.wrong_rate <= 0.02, report.wrong_items
    assert report.compliance_accuracy == 1.0, report.by_category


# The later sets (nlu_eval/precision_set_v2.yml, then _v3 … _v15) were each written after the sets before them had
# been read while fixing the bot: the same validity checks, and each must be fresh - no item equal to one of
# an earlier set, a training or held-out example or a question of the shipped KB, and none a light edit of one
# (difflib character similarity of the normalised texts below LIGHT_EDIT). Their items are not run through the bot
# here (the lead measures each once: python -m bot.precision --set).
# Each later set, with the sets written before it.
ALL_SETS = (SET, SET_V2, SET_V3, SET_V4, SET_V5, SET_V6, SET_V7, SET_V8, SET_V9,
            SET_V10, SET_V11, SET_V12, SET_V13, SET_V14, SET_V15)  # in the order they were written
LATER_SETS = {f"v{n + 1}": (path, ALL_SETS[:n]) for n, path in enumerate(ALL_SETS) if n}
# Sets also kept apart from the KB's held-out paraphrase queries (nlu_eval/kb_queries.tsv), written after those were.
KB_QUERY_FRESH_SETS = {"v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15"}


def _kb_query_texts(name: str) -> set[str]:
    return {normalise(q) for q, _ in read_queries(KB_QUERIES)} if name in KB_QUERY_FRESH_SETS else set()


def _invalid_labels(items: list[Item]) -> list[str]:
    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    bad = []
    for item in items:
        for label in (item.expect, *item.also):
            kind, _, name = label.partition(":")
            if (kind not in {"intent", "kb", "fallback", "compliance", "handoff"}
                    or (kind == "intent" and name not in intents)
                    or (kind == "compliance" and name not in COMPLIANCE)
                    or (kind in {"kb", "fallback", "handoff"} and name)):
                bad.append(f"{item.text}: {label}")
    return bad


def _kb_questions() -> set[str]:
    questions: set[str] = set()
    for path in sorted(KB_FAQ.glob("*.yml")):
        for entry in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("entries") or []:
            questions.update(normalise(q) for q in [entry["question"], *(entry.get("similar") or [])])
    return questions


def test_invalid_labels_are_found() -> None:
    """The label check itself can fail: each of these is reported, the valid ones are not."""
    items = [Item("a", "intent:no_such_intent"), Item("b", "compliance:stock_tips"), Item("c", "answer"),
             Item("d", "kb:some-entry"), Item("e", "intent:deposit_rate", ("handoff:now",)),
             Item("f", "intent:deposit_rate", ("kb", "compliance:loan_scam")), Item("g", "fallback")]
    assert _invalid_labels(items) == ["a: intent:no_such_intent", "b: compliance:stock_tips", "c: answer",
                                      "d: kb:some-entry", "e: handoff:now"]


def test_kb_questions_are_read_from_the_shipped_kb() -> None:
    questions = _kb_questions()
    assert len(questions) > 1000
    assert normalise("借记卡丢失后如何挂失？") in questions  # a question
    assert normalise("卡丢了咋办") in questions  # one of its similar questions


def _held_out_texts() -> set[str]:
    return {normalise(ex.text) for ex in load_examples(HELDOUT_DIR)} | {normalise(q) for q in oos_heldout()}


def test_light_edits_are_found() -> None:
    """The similarity check itself can fail: a one-character edit, an equal text after normalisation and a
    near-copy are reported, each with its closest corpus text; a fresh wording of the same need is not."""
    corpus = {normalise(t) for t in ("我的银行卡丢了怎么办", "信用卡额度怎么提高", "转账限额是多少")}
    texts = ["我的银行卡丢了咋办", "信用卡额度怎么提高？", "信用卡的额度怎样提高", "钱包连同工资卡一起被偷，先止付"]
    assert light_edits(texts, corpus) == [("我的银行卡丢了咋办", "我的银行卡丢了怎么办", 0.84),
                                           ("信用卡额度怎么提高？", "信用卡额度怎么提高", 1.0),
                                           ("信用卡的额度怎样提高", "信用卡额度怎么提高", 0.84)]


@pytest.mark.parametrize("name", sorted(LATER_SETS))
def test_later_set_is_valid_held_out_and_fresh(name: str) -> None:
    path, earlier = LATER_SETS[name]
    later = load_set(path)
    assert 120 <= len(later) <= 160, len(later)
    assert not _invalid_labels(later)
    assert not [p.name for p in earlier if _invalid_labels(load_set(p))]
    assert len({normalise(i.text) for i in later}) == len(later), "duplicates"
    assert not [i.text for i in later if i.expect in i.also], "an `also` repeating the expected behaviour"
    assert not [i.text for i in later if len(set(i.also)) != len(i.also)], "an `also` listed twice"
    training = {normalise(ex.text) for ex in load_examples(TRAINING_DIR)}
    assert not [i.text for i in later if normalise(i.text) in training]
    before = {normalise(i.text) for p in earlier for i in load_set(p)}
    assert not [i.text for i in later if normalise(i.text) in before]
    kb = _kb_questions()
    assert not [i.text for i in later if normalise(i.text) in kb]
    heldout = _held_out_texts()
    assert not [i.text for i in later if normalise(i.text) in heldout]
    kb_queries = _kb_query_texts(name)
    assert not [i.text for i in later if normalise(i.text) in kb_queries]


@pytest.mark.parametrize("name", sorted(LATER_SETS))
def test_later_set_is_no_light_edit_of_earlier_sets_training_held_out_or_kb(name: str) -> None:
    """None of a later set's messages is a copy with a word or two changed of a message the bot was built or fixed
    on (an earlier set, the training and held-out data) or of a KB question (v3 was written checking this; v2, written
    checking only equality, passes it too)."""
    path, earlier = LATER_SETS[name]
    corpus = ({normalise(ex.text) for ex in load_examples(TRAINING_DIR)} | _held_out_texts() | _kb_questions()
              | {normalise(i.text) for p in earlier for i in load_set(p)} | _kb_query_texts(name))
    assert not light_edits([i.text for i in load_set(path)], corpus)


@pytest.mark.parametrize("name", sorted(LATER_SETS))
def test_later_set_covers_every_compliance_category_and_kind_of_message(name: str) -> None:
    later = load_set(LATER_SETS[name][0])
    assert_covers_categories_and_tags(later)
    kinds = Counter(i.expect.partition(":")[0] for i in later)
    assert kinds["handoff"] >= 5 and kinds["kb"] >= 10 and kinds["fallback"] >= 15, kinds
    standard = {i.expect for i in later if i.expect.startswith("intent:")}
    assert len(standard) >= 45, sorted(standard)


# Sets written to ask every standard intent: (path, least KB-only questions, least messages per compliance category).
COMPLETE_SETS = {"v3": (SET_V3, 12, 6), "v4": (SET_V4, 14, 7), "v5": (SET_V5, 14, 7), "v6": (SET_V6, 14, 7),
                 "v7": (SET_V7, 20, 7), "v8": (SET_V8, 20, 7), "v9": (SET_V9, 20, 7),
                 "v10": (SET_V10, 20, 7), "v11": (SET_V11, 20, 7), "v12": (SET_V12, 20, 7),
                 "v13": (SET_V13, 20, 7), "v14": (SET_V14, 20, 7),
                 "v15": (SET_V15, 20, 7)}


@pytest.mark.parametrize("name", sorted(COMPLETE_SETS))
def test_set_asks_every_standard_intent_and_enough_kb_only_questions(name: str) -> None:
    """Every intent with a standard answer (not the prompts, fallbacks, compliance and safety intents, which have
    their own labels) is asked at least once, enough questions only the KB answers specifically and enough messages
    per compliance category."""
    path, least_kb, least_per_category = COMPLETE_SETS[name]
    later = load_set(path)
    domain_intents = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"]
    not_standard = {"human_handoff", "out_of_scope", "fraud_alert", "share_sensitive_info", *COMPLIANCE,
                    *PROMPT_INTENTS}
    asked = {i.expect.partition(":")[2] for i in later if i.expect.startswith("intent:")}
    assert not [n for n in domain_intents if n not in not_standard and n not in asked]
    assert sum(i.expect == "kb" for i in later) >= least_kb
    per_category = Counter(i.expect for i in later if i.expect.startswith("compliance:"))
    assert min(per_category[f"compliance:{c}"] for c in COMPLIANCE) >= least_per_category, per_category


@pytest.mark.parametrize("path", ALL_SETS, ids=[f"v{n + 1}" for n in range(len(ALL_SETS))])
def test_an_item_that_is_a_kb_question_word_for_word_accepts_the_kb_answer(path: Path) -> None:
    """A message that is exactly a question of the shipped KB gets that entry's answer by design (the bot/KB
    arbitration, issue 12): labelling it with an intent alone would count the designed behaviour as wrong. Safety,
    compliance and handoff items keep their own reply (their intents are never arbitrated)."""
    kb = _kb_questions()
    assert not [i.text for i in load_set(path) if i.expect.startswith("intent:") and normalise(i.text) in kb
                and "kb" not in i.also]


# Sets that also ask innocent questions sharing words with a compliance category (tag compliance_near_miss):
# (path, least such messages).
NEAR_MISS_SETS = {"v5": (SET_V5, 20), "v6": (SET_V6, 20), "v7": (SET_V7, 25), "v8": (SET_V8, 25),
                  "v9": (SET_V9, 25), "v10": (SET_V10, 25), "v11": (SET_V11, 25),
                  "v12": (SET_V12, 25), "v13": (SET_V13, 25), "v14": (SET_V14, 25),
                  "v15": (SET_V15, 25)}


def _compliance_labelled_near_misses(items: list[Item]) -> list[str]:
    """Items tagged compliance_near_miss that accept a compliance reply (as ``expect`` or in ``also``): such an item
    is an ordinary service question, and a compliance reply to it lectures an innocent customer."""
    return [i.text for i in items if "compliance_near_miss" in i.tags
            and any(label.startswith("compliance:") for label in (i.expect, *i.also))]


def test_compliance_labelled_near_misses_are_found() -> None:
    items = [Item("a", "kb", tags=("compliance_near_miss",)),
             Item("b", "compliance:investment_advice", tags=("compliance_near_miss",)),
             Item("c", "intent:deposit_rate", ("compliance:guaranteed_return",), ("compliance_near_miss",)),
             Item("d", "compliance:loan_scam")]
    assert _compliance_labelled_near_misses(items) == ["b", "c"]


@pytest.mark.parametrize("name", sorted(NEAR_MISS_SETS))
def test_innocent_questions_near_a_compliance_category_expect_their_ordinary_answer(name: str) -> None:
    """Enough innocent questions that share words with each kind of compliance reply (trading rules, permissions,
    ID documents, collection codes, fund fees, deposit insurance, risk levels as facts, a fraud already reported),
    each labelled with the intent, KB answer or fallback a careful bank gives, never a compliance reply."""
    path, least = NEAR_MISS_SETS[name]
    items = load_set(path)
    near = [i for i in items if "compliance_near_miss" in i.tags]
    assert len(near) >= least, len(near)
    assert not _compliance_labelled_near_misses(items)
    assert {i.expect.partition(":")[0] for i in near} >= {"intent", "kb"}


def test_kb_queries_join_the_fresh_corpus_of_later_sets_only() -> None:
    """The KB's held-out paraphrase queries are read for the sets written after them and only for those."""
    queries = _kb_query_texts("v6")
    assert len(queries) > 250
    assert normalise("錢包被偷了，裡面有兩張儲蓄卡，要馬上怎麼處理") in queries
    assert _kb_query_texts("v5") == set()


def test_v7_asks_kb_details_next_to_intents_and_slips_compliance_into_service_questions() -> None:
    """The seventh set aims at the errors seen since v6: KB-only follow-up details next to a standard intent (tag
    near_miss on a kb item) and compliance requests slipped into an ordinary service question (tag mixed), each of
    which must expect its compliance reply."""
    items = load_set(SET_V7)
    assert sum(i.expect == "kb" and "near_miss" in i.tags for i in items) >= 12
    mixed = [i for i in items if "mixed" in i.tags]
    assert len(mixed) >= 8 and all(i.expect.startswith("compliance:") for i in mixed), mixed


# Sets written to the v8 shape: (path, least innocent compliance near-misses in all; v8 asked no minimum).
V8_SHAPED = {"v8": (SET_V8, 0), "v9": (SET_V9, 25), "v10": (SET_V10, 25), "v11": (SET_V11, 25),
             "v12": (SET_V12, 25), "v13": (SET_V13, 25), "v14": (SET_V14, 25),
             "v15": (SET_V15, 25)}


@pytest.mark.parametrize("name", sorted(V8_SHAPED))
def test_later_sets_ask_kb_details_near_misses_and_mixed_requests_of_every_compliance_category(name: str) -> None:
    """From the eighth set on, each set keeps v7's aim (KB-only details next to a standard intent, compliance
    requests slipped into a service question) on KB topics no earlier set asked, written by someone who never saw
    the bot's answers (from v9 on, nor its rules): 20 KB-only details (kb + near_miss), 10 innocent KB questions
    sharing words with a compliance category (from v9 on 25 innocent near-misses in all), and mixed messages
    covering every compliance category, each expecting its compliance reply; every compliance intent is asked at
    least 7 times."""
    path, least_near = V8_SHAPED[name]
    items = load_set(path)
    assert sum(i.expect == "kb" and "near_miss" in i.tags for i in items) >= 20
    assert sum(i.expect == "kb" and "compliance_near_miss" in i.tags for i in items) >= 10
    assert sum("compliance_near_miss" in i.tags for i in items) >= least_near
    mixed = [i for i in items if "mixed" in i.tags]
    assert len(mixed) >= 10 and all(i.expect.startswith("compliance:") for i in mixed), mixed
    assert {i.expect for i in mixed} == {f"compliance:{c}" for c in COMPLIANCE}
    per_category = Counter(i.expect for i in items if i.expect.startswith("compliance:"))
    assert all(per_category[f"compliance:{c}"] >= 7 for c in COMPLIANCE), per_category
