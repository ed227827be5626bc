"""A customer denying ever lending the card asks about a frozen or limited card (bot.safety_guard.after_denial and
bot.compliance_rules.denies_lending, pure): the classifier's card_account_rental gives way to its next ordinary
intent or the KB fallback; a request to lend or rent one keeps the warning. No training or held-out rental example
is released (the eighth precision set's 我没把卡借给过别人 got the rental warning, issue 13)."""

from __future__ import annotations

import pytest

from bot.compliance_rules import denies_lending
from bot.safety_guard import after_denial
from tests.bot.nlu_files import HELDOUT_DIR, TRAINING_DIR, load_examples

RANKING = [{"name": "card_account_rental", "confidence": 0.8}, {"name": "fraud_alert", "confidence": 0.08},
           {"name": "card_unfreeze_loss", "confidence": 0.06}, {"name": "account_balance", "confidence": 0.02}]


@pytest.mark.parametrize("text", [
    "我从来没把银行卡借给别人，为什么突然不能转账了",
    "卡被限制了，我可没出租过账户啊",
    "我绝对不会把卡卖给别人，怎么就说我涉诈",
    "我未曾出借过银行卡，账户怎么被冻结了",
])
def test_a_denied_lending_is_no_rental_request(text: str) -> None:
    assert denies_lending(text)
    assert after_denial("card_account_rental", text, RANKING) == {"name": "nlu_fallback", "confidence": 1.0}


def test_a_likely_next_intent_answers() -> None:
    ranking = [{"name": "card_account_rental", "confidence": 0.5}, {"name": "loan_scam", "confidence": 0.2},
               {"name": "card_unfreeze_loss", "confidence": 0.3}]
    assert after_denial("card_account_rental", "我没把卡借给别人，怎么解除限制", ranking) == ranking[2]


@pytest.mark.parametrize("text", [
    "朋友想借我的银行卡用几天",
    "我没工作，想把卡租出去赚点钱",  # the denial is about something else
    "出租银行卡犯法吗",
    "收到的钱转到指定账户，拿提成",
    "卡被冻住了转不出钱",  # no lending named: nothing to deny
])
def test_a_request_or_no_lending_keeps_the_classifier(text: str) -> None:
    assert not denies_lending(text)
    assert after_denial("card_account_rental", text, RANKING) is None


def test_only_the_classifiers_rental_is_released() -> None:
    assert after_denial("fraud_alert", "我没把卡借给别人", RANKING) is None


@pytest.mark.parametrize("folder", [TRAINING_DIR, HELDOUT_DIR], ids=["training", "heldout"])
def test_no_rental_example_is_released(folder) -> None:
    examples = [e.text for e in load_examples(folder) if e.intent == "card_account_rental"]
    assert examples and [t for t in examples if after_denial("card_account_rental", t, RANKING)] == []
