"""A fraud the customer has already reported is a service request (bot.safety_guard.after_report, pure): the
classifier's fraud_alert gives way to its next ordinary intent (or the KB fallback); a fraud in progress,
or a question whether to report, keeps the warning. No training or held-out fraud_alert example is released."""

from __future__ import annotations

import pytest

from bot.safety_guard import after_report
from tests.bot.nlu_files import HELDOUT_DIR, TRAINING_DIR, load_examples

RANKING = [{"name": "fraud_alert", "confidence": 0.4}, {"name": "card_account_rental", "confidence": 0.3},
           {"name": "complaint", "confidence": 0.28}, {"name": "card_report_loss", "confidence": 0.26},
           {"name": "account_balance", "confidence": 0.05}]


@pytest.mark.parametrize("text", [
    "我已经打了96110报过案了，现在想把这张卡冻结",
    "被骗了两万，已经报警了，银行能帮我做什么",
    "报了警，派出所要转账的盖章流水",
    "我爸的案子立案了，银行这边还要什么材料",
    "已报案，想挂失那张卡",
])
def test_a_reported_fraud_gets_the_next_service_intent(text: str) -> None:
    assert after_report("fraud_alert", text, RANKING) == {"name": "card_report_loss", "confidence": 0.26}


def test_without_a_likely_next_intent_the_kb_fallback_answers() -> None:
    weak = [{"name": "fraud_alert", "confidence": 0.69}, {"name": "complaint", "confidence": 0.09},
            {"name": "goodbye", "confidence": 0.04}]
    assert after_report("fraud_alert", "已经报警了，想把卡冻结", weak) == {"name": "nlu_fallback", "confidence": 1.0}
    assert after_report("fraud_alert", "已经报警了", []) == {"name": "nlu_fallback", "confidence": 1.0}


@pytest.mark.parametrize("text", [
    "有人说是公安局的，让我把钱转到安全账户",
    "被骗了要不要报警",
    "对方说要转接公安配合调查",
    "这家上市公司被证监会立案调查了",
    "已经报警了，可对方又打来电话让我转钱",
    "报过案了，那个老师还在群里拉我充值",
])
def test_a_fraud_in_progress_or_a_question_whether_to_report_keeps_the_warning(text: str) -> None:
    assert after_report("fraud_alert", text, RANKING) is None


def test_only_the_classifiers_fraud_alert_is_released() -> None:
    assert after_report("card_report_loss", "已经报警了", RANKING) is None


@pytest.mark.parametrize("folder", [TRAINING_DIR, HELDOUT_DIR], ids=["training", "heldout"])
def test_no_fraud_alert_example_is_released(folder) -> None:
    examples = [e.text for e in load_examples(folder) if e.intent == "fraud_alert"]
    assert examples and [t for t in examples if after_report("fraud_alert", t, RANKING)] == []


def test_the_guard_releases_a_reported_fraud_unless_a_rule_matched() -> None:
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.safety_guard import SafetyGuard

    guard = SafetyGuard(SafetyGuard.get_default_config())

    def parsed(text: str) -> str:
        message = Message({TEXT: text, INTENT: RANKING[0], INTENT_RANKING_KEY: RANKING})
        return guard.process([message])[0].get(INTENT)["name"]

    assert parsed("已经报警了，想把那张卡冻结") == "card_report_loss"
    assert parsed("已经报警了，对方还让我转到安全账户") == "fraud_alert"  # a fraud script: the rule's warning
    assert parsed("已经报警了，那个老师还说跟着他买稳赚") == "fraud_alert"  # a compliance pattern matched
    assert parsed("有人让我把钱转过去") == "fraud_alert"
