"""The handoff signal: a text for the customer plus a machine-readable ``custom`` payload that the FastAPI
bridge (api/) reads to queue the conversation for a human agent."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from common.institution import INSTITUTION_SLOTS

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


def customer_slots(tracker: Tracker) -> Dict[str, Any]:
    """Filled slots that describe the customer's request (not institution facts or KB bookkeeping)."""
    return {k: v for k, v in tracker.current_slot_values().items()
            if v is not None and k not in INSTITUTION_SLOTS and not k.startswith("kb_")}


def handoff_payload(tracker: Tracker, reason: str) -> Dict[str, Any]:
    """What the agent needs to pick the chat up: reason, the latest intent with confidence, filled slots."""
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    return {
        "handoff": {
            "reason": reason,
            "intent": intent.get("name"),
            "confidence": intent.get("confidence"),
            "slots": customer_slots(tracker),
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
