"""The KB fallback actions against a real (small) index: answer + feedback, 您是不是想问, fallback, two fallbacks
in a row and 没帮助 hand off, and every miss lands masked in the unanswered store."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.kb_fallback as kb_fallback
from actions.kb_fallback import ActionKbFallback, ActionKbFeedback, ActionKbSelect, nlu_gated
from kb_index.entry import Button, KbEntry
from kb_index.index import build
from kb_index.policy import Action as KbAction
from kb_index.policy import Decision, Scored, Thresholds
from kb_index.ranking import AnswerSignal
from kb_index.reranker import RerankerConfig
from kb_index.service import Hit, KbService, Lookup
from kb_index.unanswered import UnansweredStore
from tests.actions.trackers import INSTITUTION
from tests.kb_index.fakes import HashingEncoder, synthetic_kb

RERANKER = RerankerConfig(min_entries=5, min_queries=20, rounds=40, seeds=(0,), num_threads=1,
                          params={"learning_rate": 0.1, "num_leaves": 7, "min_data_in_leaf": 10})

ENTRIES = [
    KbEntry("card-loss", "银行卡丢了怎么挂失", "请立即通过{app_name}或{hotline}挂失。", similar=("卡丢了怎么办",),
            buttons=(Button("补办新卡", "/card_reissue"),)),
    KbEntry("limit-app", "手机银行转账限额是多少", "手机银行单笔限额5万元。", similar=("手机转账限额",)),
    KbEntry("limit-atm", "ATM转账限额是多少", "ATM单日转账限额5万元。", similar=("取款机转账限额",)),
]


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UnansweredStore]:
    build(ENTRIES, HashingEncoder(), tmp_path / "kb")
    service = KbService(tmp_path / "kb", Thresholds(answer=0.95, suggest=0.6), lambda spec: HashingEncoder())
    service.reload_if_changed()
    unanswered = UnansweredStore(tmp_path / "kb" / "unanswered.db")
    monkeypatch.setattr(kb_fallback, "kb_service", lambda: service)
    monkeypatch.setattr(kb_fallback, "unanswered_store", lambda: unanswered)
    yield unanswered


def tracker(turns: list[tuple[str, str]], slots: Dict[str, Any] | None = None,
            entities: list[Dict[str, Any]] | None = None) -> Tracker:
    """A tracker whose user turns are (text, intent), the last one being the latest message."""
    events = [{"event": "user", "text": t, "parse_data": {"intent": {"name": i, "confidence": 0.3}}}
              for t, i in turns]
    text, intent = turns[-1]
    return Tracker("conv-1", {**INSTITUTION, **(slots or {})},
                   {"text": text, "intent": {"name": intent, "confidence": 0.3}, "entities": entities or []},
                   events, False, None, {}, "action_listen")


def run(action: Action, t: Tracker) -> tuple[Dict[str, Any], list[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return {e["name"]: e["value"] for e in events}, dispatcher.messages


def handoff(messages: list[Dict[str, Any]]) -> Dict[str, Any] | None:
    return next((m["custom"]["handoff"] for m in messages if (m.get("custom") or {}).get("handoff")), None)


def test_a_confident_match_is_answered_then_feedback_is_asked(store: UnansweredStore) -> None:
    slots, messages = run(ActionKbFallback(), tracker([("卡丢了怎么办", "nlu_fallback")]))
    assert messages[0]["text"] == f"请立即通过{INSTITUTION['app_name']}或{INSTITUTION['hotline']}挂失。"
    assert messages[0]["buttons"] == [{"title": "补办新卡", "payload": "/card_reissue"}]
    assert messages[1]["response"] == "utter_kb_ask_feedback"
    assert [b["payload"] for b in messages[1]["buttons"]] == ["/kb_helpful", "/kb_unhelpful"]
    assert messages[2]["custom"]["kb"]["candidates"][0]["entry_id"] == "card-loss"
    assert slots["kb_last_entry"] == "card-loss" and slots["kb_fallback_streak"] == 0
    assert store.recent() == []


def test_a_close_match_offers_up_to_three_questions_and_a_human(store: UnansweredStore) -> None:
    slots, messages = run(ActionKbFallback(), tracker([("转账限额", "nlu_fallback")]))
    assert messages[0]["response"] == "utter_kb_did_you_mean"
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[-1] == "/human_handoff" and 2 <= len(payloads) <= 4
    assert '/kb_select{"kb_entry":"limit-app"}' in payloads
    assert slots["kb_suggestions"] == [p.split('"')[3] for p in payloads[:-1]]
    assert [r.kind for r in store.recent()] == ["suggest"]


def test_a_miss_apologises_and_is_recorded_masked(store: UnansweredStore) -> None:
    slots, messages = run(ActionKbFallback(), tracker([("量子纠缠 身份证11010519491231002X", "nlu_fallback")]))
    assert messages[0]["response"] == "utter_default" and handoff(messages) is None
    assert slots["kb_fallback_streak"] == 1
    (row,) = store.recent()
    assert row.kind == "fallback" and "11010519491231002X" not in row.text and row.conversation == "conv-1"
    assert "11010519491231002X" not in messages[-1]["custom"]["kb"]["query"]


def test_out_of_scope_misses_get_the_out_of_scope_apology(store: UnansweredStore) -> None:
    _, messages = run(ActionKbFallback(), tracker([("附近有什么好吃的火锅", "out_of_scope")]))
    assert messages[0]["response"] == "utter_out_of_scope"


def test_two_misses_in_a_row_hand_off(store: UnansweredStore) -> None:
    turns = [("量子纠缠", "nlu_fallback"), ("黑洞蒸发", "nlu_fallback")]
    _, messages = run(ActionKbFallback(), tracker(turns, slots={"kb_fallback_streak": 1.0}))
    signal = handoff(messages)
    assert signal is not None and signal["reason"] == "repeated_fallback"
    assert [m.get("response") for m in messages[:2]] == ["utter_kb_still_not_understood", "utter_human_handoff"]
    assert "kb" in signal


def test_a_miss_after_an_understood_message_starts_counting_again(store: UnansweredStore) -> None:
    turns = [("量子纠缠", "nlu_fallback"), ("你好", "greet"), ("黑洞蒸发", "nlu_fallback")]
    slots, messages = run(ActionKbFallback(), tracker(turns, slots={"kb_fallback_streak": 1.0}))
    assert handoff(messages) is None and slots["kb_fallback_streak"] == 1


def test_a_suggestion_is_answered_by_button_or_by_position(store: UnansweredStore) -> None:
    entity = [{"entity": "kb_entry", "value": "limit-atm"}]
    _, messages = run(ActionKbSelect(), tracker([('/kb_select{"kb_entry":"limit-atm"}', "kb_select")],
                                                entities=entity))
    assert messages[0]["text"].startswith("ATM单日") and messages[1]["response"] == "utter_kb_ask_feedback"
    _, messages = run(ActionKbSelect(), tracker([("第二个", "kb_select")],
                                                slots={"kb_suggestions": ["limit-app", "card-loss"]}))
    assert messages[0]["text"].startswith("请立即通过")
    _, messages = run(ActionKbSelect(), tracker([("第三个", "kb_select")], slots={"kb_suggestions": ["limit-app"]}))
    assert messages[0]["response"] == "utter_kb_select_unknown"


def test_feedback_thanks_or_hands_off_and_records(store: UnansweredStore) -> None:
    _, messages = run(ActionKbFeedback(), tracker([("有帮助", "kb_helpful")], slots={"kb_last_entry": "card-loss"}))
    assert messages[0]["response"] == "utter_kb_thanks" and store.recent() == []
    slots = {"kb_last_entry": "card-loss", "kb_last_query": "卡丢了怎么办"}
    _, messages = run(ActionKbFeedback(), tracker([("没帮助", "kb_unhelpful")], slots=slots))
    signal = handoff(messages)
    assert signal is not None and signal["reason"] == "negative_feedback"
    assert signal["kb"]["answered_entry"] == "card-loss"
    (row,) = store.recent()
    assert (row.kind, row.text, row.best_entry) == ("negative_feedback", "卡丢了怎么办", "card-loss")


def test_a_bare_slot_answer_outside_a_form_is_answered_from_the_kb_or_asked_about(store: UnansweredStore) -> None:
    _, messages = run(ActionKbFallback(), tracker([("卡丢了怎么办", "inform")]))
    assert messages[0]["text"].startswith("请立即通过")  # the KB knows it
    _, messages = run(ActionKbFallback(), tracker([("杭州", "inform")]))
    assert messages[0]["response"] == "utter_inform_without_context" and handoff(messages) is None
    assert store.recent() == []  # not a miss: the customer only gave a value


def test_a_plain_yes_or_no_after_an_answer_is_feedback_on_it(store: UnansweredStore) -> None:
    slots = {"kb_last_entry": "card-loss", "kb_last_query": "卡丢了怎么办"}
    _, messages = run(ActionKbFeedback(), tracker([("卡丢了怎么办", "nlu_fallback"), ("有", "affirm")], slots=slots))
    assert messages[0]["response"] == "utter_kb_thanks" and store.recent() == []
    _, messages = run(ActionKbFeedback(), tracker([("卡丢了怎么办", "nlu_fallback"), ("没有", "deny")], slots=slots))
    signal = handoff(messages)
    assert signal is not None and signal["reason"] == "negative_feedback"
    assert [row.kind for row in store.recent()] == ["negative_feedback"]


def test_a_plain_yes_or_no_after_suggestions_picks_declines_or_asks(store: UnansweredStore) -> None:
    _, messages = run(ActionKbFeedback(), tracker([("是的", "affirm")], slots={"kb_suggestions": ["limit-app"]}))
    assert messages[0]["text"] == "手机银行单笔限额5万元。"  # the only suggestion is answered
    assert messages[1]["response"] == "utter_kb_ask_feedback"
    two = {"kb_suggestions": ["limit-app", "limit-atm"]}
    _, messages = run(ActionKbFeedback(), tracker([("是的", "affirm")], slots=two))
    assert [m["response"] for m in messages] == ["utter_kb_pick_one"]
    slots, messages = run(ActionKbFeedback(), tracker([("都不是", "deny")], slots=two))
    assert messages[0]["response"] == "utter_default" and slots == {"kb_suggestions": None}
    assert handoff(messages) is None and store.recent() == []


def test_a_plain_no_after_an_apology_is_acknowledged(store: UnansweredStore) -> None:
    _, messages = run(ActionKbFeedback(), tracker([("不用了", "deny")]))
    assert [m["response"] for m in messages] == ["utter_anything_else"] and store.recent() == []


def test_only_an_answer_leaves_an_entry_to_give_feedback_on(store: UnansweredStore) -> None:
    stale = {"kb_last_entry": "card-loss"}
    slots, _ = run(ActionKbFallback(), tracker([("转账限额", "nlu_fallback")], slots=stale))
    assert slots["kb_last_entry"] is None and slots["kb_suggestions"]  # a suggestion, not an answer
    slots, _ = run(ActionKbFallback(), tracker([("量子纠缠", "nlu_fallback")], slots=stale))
    assert slots["kb_last_entry"] is None


def test_the_kb_context_carries_the_calibrated_probability_of_a_reranked_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the learned re-ranker, the KB result the bridge (and the bot/KB arbitration) reads carries the
    calibrated probability besides the cosine, for the best entry and each candidate."""
    entries, queries = synthetic_kb()
    build(entries, HashingEncoder(), tmp_path / "kb", answers=AnswerSignal(0.2, 32), reranker=RERANKER)
    service = KbService(tmp_path / "kb", Thresholds(answer=0.5, suggest=0.3, answer_confidence=0.5,
                                                    suggest_confidence=0.1), lambda spec: HashingEncoder())
    service.reload_if_changed()
    monkeypatch.setattr(kb_fallback, "kb_service", lambda: service)
    monkeypatch.setattr(kb_fallback, "unanswered_store", lambda: UnansweredStore(tmp_path / "unanswered.db"))
    query, gold = queries[0]
    _, messages = run(ActionKbFallback(), tracker([(query, "nlu_fallback")]))
    kb = messages[-1]["custom"]["kb"]
    assert 0 <= kb["confidence"] <= 1 and kb["confidence"] == kb["candidates"][0]["confidence"]
    assert all(0 <= c["confidence"] <= 1 and 0 <= c["score"] <= 1 for c in kb["candidates"])
    assert kb["candidates"][0]["entry_id"] == gold
    assert kb["action"] == ("answer" if kb["confidence"] >= 0.5 else "suggest")


