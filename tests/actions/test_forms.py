"""Form validation through the real rasa-sdk FormValidationAction.run, as the Rasa server calls it."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.forms import ValidateBranchForm, ValidateCardLossForm, ValidateTransferLimitForm
from tests.actions.trackers import tracker_for

DOMAIN: Dict[str, Any] = {
    "slots": {s: {} for s in ("card_type", "card_last4", "city", "business", "channel", "amount")},
    "forms": {
        "card_loss_form": {"required_slots": ["card_type", "card_last4"]},
        "branch_form": {"required_slots": ["city", "business"]},
        "transfer_limit_form": {"required_slots": ["channel", "amount"]},
    },
}


def run(action: FormValidationAction, form: str, candidates: Dict[str, Any]) -> tuple[Dict[str, Any], List[str]]:
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(text=str(next(iter(candidates.values()))), candidates=candidates, active_loop=form)
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    return slots, [m["response"] for m in dispatcher.messages if m.get("response")]


@pytest.mark.parametrize(
    "candidates, slots, responses",
    [
        ({"card_type": "储蓄卡"}, {"card_type": "借记卡"}, []),
        ({"card_type": "随便"}, {"card_type": None}, ["utter_invalid_unknown_card_type"]),
        ({"card_last4": "尾号8866"}, {"card_last4": "8866"}, []),
        ({"card_last4": "6212261202011234565"}, {"card_last4": None}, ["utter_invalid_full_number"]),
        ({"card_last4": "12"}, {"card_last4": None}, ["utter_invalid_not_four_digits"]),
    ],
)
def test_card_loss_form(candidates: Dict[str, Any], slots: Dict[str, Any], responses: List[str]) -> None:
    got_slots, got_responses = run(ValidateCardLossForm(), "card_loss_form", candidates)
    assert got_slots == slots
    assert got_responses == responses


def test_full_card_number_is_never_stored_or_echoed() -> None:
    number = "6212261202011234565"
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(text=number, candidates={"card_last4": number}, active_loop="card_loss_form")
    events = asyncio.run(ValidateCardLossForm().run(dispatcher, tracker, DOMAIN))
    assert number not in str(events) and number not in str(dispatcher.messages)


@pytest.mark.parametrize(
    "candidates, slots, responses",
    [
        ({"city": "杭州"}, {"city": "杭州"}, []),
        ({"city": "在阜阳"}, {"city": "阜阳"}, []),
        ({"city": "明天会下雨吗"}, {"city": None}, ["utter_invalid_unknown_city"]),
        ({"business": "开户"}, {"business": "开户"}, []),
        ({"business": "x" * 30}, {"business": None}, ["utter_invalid_unclear_business"]),
    ],
)
def test_branch_form(candidates: Dict[str, Any], slots: Dict[str, Any], responses: List[str]) -> None:
    got_slots, got_responses = run(ValidateBranchForm(), "branch_form", candidates)
    assert got_slots == slots
    assert got_responses == responses


@pytest.mark.parametrize(
    "candidates, slots, responses",
    [
        ({"channel": "网银"}, {"channel": "网上银行"}, []),
        ({"channel": "不知道"}, {"channel": None}, ["utter_invalid_unknown_channel"]),
        ({"amount": "5万"}, {"amount": 50000}, []),
        ({"amount": 200000}, {"amount": 200000}, []),
        ({"amount": "很多"}, {"amount": None}, ["utter_invalid_not_an_amount"]),
        ({"amount": "999999999999"}, {"amount": None}, ["utter_invalid_amount_too_large"]),
    ],
)
def test_transfer_limit_form(candidates: Dict[str, Any], slots: Dict[str, Any], responses: List[str]) -> None:
    got_slots, got_responses = run(ValidateTransferLimitForm(), "transfer_limit_form", candidates)
    assert got_slots == slots
    assert got_responses == responses
