"""Level 1's first answer to a 转人工 request (api/surge/deflection.py): the pure decision against a table of
handoff signals as the action server sends them, and the standard answers as domain.yml words them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.surge.deflection import Deflection, asked_before, deflected_intent, standard_answers
from api.surge.levels import SurgeRules

SIMPLE = ("card_report_loss", "business_hours")


def signal(*intents: str | None, reason: str = "customer_request") -> dict[str, Any]:
    return {"reason": reason, "intent": "human_handoff", "confidence": 0.99, "slots": {},
            "history": [{"text": "…", "intent": i, "confidence": 0.9} for i in intents]}


@pytest.mark.parametrize(("level", "handoff", "confirmed", "expected"), [
    (1, signal("card_report_loss", "human_handoff"), False, "card_report_loss"),
    (2, signal("greet", "business_hours", "human_handoff"), False, "business_hours"),
    (0, signal("card_report_loss", "human_handoff"), False, None),  # no surge: nothing changes
    (1, signal("card_report_loss", "human_handoff"), True, None),  # 仍需人工 tapped: queued
    (1, signal("human_handoff"), False, None),  # 转人工 as the first turn: nothing to answer
    (1, signal(), False, None),
    (1, {"reason": "customer_request"}, False, None),  # an older action server: no history
    (1, signal("loan_apply", "human_handoff"), False, None),  # not on the list
    (1, signal("card_report_loss", "thanks", "human_handoff"), False, None),  # only the turn just before
    (1, signal("card_report_loss", "complaint", reason="complaint"), False, None),  # a complaint: at once
    (1, signal("card_report_loss", "fraud_alert", reason="fraud_risk"), False, None),
    (1, signal("card_report_loss", "human_handoff", reason="bot_request"), False, None),  # the bot gave up
    (1, signal(None, "human_handoff"), False, None),
])
def test_the_decision(level: int, handoff: dict[str, Any], confirmed: bool, expected: str | None) -> None:
    assert deflected_intent(level, handoff, SIMPLE, confirmed) == expected


def test_asked_before_skips_malformed_turns() -> None:
    assert asked_before({"history": ["x", {"intent": "business_hours"}, {"intent": "human_handoff"}]}) \
        == "business_hours"
    assert asked_before({"history": None}) is None


DOMAIN = {
    "slots": {"org_name": {"type": "text", "initial_value": "星河银行"},
              "hotline": {"type": "text", "initial_value": "95555"},
              "app_name": {"type": "text", "initial_value": "星河银行App"},
              "branch_hours": {"type": "text", "initial_value": "9:00-17:00"},
              "service_hours": {"type": "text", "initial_value": "8:00-20:00"},
              "card_type": {"type": "text"}},
    "responses": {"utter_card_report_loss": [{"text": "请登录{app_name}挂失，或拨打{hotline}。"},
                                             {"text": "另一种说法"}],
                  "utter_business_hours": [{"text": "网点{branch_hours}，人工{service_hours}。"}],
                  "utter_ask_card_type": [{"text": "借记卡还是信用卡？", "buttons": []}],
                  "utter_empty": [{"image": "x.png"}]},
}


def test_standard_answers_are_the_first_variant_with_the_facts_filled_in() -> None:
    answers = standard_answers(DOMAIN)
    assert answers["card_report_loss"] == "请登录星河银行App挂失，或拨打95555。"
    assert answers["business_hours"] == "网点9:00-17:00，人工8:00-20:00。"
    assert "empty" not in answers


def test_the_hook_reads_the_level_and_rereads_a_changed_file(tmp_path: Path) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text(yaml.safe_dump(DOMAIN, allow_unicode=True), encoding="utf-8")
    level = [0]
    hook = Deflection(lambda: level[0], SIMPLE, domain)
    request = signal("business_hours", "human_handoff")
    assert hook(request, False) is None
    level[0] = 1
    assert hook(request, False) == "网点9:00-17:00，人工8:00-20:00。"
    assert hook(request, True) is None
    changed = {**DOMAIN, "responses": {"utter_business_hours": [{"text": "周一至周五 {branch_hours}"}]}}
    domain.write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
    os.utime(domain, (1, 1))  # a different mtime whatever the file system's resolution
    assert hook(request, False) == "周一至周五 9:00-17:00"
    domain.unlink()
    assert hook(request, False) is None  # no answer to give: the customer is queued


def test_the_default_list_names_intents_with_a_standard_answer_in_the_project_domain() -> None:
    root = Path(__file__).resolve().parents[3]
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))
    answers = standard_answers(domain)
    for intent in SurgeRules().simple_intents:
        assert intent in domain["intents"], intent
        assert "{" not in answers[intent], intent