def test_without_a_reranker_the_context_says_there_is_no_probability(store: UnansweredStore) -> None:
    _, messages = run(ActionKbFallback(), tracker([("卡丢了怎么办", "nlu_fallback")]))
    kb = messages[-1]["custom"]["kb"]
    assert kb["confidence"] is None and kb["candidates"][0]["confidence"] is None


def _lookup(action: KbAction, matched: str) -> Lookup:
    entry = ENTRIES[1]
    best = Scored(entry.id, entry.question, 0.97, 0.9)
    return Lookup(Decision(action, best, (best,) if action is KbAction.SUGGEST else ()),
                  (Hit(entry, matched, 0.97, 0.9),), "v1")


@pytest.mark.parametrize(
    "text, intent, confidence, matched, expected",
    [
        # the NLU is sure it is not banking, the KB matched on shared words: offered, not asserted
        ("帮我查一下商场门口那家面包店几点开门", "out_of_scope", 0.8, "网点几点开门", KbAction.SUGGEST),
        ("帮我查一下商场门口那家面包店几点开门", "out_of_scope", 0.5, "网点几点开门", KbAction.SUGGEST),
        # not sure enough, or not the out-of-scope intent: the KB's answer stands
        ("手机转账限额多少", "out_of_scope", 0.49, "手机转账限额", KbAction.ANSWER),
        ("手机转账限额多少", "nlu_fallback", 0.9, "手机转账限额", KbAction.ANSWER),
        ("手机转账限额多少", "transfer_limit", 0.4, "手机转账限额", KbAction.ANSWER),
        # word for word the question it matched (a trainer's question wins, issue 12): answered
        ("手机转账限额！", "out_of_scope", 0.9, "手机转账限额", KbAction.ANSWER),
    ],
)
def test_an_answer_to_a_message_the_nlu_calls_out_of_scope_becomes_an_offer(
        text: str, intent: str, confidence: float, matched: str, expected: KbAction) -> None:
    decision = nlu_gated(_lookup(KbAction.ANSWER, matched), text, intent, confidence)
    assert decision.action is expected
    assert decision.best is not None and decision.best.entry_id == "limit-app"
    if expected is KbAction.SUGGEST:
        assert [s.entry_id for s in decision.suggestions] == ["limit-app"]


