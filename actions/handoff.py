"""The handoff signal: a text for the customer plus a machine-readable ``custom`` payload that the FastAPI
bridge (api/) reads to queue the conversation for a human agent."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from common.institution import INSTITUTION_SLOTS
from common.pii import mask_pii

REASON_BY_INTENT = {
    "human_handoff": "customer_request",
    "complaint": "complaint",
    "fraud_alert": "fraud_risk",
}


# bot questions that offer a human (需要现在为您转人工客服吗？): a yes hands off for the reason of the offer
OFFER_REASON = {"utter_complaint": "complaint"}


def previous_bot_action(events: List[Dict[str, Any]]) -> str | None:
    """The last action the bot ran before the customer's latest message (action_listen aside)."""
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    before = events[: users[-1]] if users else events
    names = [e.get("name") for e in before if e.get("event") == "action" and e.get("name") != "action_listen"]
    return str(names[-1]) if names else None


def handoff_reason(tracker: Tracker) -> str:
    """Why the customer is handed off, from the intent of their latest message; a yes to the bot's offer of a
    human (rules.yml: complaint -> 需要现在为您转人工客服吗 -> 好的) keeps the reason of the offer."""
    intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
    if intent == "affirm":
        return OFFER_REASON.get(previous_bot_action(tracker.events) or "", "customer_request")
    return REASON_BY_INTENT.get(intent, "bot_request")


HISTORY_TURNS = 10  # customer turns before the handoff the agent sees


def _is_customer_slot(name: str) -> bool:
    return name not in INSTITUTION_SLOTS and not name.startswith("kb_") and name != "requested_slot"


def session_events(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The events of the current Rasa session (after the last ``session_started``)."""
    starts = [i for i, e in enumerate(events) if e.get("event") == "session_started"]
    return events[starts[-1] + 1:] if starts else list(events)


def customer_slots(tracker: Tracker) -> Dict[str, Any]:
    """Slots that describe the customer's request (not institution facts or KB bookkeeping): what is filled
    now, and what a form collected earlier in the session and cleared when it finished (the card type and last
    4 digits of a card-loss form the customer went through before asking for a human)."""
    collected: Dict[str, Any] = {}
    for event in session_events(tracker.events):
        name = event.get("name")
        if event.get("event") == "slot" and isinstance(name, str) and _is_customer_slot(name) \
                and event.get("value") is not None:
            collected[name] = event["value"]
    current = {k: v for k, v in tracker.current_slot_values().items() if v is not None and _is_customer_slot(k)}
    return {**collected, **current}


def intent_history(tracker: Tracker) -> List[Dict[str, Any]]:
    """The customer's turns in this session before the handoff, oldest first: masked text, intent and its
    confidence (the agent reads what was already asked)."""
    turns = []
    for event in session_events(tracker.events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        turns.append({"text": mask_pii(str(event.get("text") or "")), "intent": intent.get("name"),
                      "confidence": intent.get("confidence")})
    return turns[-HISTORY_TURNS:]


def handoff_payload(tracker: Tracker, reason: str) -> Dict[str, Any]:
    """What the agent needs to pick the chat up: reason, the latest intent with confidence, the slots the
    customer gave in this session, and the turns before."""
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    return {
        "handoff": {
            "reason": reason,
            "intent": intent.get("name"),
            "confidence": intent.get("confidence"),
            "slots": customer_slots(tracker),
            "history": intent_history(tracker),
        }
    }


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        reason = handoff_reason(tracker)
        dispatcher.utter_message(response="utter_human_handoff")
        dispatcher.utter_message(json_message=handoff_payload(tracker, reason))
        return []
