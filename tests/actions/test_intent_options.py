"""The intents the bot may offer as 您是不是想问 options when it is unsure (actions/intent_options.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.arbitrate import SMALL_TALK
from actions.intent_options import INTENT_QUESTIONS, answer_picked, intent_button, picked_intent
from bot.precision import COMPLIANCE, PROMPT_INTENTS
from common.forms import FORM_OF

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
# intents never offered: their replies are small talk, prompts, fixed safety/compliance wording, a handoff, or the
# fallbacks themselves (a complaint is offered: an unsure one is asked about)
NEVER_OFFERED = {*SMALL_TALK, *PROMPT_INTENTS, *COMPLIANCE, "fraud_alert", "share_sensitive_info", "human_handoff",
                 "out_of_scope"}


def test_every_intent_with_a_standard_answer_has_a_question_and_nothing_else_has() -> None:
    standard = {i for i in DOMAIN["intents"] if i not in NEVER_OFFERED}
    assert set(INTENT_QUESTIONS) == standard


def test_each_offered_intent_answers_as_its_rules_do() -> None:
    """Picked by typing, an intent gets its response (utter_<intent>) or starts its form, as its rule does."""
    forms = {f for f in DOMAIN.get("forms") or {}}
    for intent in INTENT_QUESTIONS:
        if intent in FORM_OF:
            assert FORM_OF[intent] in forms, intent
        else:
            assert f"utter_{intent}" in DOMAIN["responses"], intent


@pytest.mark.parametrize("option, expected", [
    ("/card_report_loss", "card_report_loss"), ("card-loss", None), ("/fraud_alert", None), ("/", None),
    (None, None), ('/kb_select{"kb_entry":"x"}', None),
])
def test_picked_intent(option: str | None, expected: str | None) -> None:
    assert picked_intent(option) == expected


def test_a_button_is_the_intents_question_with_the_intent_as_payload() -> None:
    assert intent_button("online_banking_open") == {"title": "怎么开通网上银行？", "payload": "/online_banking_open"}
    assert intent_button("greet") is None and intent_button("investment_advice") is None


def test_answer_picked_sends_the_response_then_starts_the_form() -> None:
    dispatcher = CollectingDispatcher()
    events = answer_picked(dispatcher, "branch_locator", DOMAIN["responses"])
    assert dispatcher.messages == [] and events == [{"event": "followup", "timestamp": None, "name": "branch_form"}]
    events = answer_picked(dispatcher, "deposit_rate", DOMAIN["responses"])
    assert [m["response"] for m in dispatcher.messages] == ["utter_deposit_rate"] and events == []