@pytest.mark.parametrize(
    "intent, confidence, expected",
    [("out_of_scope", 0.9, KbAction.FALLBACK), ("out_of_scope", 0.3, KbAction.SUGGEST),
     ("nlu_fallback", 0.9, KbAction.SUGGEST)],
)
def test_mere_suggestions_for_a_message_the_nlu_calls_out_of_scope_become_the_honest_reply(
        intent: str, confidence: float, expected: KbAction) -> None:
    lookup = _lookup(KbAction.SUGGEST, "网点几点开门")
    assert nlu_gated(lookup, "帮我叫个车去网点", intent, confidence).action is expected


def test_the_gate_never_turns_a_miss_into_anything_else() -> None:
    lookup = _lookup(KbAction.FALLBACK, "网点几点开门")
    assert nlu_gated(lookup, "面包店几点开门", "out_of_scope", 0.9) == lookup.decision


def test_a_non_banking_task_gets_the_out_of_scope_reply_not_suggestions(store: UnansweredStore) -> None:
    t = tracker([("转账限额", "out_of_scope")])
    t.latest_message["intent"]["confidence"] = 0.9
    slots, messages = run(ActionKbFallback(), t)
    assert messages[0]["response"] == "utter_out_of_scope"
    assert messages[-1]["custom"]["kb"]["action"] == "fallback"
    assert slots["kb_fallback_streak"] == 1 and [r.kind for r in store.recent()] == ["fallback"]


