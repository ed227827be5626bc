"""action_kb_arbitrate against a real (small) index: a KB answer the KB's policy would give wins over a weak
intent (rendered as the KB fallback renders it, feedback asked, the verdict recorded); otherwise the action
reverts itself so the intent's usual rules answer."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.arbitrate as arbitrate
import actions.kb_fallback as kb_fallback
from actions.arbitrate import REASON_SLOT, ActionKbArbitrate, kb_verdict
from kb_index.entry import KbEntry
from kb_index.index import build
from kb_index.policy import Action as KbAction
from kb_index.policy import Decision, Scored, Thresholds
from kb_index.service import Hit, KbService, Lookup
from tests.actions.test_kb_fallback import ENTRIES
from tests.actions.trackers import INSTITUTION
from tests.kb_index.fakes import HashingEncoder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KbService]:
    build(ENTRIES, HashingEncoder(), tmp_path / "kb")
    service = KbService(tmp_path / "kb", Thresholds(answer=0.95, suggest=0.6), lambda spec: HashingEncoder())
    service.reload_if_changed()
    monkeypatch.setattr(kb_fallback, "kb_service", lambda: service)
    yield service


def tracker(text: str, intent: str, confidence: float, reason: str | None = None) -> Tracker:
    """The tracker the action sees: the policy has set its reason (by default the one the confidence gives)."""
    parse = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
    slots = {**INSTITUTION, REASON_SLOT: reason or ("weak_intent" if confidence < 0.6 else "kb_exact_match")}
    return Tracker("conv-arb", slots, parse, [{"event": "user", "text": text, "parse_data": parse}],
                   False, None, {}, "action_listen")


def run(t: Tracker) -> tuple[list[Dict[str, Any]], list[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionKbArbitrate().run(dispatcher, t, {}))
    return events, dispatcher.messages


def test_a_kb_answer_beats_a_weak_intent(kb: KbService) -> None:
    events, messages = run(tracker("卡丢了怎么办", "account_open_materials", 0.24))
    assert messages[0]["text"] == f"请立即通过{INSTITUTION['app_name']}或{INSTITUTION['hotline']}挂失。"
    assert messages[1]["response"] == "utter_kb_ask_feedback"
    verdict = messages[2]["custom"]["kb"]["arbitration"]
    assert verdict["winner"] == "kb" and verdict["intent"] == "account_open_materials"
    assert messages[2]["custom"]["kb"]["action"] == "answer"
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["kb_last_entry"] == "card-loss"
    assert not [e for e in events if e["event"] == "undo"]


def test_without_a_kb_answer_a_weak_intent_is_asked_about_not_answered(kb: KbService) -> None:
    """Below the weak threshold an answer is wrong one time in three: the bot asks (您是不是想问) with the intent's
    question first and the KB's suggestions after it; 第一个 or the button gives the intent's usual reply."""
    events, messages = run(tracker("我想开个户要带什么", "account_open_materials", 0.41))
    assert messages[0]["response"] == "utter_kb_did_you_mean"
    buttons = messages[0]["buttons"]
    assert buttons[0] == {"title": "开户需要带什么材料？", "payload": "/account_open_materials"}
    assert buttons[-1]["payload"] == "/human_handoff" and len(buttons) <= 4
    context = messages[-1]["custom"]["kb"]
    assert context["action"] == "suggest" and context["arbitration"]["winner"] == "clarify"
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["kb_suggestions"][0] == "/account_open_materials" and slots["kb_last_entry"] is None
    assert not [e for e in events if e["event"] == "undo"]


@pytest.mark.parametrize("intent, confidence, reason", [
    ("thanks", 0.41, "weak_intent"),  # small talk is answered as it is
    ("greet", 0.3, "weak_intent"),
    ("card_report_loss", 0.55, "weak_form_intent"),  # a form asks its own first question
    ("account_open_materials", 0.95, "kb_exact_match"),  # not weak
])
def test_a_weak_small_talk_or_form_intent_or_a_confident_one_keeps_the_turn(
        kb: KbService, intent: str, confidence: float, reason: str) -> None:
    events, messages = run(tracker("我想开个户要带什么", intent, confidence, reason))
    assert events == [{"event": "undo", "timestamp": None}] and messages == []


def test_a_form_intent_below_an_even_chance_is_asked_about_and_its_form_starts_when_picked(kb: KbService) -> None:
    events, messages = run(tracker("口袋里的工资卡没了要不要先停掉", "card_report_loss", 0.34, "weak_form_intent"))
    assert messages[0]["buttons"][0] == {"title": "我要挂失银行卡", "payload": "/card_report_loss"}


@pytest.mark.parametrize("reason, intent, confidence, expected", [
    ("weak_intent", "online_banking_open", 0.31, True),
    ("weak_intent", "online_banking_open", None, True),
    ("weak_intent", "greet", 0.26, False),
    ("weak_intent", None, 0.26, False),
    ("weak_form_intent", "branch_locator", 0.42, True),
    ("weak_form_intent", "branch_locator", 0.5, False),
    ("weak_form_intent", "branch_locator", None, False),
    ("weak_compliance", "investment_advice", 0.3, False),
    ("weak_complaint", "complaint", 0.3, True),
    ("novel_terms", "deposit_rate", 0.3, False),
    ("weak_support", "deposit_rate", 0.9, False),
    (None, "deposit_rate", 0.3, False),
])
def test_clarifies(reason: str | None, intent: str | None, confidence: float | None, expected: bool) -> None:
    assert arbitrate.clarifies(reason, intent, confidence) is expected


LONG = "卡挂失以后已经去柜台补了新卡，结果旧卡今天在沙发缝里又找着了，旧卡还能解挂接着用吗"


@pytest.mark.parametrize("reason, intent, text, kb_knows, expected", [
    ("novel_terms", "card_unfreeze_loss", LONG, True, True),  # long, words the intent never saw, the KB near
    ("novel_terms", "card_unfreeze_loss", "旧卡找到了怎么解挂", True, False),  # short: the intent's own kind
    ("novel_terms", "card_unfreeze_loss", LONG, False, False),  # the KB knows nothing near it
    ("weak_support", "card_unfreeze_loss", LONG, True, False),  # no word the intent never saw
    ("novel_terms", "card_report_loss", LONG, True, False),  # a form intent keeps its form
    ("novel_terms", "thanks", LONG, True, False),  # small talk
])
def test_a_long_message_with_words_its_confident_intent_never_saw_is_asked_about(
        reason: str, intent: str, text: str, kb_knows: bool, expected: bool) -> None:
    assert len(LONG) >= arbitrate.LONG_MESSAGE
    assert arbitrate.clarifies(reason, intent, 0.97, text, kb_knows) is expected


def test_a_long_message_is_asked_about_with_the_intents_question_first(kb: KbService) -> None:
    text = "上个周末在商场门口那台取款机上给家里人转生活费，提示超了，取款机转账限额是多少"
    assert len(text) >= arbitrate.LONG_MESSAGE
    assert kb.lookup(text).decision.action is not KbAction.FALLBACK
    _, messages = run(_with_novel(tracker(text, "account_balance", 0.95), ["商场", "生活费"]))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert messages[0]["response"] == "utter_kb_did_you_mean"
    assert payloads[0] == "/account_balance" and payloads[1].startswith("/kb_select")
    assert payloads[-1] == "/human_handoff"
    assert messages[-1]["custom"]["kb"]["arbitration"]["winner"] == "clarify"


def _with_novel(t: Tracker, terms: list[str]) -> Tracker:
    t.latest_message["novel_terms"] = terms
    if t.slots[REASON_SLOT] == "kb_exact_match":
        t.slots[REASON_SLOT] = "novel_terms"
    return t


def test_a_word_the_intent_never_saw_lets_a_kb_question_containing_it_be_offered(kb: KbService) -> None:
    # a confident intent, but 取款机 is a word its examples never contain and the KB's question has it
    events, messages = run(_with_novel(tracker("取款机转账限额是多少呢", "transfer_limit", 0.95), ["取款机"]))
    assert messages[0]["response"] == "utter_kb_did_you_mean"
    assert '/kb_select{"kb_entry":"limit-atm"}' in [b["payload"] for b in messages[0]["buttons"]]
    verdict = messages[-1]["custom"]["kb"]["arbitration"]
    assert verdict["winner"] == "kb" and verdict["novel_terms"] == ["取款机"]
    assert messages[-1]["custom"]["kb"]["action"] == "suggest"
    assert {"event": "slot", "timestamp": None, "name": "kb_last_entry", "value": None} in events


def test_a_novel_word_the_kb_question_lacks_leaves_the_turn_to_the_intent(kb: KbService) -> None:
    events, messages = run(_with_novel(tracker("卡丢了怎么办呀", "card_report_loss", 0.95), ["杭州"]))
    assert events == [{"event": "undo", "timestamp": None}] and messages == []


def _lookup(action: KbAction, matched: str, question: str = "手机银行转账限额是多少",
            confidence: float = 0.7) -> Lookup:
    entry = KbEntry("e1", question, "答")
    best = Scored("e1", question, 0.9, confidence)
    return Lookup(Decision(action, best, (best,)), (Hit(entry, matched, 0.9, confidence),), "v1")


WEAK, FORM, COMPLIANCE = "weak_intent", "weak_form_intent", "weak_compliance"


@pytest.mark.parametrize(
    "action, text, matched, reason, novel, expected",
    [
        # an answer wins over a weak intent of any kind, or for the KB question word for word
        (KbAction.ANSWER, "手机转账限额多少", "手机转账限额", WEAK, (), KbAction.ANSWER),
        (KbAction.ANSWER, "手机转账限额多少", "手机转账限额", FORM, (), KbAction.ANSWER),
        (KbAction.ANSWER, "手机转账限额多少", "手机转账限额", COMPLIANCE, (), KbAction.ANSWER),
        (KbAction.ANSWER, "手机转账限额！", "手机转账限额", "kb_exact_match", (), KbAction.ANSWER),
        (KbAction.ANSWER, "手机转账限额！", "手机转账限额", None, (), KbAction.ANSWER),
        (KbAction.ANSWER, "手机转账限额多少", "手机转账限额", "novel_terms", (), None),
        (KbAction.ANSWER, "手机转账限额多少", "手机转账限额", None, (), None),
        # a likely suggestion is offered over a weak ordinary intent, never over a form or a compliance reply
        (KbAction.SUGGEST, "手机转账限额多少", "手机转账限额", WEAK, (), KbAction.SUGGEST),
        (KbAction.SUGGEST, "手机转账限额多少", "手机转账限额", FORM, (), None),
        (KbAction.SUGGEST, "手机转账限额多少", "手机转账限额", COMPLIANCE, (), None),
        (KbAction.SUGGEST, "手机转账限额多少", "手机转账限额", None, (), None),
        (KbAction.FALLBACK, "逆回购门槛", "手机转账限额", WEAK, ("逆回购",), None),
        # words the intent never saw, in the KB's question: an offer, also when the KB would answer
        (KbAction.SUGGEST, "闲钱做逆回购门槛", "逆回购门槛多少", "novel_terms", ("逆回购",), KbAction.SUGGEST),
        (KbAction.ANSWER, "闲钱做逆回购门槛", "逆回购门槛多少", "novel_terms", ("闲钱", "逆回购"), KbAction.SUGGEST),
        (KbAction.ANSWER, "闲钱做逆回购门槛", "逆回购门槛多少", WEAK, ("逆回购",), KbAction.ANSWER),
        (KbAction.SUGGEST, "闲钱做逆回购门槛", "逆回购门槛多少", COMPLIANCE, ("逆回购",), None),
        # ... not in it: the intent keeps the turn
        (KbAction.ANSWER, "逆回购门槛", "手机转账限额", "novel_terms", ("逆回购",), None),
        (KbAction.SUGGEST, "手机银行转账", "限额", "novel_terms", ("手机银行",), KbAction.SUGGEST),  # main question
        (KbAction.SUGGEST, "逆回購門檻", "逆回购门槛多少", "novel_terms", ("逆回購",), KbAction.SUGGEST),  # normalised
    ],
)
def test_kb_verdict(action: KbAction, text: str, matched: str, reason: str | None, novel: tuple[str, ...],
                    expected: KbAction | None) -> None:
    assert kb_verdict(_lookup(action, matched), text, reason, novel) is expected


@pytest.mark.parametrize(
    "action, matched, reason, support, confidence, expected",
    [
        # closer to the KB's question (dice 14/19 = 0.74) than to the intent's nearest example: an offer
        (KbAction.ANSWER, "信用卡最长免息多少天", "weak_support", 0.40, 0.7, KbAction.SUGGEST),
        (KbAction.SUGGEST, "信用卡最长免息多少天", "weak_support", 0.40, 0.5, KbAction.SUGGEST),
        (KbAction.SUGGEST, "信用卡最长免息多少天", "novel_terms", 0.40, 0.7, KbAction.SUGGEST),
        # the intent's example is as close or closer, the KB unsure, no support known, or another reason: the intent
        (KbAction.ANSWER, "信用卡最长免息多少天", "weak_support", 0.74, 0.7, None),
        (KbAction.SUGGEST, "信用卡最长免息多少天", "weak_support", 0.40, 0.49, None),
        (KbAction.FALLBACK, "信用卡最长免息多少天", "weak_support", 0.40, 0.7, None),
        (KbAction.ANSWER, "信用卡最长免息多少天", "weak_support", None, 0.7, None),
        (KbAction.SUGGEST, "信用卡最长免息多少天", "weak_form_intent", 0.40, 0.7, None),
        (KbAction.SUGGEST, "信用卡最长免息多少天", "weak_compliance", 0.40, 0.7, None),
        (KbAction.ANSWER, "信用卡最长免息多少天", None, 0.40, 0.7, None),
    ],
)
def test_a_message_closer_to_the_kb_question_than_to_its_intent_gets_the_offer(
        action: KbAction, matched: str, reason: str | None, support: float | None, confidence: float,
        expected: KbAction | None) -> None:
    lookup = _lookup(action, matched, question=matched, confidence=confidence)
    assert kb_verdict(lookup, "信用卡最多能免息多少天？", reason, (), support) is expected


def test_a_short_message_is_left_to_its_confident_intent() -> None:
    """Fewer than ten character pairs: too few for the comparison (怎么销户 is account_close, not the KB's
    证券账户怎么销户, though it shares more of its wording with that question)."""
    lookup = _lookup(KbAction.ANSWER, "证券账户怎么销户", question="证券账户怎么销户", confidence=0.77)
    assert kb_verdict(lookup, "怎么销户", "weak_support", (), 0.2) is None
    assert kb_verdict(lookup, "我想问一下证券账户要怎么销户呢", "weak_support", (), 0.2) is KbAction.SUGGEST


def test_the_offer_over_a_confident_intent_records_its_support(kb: KbService, monkeypatch: pytest.MonkeyPatch) -> None:
    # the small test index has no re-ranker (no calibrated probability): accept its offer as likely enough
    monkeypatch.setattr(arbitrate, "OFFER_OVER_WEAK", 0.0)
    t = tracker("取款机转账的限额是多少", "transfer_limit", 0.95, reason="weak_support")
    t.latest_message["intent_support"] = 0.2
    events, messages = run(t)
    assert messages[0]["response"] == "utter_kb_did_you_mean"
    verdict = messages[-1]["custom"]["kb"]["arbitration"]
    assert verdict["winner"] == "kb" and verdict["reason"] == "weak_support" and verdict["intent_support"] == 0.2
    t = tracker("取款机转账的限额是多少", "transfer_limit", 0.95, reason="weak_support")
    t.latest_message["intent_support"] = 0.99  # a training example is closer than any KB question
    events, messages = run(t)
    assert events == [{"event": "undo", "timestamp": None}] and messages == []


@pytest.mark.parametrize("confidence, expected", [(0.49, None), (0.5, KbAction.SUGGEST), (0.9, KbAction.SUGGEST)])
def test_a_weak_intent_gives_way_to_a_suggestion_at_least_as_likely_right_as_not(
        confidence: float, expected: KbAction | None) -> None:
    lookup = _lookup(KbAction.SUGGEST, "手机转账限额", confidence=confidence)
    assert kb_verdict(lookup, "手机转账限额多少", "weak_intent") is expected
    assert kb_verdict(lookup, "手机转账限额多少", "weak_form_intent") is None


def test_a_weak_compliance_intent_loses_only_to_a_kb_answer(kb: KbService) -> None:
    # the policy sends a safety/compliance intent here only when the classifier alone gave it weakly: a KB answer
    # replaces the fixed reply (an ordinary question the classifier took for advice) ...
    events, messages = run(tracker("卡丢了怎么办", "investment_advice", 0.4, "weak_compliance"))
    assert messages[0]["text"] == f"请立即通过{INSTITUTION['app_name']}或{INSTITUTION['hotline']}挂失。"
    assert messages[-1]["custom"]["kb"]["arbitration"]["winner"] == "kb"
    # ... a suggestion through words the intent never saw does not: the compliance reply stands
    events, messages = run(_with_novel(tracker("取款机转账限额是多少呢", "investment_advice", 0.4, "weak_compliance"),
                                       ["取款机"]))
    assert events == [{"event": "undo", "timestamp": None}] and messages == []
    # the same message and words with an ordinary weak intent: the offer
    events, messages = run(_with_novel(tracker("取款机转账限额是多少呢", "transfer_limit", 0.4), ["取款机"]))
    assert messages[0]["response"] == "utter_kb_did_you_mean"
    assert messages[-1]["custom"]["kb"]["arbitration"]["reason"] == "weak_intent"


def test_without_the_policys_reason_only_the_kb_question_word_for_word_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a tracker without the slot (a model trained before it): the action assumes nothing about the intent
    build(ENTRIES, HashingEncoder(), tmp_path / "kb")
    lenient = KbService(tmp_path / "kb", Thresholds(answer=0.85, suggest=0.6), lambda spec: HashingEncoder())
    lenient.reload_if_changed()
    monkeypatch.setattr(kb_fallback, "kb_service", lambda: lenient)
    for text, word_for_word in (("卡丢了怎么办", True), ("卡丢了怎么办呢", False)):
        assert run(tracker(text, "account_open_materials", 0.24))[1], text  # weak_intent: the KB answers both
        t = tracker(text, "account_open_materials", 0.24)
        t.slots.pop(REASON_SLOT)
        events, _ = run(t)
        assert (events != [{"event": "undo", "timestamp": None}]) is word_for_word, text


def test_the_reason_slot_is_in_the_domain() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert domain["slots"][REASON_SLOT]["influence_conversation"] is False


@pytest.mark.parametrize("matched, main, reason, confidence, expected", [
    # the KB fairly sure of another question than the intent's own: an offer (the intent's question among them)
    ("港股通中午休不休市", "港股通的交易时间、交收和费用是怎样的？", "novel_terms", 0.72, KbAction.SUGGEST),
    ("港股通中午休不休市", "港股通的交易时间、交收和费用是怎样的？", "weak_support", 0.7, KbAction.SUGGEST),
    # less sure, or the KB's question is the intent's own, or the intent weak / not ordinary-confident: no offer
    ("港股通中午休不休市", "港股通的交易时间、交收和费用是怎样的？", "novel_terms", 0.69, None),
    ("股票交易时间是几点", "股票交易时间是什么时候？", "novel_terms", 0.9, None),
    ("港股通中午休不休市", "股票几点开盘？股票交易时间是什么时候？", "novel_terms", 0.9, None),
    ("港股通中午休不休市", "港股通的交易时间、交收和费用是怎样的？", "weak_compliance", 0.9, None),
    ("港股通中午休不休市", "港股通的交易时间、交收和费用是怎样的？", None, 0.9, None),
])
def test_a_confident_intent_gives_way_to_a_sure_kb_entry_that_asks_another_question(
        matched: str, main: str, reason: str | None, confidence: float, expected: KbAction | None) -> None:
    lookup = _lookup(KbAction.SUGGEST, matched, question=main, confidence=confidence)
    text = "港股通每天几点开盘，中午休不休市"
    assert kb_verdict(lookup, text, reason, (), 0.9, "股票交易时间是什么时候？") is expected
    assert kb_verdict(lookup, text, reason, (), 0.9, None) is None  # an intent never offered: no comparison


@pytest.mark.parametrize("support, confidence, expected", [
    # the intent's nearest training example shares little of the message: a less sure KB entry is enough to ask
    (0.35, 0.59, KbAction.SUGGEST), (0.39, 0.4, KbAction.SUGGEST),
    (0.35, 0.39, None),  # the KB less sure still
    (0.4, 0.59, None), (None, 0.59, None),  # the wording supported (or not measured): the usual 0.7
])
def test_a_confident_intent_with_little_support_gives_way_to_a_less_sure_kb_entry(
        support: float | None, confidence: float, expected: KbAction | None) -> None:
    text = "短信说信用卡已经审批通过，可过了半个月卡还没寄到"
    lookup = _lookup(KbAction.SUGGEST, "信用卡审批通过了，一直没收到卡怎么办", question="信用卡审批通过后多久寄卡？",
                     confidence=confidence)
    assert kb_verdict(lookup, text, "weak_support", (), support, "怎么申请信用卡？") is expected
    assert kb_verdict(lookup, text, "weak_support", (), support, "信用卡审批通过了多久能收到卡？") is None  # its own


def test_the_offer_over_a_confident_intent_lists_the_intents_question_last(
        kb: KbService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arbitrate, "OFFER_OVER_WEAK", 0.0)  # the small test index has no calibrated probability
    t = _with_novel(tracker("取款机转账限额是多少呢", "account_balance", 0.95), ["取款机"])
    _, messages = run(t)
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[0].startswith("/kb_select") and payloads[-2:] == ["/account_balance", "/human_handoff"]


def test_a_confident_form_intent_keeps_its_form_whatever_the_kb_knows(
        kb: KbService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arbitrate, "OFFER_OVER_WEAK", 0.0)
    monkeypatch.setattr(arbitrate, "OFFER_OVER_CONFIDENT", 0.0)
    events, messages = run(tracker("取款机转账限额是多少呢", "card_report_loss", 0.95, reason="novel_terms"))
    assert events == [{"event": "undo", "timestamp": None}] and messages == []
    _, messages = run(tracker("取款机转账限额是多少呢", "account_balance", 0.95, reason="novel_terms"))
    assert messages[0]["response"] == "utter_kb_did_you_mean"


def test_an_unsure_complaint_is_asked_about_and_never_replaced_by_the_kb(kb: KbService) -> None:
    """A complaint below the weak threshold: 您是不是想问 with 我要投诉 first, even when the KB would answer."""
    events, messages = run(tracker("卡丢了怎么办", "complaint", 0.3, "weak_complaint"))
    assert messages[0]["response"] == "utter_kb_did_you_mean"
    assert messages[0]["buttons"][0] == {"title": "我要投诉", "payload": "/complaint"}
    assert messages[-1]["custom"]["kb"]["arbitration"]["winner"] == "clarify"
    assert kb_verdict(_lookup(KbAction.ANSWER, "卡丢了怎么办"), "卡丢了怎么办", "weak_complaint") is None
