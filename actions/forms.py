"""Validation of the three forms. Bad values are refused with a re-prompt response ``utter_invalid_<problem>``
(defined in domain.yml) and the slot stays empty, so the form asks again.

Each validator names its form's required slots itself, so the Rasa server need not send the whole domain on
every form turn (``enable_selective_domain`` in bot/endpoints.yml); a test keeps them equal to domain.yml."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.lookups import lookup_table
from actions.settings import settings
from actions.slot_values import (
    parse_card_last4,
    parse_card_type,
    parse_channel,
    parse_city,
    parse_limit_amount,
)

Parsed = tuple[Any, "str | None"]

def _validated(slot: str, parsed: Parsed, dispatcher: CollectingDispatcher) -> Dict[str, Any]:
    value, problem = parsed
    if problem:
        dispatcher.utter_message(response=f"utter_invalid_{problem}")
        return {slot: None}
    return {slot: value}

def _text_or(value: Any) -> str:
    return value if isinstance(value, str) else str(value or "")

class _FormValidation(FormValidationAction):
    form: str = ""
    required: tuple[str, ...] = ()

    def name(self) -> str:
        return f"validate_{self.form}"

    def domain_slots(self, domain: DomainDict) -> List[str]:
        return list(self.required)


class ValidateCardLossForm(_FormValidation):
    form = "card_loss_form"
    required = ("card_type", "card_last4")

    def validate_card_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return _validated("card_type", parse_card_type(_text_or(value)), dispatcher)

    def validate_card_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return _validated("card_last4", parse_card_last4(_text_or(value)), dispatcher)

class ValidateBranchForm(_FormValidation):
    form = "branch_form"
    required = ("city", "business")

    def validate_city(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        cities = lookup_table(settings.nlu_data_dir, "city")
        return _validated("city", parse_city(_text_or(value), cities), dispatcher)

    def validate_business(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        text = _text_or(value).strip()
        if not text or len(text) > 20:
            dispatcher.utter_message(response="utter_invalid_business")
            return {"business": None}
        return {"business": text}

class ValidateTransferLimitForm(_FormValidation):
    form = "transfer_limit_form"
    required = ("channel", "amount")

    def validate_channel(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return _validated("channel", parse_channel(_text_or(value)), dispatcher)

    def validate_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return _validated("amount", parse_limit_amount(value), dispatcher)
