"""What the handoff signal carries for the agent (issue 12, finding 5): the slots the customer gave earlier in
the session — a card-loss form clears its card type and last 4 digits when it finishes, and the customer asks
for a human after that — and the customer's turns before the handoff with their intents, masked."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import HISTORY_TURNS, ActionHandoff, customer_slots, intent_history
from tests.actions.trackers import INSTITUTION


def _user(text: str, intent: str, confidence: float = 0.9) -> Dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": confidence}}}


def _slot(name: str, value: Any) -> Dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


CARD_LOSS_THEN_HANDOFF: List[Dict[str, Any]] = [
    {"event": "session_started"},
    _user("我的卡丢了", "card_report_loss", 0.98),
    {"event": "action", "name": "card_loss_form"}, _slot("requested_slot", "card_type"),
    _user("信用卡", "inform", 0.91), _slot("card_type", "信用卡"), _slot("requested_slot", "card_last4"),
    _user("尾号1234，手机13812345678", "inform", 0.88), _slot("card_last4", "1234"),
    _slot("requested_slot", None),
    {"event": "action", "name": "action_card_loss_guidance"},
    _slot("card_type", None), _slot("card_last4", None),  # the form's slots are cleared when it finishes
    _slot("kb_last_query", "别的问题"), _slot("hotline", "客服热线95000"),
    _user("/human_handoff", "human_handoff", 1.0),
]


def _tracker(events: List[Dict[str, Any]], slots: Dict[str, Any] | None = None) -> Tracker:
    last = next(e for e in reversed(events) if e["event"] == "user")
    return Tracker(sender_id="t", slots={**INSTITUTION, "card_type": None, "card_last4": None, **(slots or {})},
                   latest_message={"text": last["text"], "intent": last["parse_data"]["intent"], "entities": []},
                   events=events, paused=False, followup_action=None, active_loop={},
                   latest_action_name="action_listen")


def test_slots_a_finished_form_cleared_still_reach_the_agent() -> None:
    assert customer_slots(_tracker(CARD_LOSS_THEN_HANDOFF)) == {"card_type": "信用卡", "card_last4": "1234"}


def test_slots_filled_now_win_and_an_earlier_session_is_not_carried() -> None:
    events = [_user("卡丢了", "card_report_loss"), _slot("card_type", "借记卡"), {"event": "session_started"},
              _user("转人工", "human_handoff"), _slot("card_type", "借记卡")]
    assert customer_slots(_tracker(events, {"card_type": "信用卡"})) == {"card_type": "信用卡"}
    assert customer_slots(_tracker(events[:3] + [_user("转人工", "human_handoff")])) == {}


def test_the_turns_before_the_handoff_are_masked_and_in_order() -> None:
    history = intent_history(_tracker(CARD_LOSS_THEN_HANDOFF))
    assert [(t["intent"], t["confidence"]) for t in history] == [
        ("card_report_loss", 0.98), ("inform", 0.91), ("inform", 0.88), ("human_handoff", 1.0)]
    assert history[2]["text"] == "尾号1234，手机138****5678"
    many = [{"event": "session_started"}] + [_user(f"问题{i}", "greet") for i in range(30)]
    assert [t["text"] for t in intent_history(_tracker(many))] == [f"问题{i}" for i in range(30 - HISTORY_TURNS, 30)]


def test_the_signal_carries_slots_and_history() -> None:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandoff().run(dispatcher, _tracker(CARD_LOSS_THEN_HANDOFF), {}))
    (signal,) = [m["custom"]["handoff"] for m in dispatcher.messages if m.get("custom")]
    assert signal["reason"] == "customer_request" and signal["slots"] == {"card_type": "信用卡", "card_last4": "1234"}
    assert [t["intent"] for t in signal["history"]][:1] == ["card_report_loss"]
