"""Validation of the three forms. Bad values are refused with a re-prompt response ``utter_invalid_<problem>``
(defined in domain.yml) and the slot stays empty, so the form asks again."""

from __future__ import annotations

from typing import Any, Callable, Dict

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.lookups import lookup_table
from actions.settings import settings
from actions.slot_values import (
    parse_business,
    parse_card_last4,
    parse_card_type,
    parse_channel,
    parse_city,
    parse_limit_amount,
)

Parsed = tuple[Any, "str | None"]
Validator = Callable[[Any, Any, CollectingDispatcher, Tracker, DomainDict], Dict[str, Any]]


def _text_or(value: Any) -> str:
    return value if isinstance(value, str) else str(value or "")


def _validator(slot: str, parse: Callable[[Any], Parsed], text: bool = True) -> Validator:
    """A ``validate_<slot>`` method: parse the candidate; on a problem re-prompt and leave the slot empty."""

    def validate(
        self: Any, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        parsed, problem = parse(_text_or(value) if text else value)
        if problem:
            dispatcher.utter_message(response=f"utter_invalid_{problem}")
            return {slot: None}
        return {slot: parsed}

    validate.__name__ = f"validate_{slot}"
    return validate


class _FormValidation(FormValidationAction):
    form: str = ""

    def name(self) -> str:
        return f"validate_{self.form}"


class ValidateCardLossForm(_FormValidation):
    form = "card_loss_form"
    validate_card_type = _validator("card_type", parse_card_type)
    validate_card_last4 = _validator("card_last4", parse_card_last4)


class ValidateBranchForm(_FormValidation):
    form = "branch_form"
    validate_city = _validator("city", lambda text: parse_city(text, lookup_table(settings.nlu_data_dir, "city")))
    validate_business = _validator("business", parse_business)


class ValidateTransferLimitForm(_FormValidation):
    form = "transfer_limit_form"
    validate_channel = _validator("channel", parse_channel)
    validate_amount = _validator("amount", parse_limit_amount, text=False)