def test_a_kb_question_the_nlu_calls_out_of_scope_is_still_answered(store: UnansweredStore) -> None:
    t = tracker([("手机转账限额", "out_of_scope")])
    t.latest_message["intent"]["confidence"] = 0.9
    _, messages = run(ActionKbFallback(), t)
    assert messages[0]["text"] == "手机银行单笔限额5万元。"


def test_the_intent_offered_beside_the_kb_questions_is_picked_by_position_or_a_plain_yes(
        store: UnansweredStore) -> None:
    """A weak intent offered as 您是不是想问's first option (actions/intent_options.py): 第一个 gives its usual reply,
    a form intent's form starts, and a plain 是的 to it alone does the same; 第二个 is still the KB's entry."""
    options = {"kb_suggestions": ["/account_open_materials", "card-loss"]}
    responses = {"responses": {"utter_account_open_materials": [{"text": "开户请带身份证。"}],
                               "utter_card_report_loss": [{"text": "请立即挂失。"}]}}

    def picked(action: Action, text: str, intent: str, slots: Dict[str, Any]) -> tuple[list, list]:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action.run(dispatcher, tracker([(text, intent)], slots=slots), responses))
        return events, dispatcher.messages

    events, messages = picked(ActionKbSelect(), "第一个", "kb_select", options)
    assert [m["response"] for m in messages] == ["utter_account_open_materials"]
    assert {"event": "slot", "timestamp": None, "name": "kb_suggestions", "value": None} in events
    _, messages = picked(ActionKbSelect(), "第二个", "kb_select", options)
    assert messages[0]["text"].startswith("请立即通过")
    events, messages = picked(ActionKbFeedback(), "是的", "affirm", {"kb_suggestions": ["/card_report_loss"]})
    assert [m["response"] for m in messages] == ["utter_card_report_loss"]
    assert {"event": "followup", "timestamp": None, "name": "card_loss_form"} in events
    # an option naming an intent that is never offered is not an intent (a payload can name anything)
    _, messages = picked(ActionKbSelect(), "第一个", "kb_select", {"kb_suggestions": ["/fraud_alert"]})
    assert messages[0]["response"] == "utter_kb_select_unknown"


def test_the_intents_question_is_left_out_when_a_kb_question_asks_it_already() -> None:
    best = Scored("limit-app", "手机银行转账限额是多少", 0.9, 0.6)
    other = Scored("card-loss", "卡丢了怎么办", 0.8, 0.3)
    for suggestions, intent_shown in (((best, other), False), ((other,), True)):
        dispatcher = CollectingDispatcher()
        kb_fallback.offer(dispatcher, Decision(KbAction.SUGGEST, best, suggestions), {"kb": {}}, "转账限额",
                          "transfer_limit", intent_first=True)
        payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
        assert ("/transfer_limit" in payloads) is intent_shown, payloads
        assert payloads[-1] == "/human_handoff" and len(payloads) <= 4
