"""The handoff signal's reason: from the latest intent, and a yes to the bot's offer of a human keeps the
reason of the offer (a complaint stays a complaint for the agent)."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff, handoff_reason, previous_bot_action
from tests.actions.trackers import INSTITUTION


def _tracker(intent: str, events: List[Dict[str, Any]]) -> Tracker:
    events = events + [{"event": "user", "text": "好的", "parse_data": {"intent": {"name": intent}}}]
    return Tracker(sender_id="t", slots=dict(INSTITUTION), latest_message={"text": "好的", "intent": {"name": intent,
                   "confidence": 0.9}, "entities": []}, events=events, paused=False, followup_action=None,
                   active_loop={}, latest_action_name="action_listen")


def _turn(user_intent: str, *actions: str) -> List[Dict[str, Any]]:
    return ([{"event": "user", "parse_data": {"intent": {"name": user_intent}}}]
            + [{"event": "action", "name": a} for a in actions] + [{"event": "action", "name": "action_listen"}])


@pytest.mark.parametrize(
    "intent, before, reason",
    [
        ("human_handoff", [], "customer_request"),
        ("complaint", [], "complaint"),
        ("fraud_alert", [], "fraud_risk"),
        ("affirm", _turn("complaint", "utter_complaint"), "complaint"),
        ("affirm", _turn("business_hours", "utter_business_hours"), "customer_request"),
        ("affirm", [], "customer_request"),
        ("kb_unhelpful", [], "bot_request"),
    ],
)
def test_handoff_reason(intent: str, before: List[Dict[str, Any]], reason: str) -> None:
    assert handoff_reason(_tracker(intent, before)) == reason


def test_previous_bot_action_is_the_last_before_the_latest_message() -> None:
    events = _turn("greet", "utter_greet") + _turn("complaint", "utter_complaint") + [
        {"event": "user", "parse_data": {"intent": {"name": "affirm"}}}]
    assert previous_bot_action(events) == "utter_complaint"
    assert previous_bot_action([{"event": "user"}]) is None


def test_action_handoff_sends_the_reason_of_the_offer() -> None:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandoff().run(dispatcher, _tracker("affirm", _turn("complaint", "utter_complaint")), {}))
    payloads = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert [{k: v for k, v in p["handoff"].items() if k != "history"} for p in payloads] == [
        {"reason": "complaint", "intent": "affirm", "confidence": 0.9, "slots": {}}]
    assert any(m.get("response") == "utter_human_handoff" for m in dispatcher.messages)
