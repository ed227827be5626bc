"""Actions that answer once a form is complete, then clear the form's slots for the next request."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.guidance import branch_guidance, card_loss_buttons, card_loss_steps, transfer_limit_guidance
from actions.settings import settings
from common.institution import Institution


def _institution(tracker: Tracker) -> Institution:
    return Institution.from_slots(tracker.current_slot_values())


def _clear(*slots: str) -> List[Dict[str, Any]]:
    return [SlotSet(slot, None) for slot in slots]


class ActionCardLossGuidance(Action):
    def name(self) -> str:
        return "action_card_loss_guidance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        text = card_loss_steps(
            tracker.get_slot("card_type") or "借记卡", tracker.get_slot("card_last4") or "****", _institution(tracker)
        )
        dispatcher.utter_message(text=text, buttons=card_loss_buttons(_institution(tracker), settings.card_loss_url))
        return _clear("card_type", "card_last4")


class ActionBranchGuidance(Action):
    def name(self) -> str:
        return "action_branch_guidance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        text = branch_guidance(tracker.get_slot("city") or "", tracker.get_slot("business"), _institution(tracker))
        dispatcher.utter_message(text=text, buttons=[{"title": "网点营业时间", "payload": "/business_hours"}])
        return _clear("city", "business")


class ActionTransferLimitGuidance(Action):
    def name(self) -> str:
        return "action_transfer_limit_guidance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        amount = int(float(tracker.get_slot("amount") or 0))
        text = transfer_limit_guidance(tracker.get_slot("channel") or "手机银行", amount, _institution(tracker))
        dispatcher.utter_message(text=text, buttons=[{"title": "转账手续费", "payload": "/transfer_fee"}])
        return _clear("channel", "amount")
