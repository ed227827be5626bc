"""Guidance answers after a form, and the handoff signal."""

from __future__ import annotations

import asyncio
from typing import Any, Dict

import pytest
from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionBranchGuidance, ActionCardLossGuidance, ActionTransferLimitGuidance
from actions.handoff import ActionHandoff
from actions.lookups import lookup_table
from actions.settings import settings
from actions.stop_form import FORM_SLOTS, ActionStopForm
from tests.actions.trackers import INSTITUTION, tracker_for


def run(action: Action, intent: str = "inform", slots: Dict[str, Any] | None = None) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_for(intent=intent, slots=slots), {}))
    return events, dispatcher.messages


@pytest.mark.parametrize("card_type, key", [("借记卡", "正式挂失"), ("信用卡", "补发新卡")])
def test_card_loss_guidance_is_specific_and_uses_institution_facts(card_type: str, key: str) -> None:
    events, messages = run(ActionCardLossGuidance(), slots={"card_type": card_type, "card_last4": "8866"})
    text = messages[0]["text"]
    assert f"尾号8866的{card_type}" in text and "挂失" in text and key in text
    assert INSTITUTION["hotline"] in text and INSTITUTION["app_name"] in text
    assert {e["name"]: e["value"] for e in events} == {"card_type": None, "card_last4": None}
    assert any(b["payload"] == "/human_handoff" for b in messages[0]["buttons"])


def test_branch_guidance_names_city_business_materials_and_hours() -> None:
    events, messages = run(ActionBranchGuidance(), slots={"city": "杭州", "business": "大额取现"})
    text = messages[0]["text"]
    assert "杭州西湖支行" in text and "大额取现" in text and "预约" in text and "0571-90000001" in text
    assert {e["name"] for e in events} == {"city", "business"}


@pytest.mark.parametrize("channel, key", [("手机银行", "人脸识别"), ("网上银行", "U盾"), ("柜台", "身份证")])
def test_transfer_limit_guidance_by_channel(channel: str, key: str) -> None:
    _, messages = run(ActionTransferLimitGuidance(), slots={"channel": channel, "amount": 200000})
    text = messages[0]["text"]
    assert channel in text and "200,000元" in text and key in text


@pytest.mark.parametrize(
    "intent, reason",
    [("human_handoff", "customer_request"), ("complaint", "complaint"), ("nlu_fallback", "bot_request")],
)
def test_handoff_sends_text_and_machine_readable_signal(intent: str, reason: str) -> None:
    _, messages = run(ActionHandoff(), intent=intent, slots={"city": "杭州", "kb_fallback_streak": 1.0})
    assert messages[0]["response"] == "utter_human_handoff"
    signal = messages[1]["custom"]["handoff"]
    assert signal["reason"] == reason and signal["intent"] == intent
    assert signal["slots"] == {"city": "杭州"}  # no institution facts or KB bookkeeping for the agent


def test_stop_form_clears_every_form_slot() -> None:
    events, messages = run(ActionStopForm(), intent="deny", slots={s: "x" for s in FORM_SLOTS})
    assert messages[0]["response"] == "utter_form_stopped"
    assert {"event": "active_loop", "name": None} in [{k: e.get(k) for k in ("event", "name")} for e in events]
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert set(FORM_SLOTS) <= cleared


def test_city_lookup_is_read_from_the_nlu_data() -> None:
    cities = lookup_table(settings.nlu_data_dir, "city")
    assert "北京" in cities and "乌鲁木齐" in cities and len(cities) == len(set(cities)) >= 50
    assert lookup_table(settings.nlu_data_dir, "no_such_table") == ()
