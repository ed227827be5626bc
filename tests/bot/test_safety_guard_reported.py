"""A fraud the customer has already reported is a service request (bot.safety_guard.after_report, pure): the
classifier's fraud_alert gives way to its next intent outside the safety and compliance ones; a fraud in progress,
or a question whether to report, keeps the warning. No training or held-out fraud_alert example is released."""

from __future__ import annotations

import pytest

from bot.safety_guard import after_report
from tests.bot.nlu_files import HELDOUT_DIR, TRAINING_DIR, load_examples

RANKING = [{"name": "fraud_alert", "confidence": 0.6}, {"name": "card_account_rental", "confidence": 0.2},
           {"name": "card_report_loss", "confidence": 0.15}, {"name": "account_balance", "confidence": 0.05}]


@pytest.mark.parametrize("text", [
    "我已经打了96110报过案了，现在想把这张卡冻结",
    "被骗了两万，已经报警了，银行能帮我做什么",
    "报了警，派出所要转账的盖章流水",
    "我爸的案子立案了，银行这边还要什么材料",
    "已报案，想挂失那张卡",
])
def test_a_reported_fraud_gets_the_next_service_intent(text: str) -> None:
    assert after_report("fraud_alert", text, RANKING) == {"name": "card_report_loss", "confidence": 0.15}


@pytest.mark.parametrize("text", [
    "有人说是公安局的，让我把钱转到安全账户",
    "被骗了要不要报警",
    "对方说要转接公安配合调查",
    "这家上市公司被证监会立案调查了",
])
def test_a_fraud_in_progress_or_a_question_whether_to_report_keeps_the_warning(text: str) -> None:
    assert after_report("fraud_alert", text, RANKING) is None


def test_only_the_classifiers_fraud_alert_is_released() -> None:
    assert after_report("card_report_loss", "已经报警了", RANKING) is None
    assert after_report("fraud_alert", "已经报警了", [{"name": "fraud_alert"}, {"name": "loan_scam"}]) is None


@pytest.mark.parametrize("folder", [TRAINING_DIR, HELDOUT_DIR], ids=["training", "heldout"])
def test_no_fraud_alert_example_is_released(folder) -> None:
    examples = [e.text for e in load_examples(folder) if e.intent == "fraud_alert"]
    assert examples and [t for t in examples if after_report("fraud_alert", t, RANKING)] == []
