"""The bot's fixed wording: each compliance answer says what it must. (That every response and KB answer passes
the bridge's output word filter is checked in tests/api/compliance/test_bot_wording_filter.py, where the bridge's
matcher and its dependencies are installed.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def responses() -> dict[str, list[str]]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {name: [v.get("text", "") for v in variants] for name, variants in domain["responses"].items()}


@pytest.mark.parametrize(
    "response, must_say",
    [
        ("utter_investment_advice", ["不提供投资建议", "股票", "基金", "涨跌", "投资顾问", "投资需谨慎"]),
        ("utter_guaranteed_return", ["理财非存款", "产品有风险", "不得承诺保本", "业绩比较基准", "存款保险"]),
        ("utter_suitability_mismatch", ["适当性", "本人", "不能由", "代做", "跳过", "重新测评"]),
        ("utter_card_account_rental", ["出租", "出借", "出售", "身份证", "U盾", "手机卡", "反电信网络诈骗法", "110",
                                       "96110", "{hotline}"]),
        ("utter_loan_scam", ["包装", "征信", "保证金", "不能花钱删除", "异议", "96110", "{hotline}"]),
        ("utter_fraud_alert", ["诈骗", "共享屏幕", "退款", "96110", "{hotline}"]),
        ("utter_out_of_scope", ["帮不了", "银行及证券", "人工"]),
    ],
)
def test_compliance_answers_say_what_they_must(responses: dict[str, list[str]], response: str,
                                               must_say: list[str]) -> None:
    text = responses[response][0]
    assert not [phrase for phrase in must_say if phrase not in text]


def test_compliance_answers_offer_a_human_or_the_official_step() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name in ("utter_investment_advice", "utter_card_account_rental", "utter_loan_scam", "utter_fraud_alert"):
        payloads = [b["payload"] for b in domain["responses"][name][0].get("buttons", [])]
        assert "/human_handoff" in payloads, name


def test_a_bare_acknowledgement_is_only_the_reply_to_a_yes_or_no_after_a_question() -> None:
    """utter_anything_else (好的。还有什么可以帮您？) appears in rules only right after a bot question."""
    rules = yaml.safe_load((ROOT / "nlu_data" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    for rule in rules:
        steps = rule["steps"]
        for i, step in enumerate(steps):
            if step.get("action") == "utter_anything_else" and i and "intent" in steps[i - 1]:
                assert i >= 2 and steps[i - 2].get("action") == "utter_complaint", rule["rule"]
