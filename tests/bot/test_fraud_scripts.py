"""The fraud scripts in any wording (bot.safety_guard.FRAUD_SCRIPTS, pure): a remote-control or meeting app to
install, a caller claiming to be the bank or the police, a link asking for card details, someone asking for the
verification code - matched on the normalised text, never on an example of an ordinary intent."""

from __future__ import annotations

import pytest

from bot.compliance_rules import fold
from bot.safety_guard import DEFAULT_FRAUD_TERMS, FRAUD_SCRIPTS, FRAUD_SUBKINDS, safety_rule
from tests.bot.nlu_files import HELDOUT_DIR, TRAINING_DIR, load_examples


def _script(text: str) -> bool:
    return any(p.search(fold(text)) for p in FRAUD_SCRIPTS)


@pytest.mark.parametrize("text", [
    "对方说帮我升级U盾，让我手机上装个远程协助的软件",
    "有个人让我下载向日葵，说这样他能帮我操作退款",
    "来电的人自称是你们行信用卡中心的，说我的额度要被冻结",
    "對方冒充派出所民警，說我涉案了",  # traditional characters
    "短信里让我点开链接，输入卡号和密码领补贴",
    "他说是快递的，丢件要理赔，让我把收到的验证码告诉他",
    "群里有人说往他给的账户存五千，第二天就返八百",
    "炒股群的助理说有新股内部名额，让我先往平台充值",
])
def test_fraud_scripts_in_other_words_are_fraud(text: str) -> None:
    assert safety_rule(text, DEFAULT_FRAUD_TERMS) == "fraud"


@pytest.mark.parametrize("text", [
    "手机银行登录要输入短信验证码吗",
    "可以远程视频见证开户吗",
    "怎么下载你们的手机银行App",
    "转账时点了确认以后还能撤回吗",
    "客服说我的投诉已经受理了，多久有结果",
    "收不到验证码怎么办",
])
def test_service_questions_near_the_scripts_are_not_fraud(text: str) -> None:
    assert safety_rule(text, DEFAULT_FRAUD_TERMS) is None


@pytest.mark.parametrize("text, rule", [
    ("同学让我把刚收到的动态码拍给他看看", "share"),
    ("卖家说付款前要把卡背面三位数发给他核对", "share"),
    ("保姆让我把信用卡背后的三个数字告诉她", "share"),
    ("客服让我报一下验证码", "fraud"),  # who asks is a fraud script: the fraud warning
    ("验证码已经发给我了吗", None), ("忘记密码了怎么办", None), ("收到的验证码要在几分钟内输入", None),
])
def test_a_code_about_to_be_passed_on_gets_the_never_share_answer(text: str, rule: str | None) -> None:
    assert safety_rule(text, DEFAULT_FRAUD_TERMS) == rule


@pytest.mark.parametrize("folder", [TRAINING_DIR, HELDOUT_DIR], ids=["training", "heldout"])
def test_the_scripts_fire_only_on_fraud_and_its_subkinds(folder) -> None:
    allowed = {"fraud_alert", *FRAUD_SUBKINDS}
    assert [(e.intent, e.text) for e in load_examples(folder) if _script(e.text) and e.intent not in allowed] == []


def test_fraud_terms_are_matched_in_traditional_characters_too() -> None:
    assert safety_rule("他讓我把錢轉到安全帳戶", DEFAULT_FRAUD_TERMS) == "fraud"


@pytest.mark.parametrize("classifier, expected", [("loan_scam", "loan_scam"), ("card_account_rental",
                                                                             "card_account_rental"),
                                                  ("ukey", "fraud_alert"), ("fraud_alert", "fraud_alert")])
def test_a_script_forces_the_fraud_warning_unless_the_classifier_named_a_kind_of_fraud(
        classifier: str, expected: str) -> None:
    """A loan scam or card rental is a kind of fraud with its own, more specific answer: a script in the story
    (自称银行信贷员) does not replace it; over any other intent the fraud warning wins."""
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.safety_guard import SafetyGuard

    ranking = [{"name": classifier, "confidence": 0.8}, {"name": "fraud_alert", "confidence": 0.1}]
    message = Message({TEXT: "有个自称银行信贷员的人说能帮我办低息贷款，让我先把身份证照片发过去",
                       INTENT: ranking[0], INTENT_RANKING_KEY: ranking})
    SafetyGuard(SafetyGuard.get_default_config()).process([message])
    assert message.get(INTENT)["name"] == expected


@pytest.mark.parametrize("text, classifier, expected", [
    # a card handed over with its password is a card rental (the pattern), not only a password shared
    ("亲戚让我新办张卡，卡和密码都交给他保管，每个月给我三百", "share_sensitive_info", "card_account_rental"),
    ("中介要我把网银的登录密码和验证码都给他", "loan_scam", "share_sensitive_info"),  # no pattern: never share
    ("室友让我把付款验证码截图发给他", "fraud_alert", "share_sensitive_info"),  # no rental: never share a code
])
def test_a_code_passed_on_gives_way_to_a_card_rental(text: str, classifier: str, expected: str) -> None:
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.safety_guard import SafetyGuard

    ranking = [{"name": classifier, "confidence": 0.45}, {"name": "greet", "confidence": 0.1}]
    message = Message({TEXT: text, INTENT: ranking[0], INTENT_RANKING_KEY: ranking})
    SafetyGuard(SafetyGuard.get_default_config()).process([message])
    assert message.get(INTENT)["name"] == expected


@pytest.mark.parametrize("folder", [TRAINING_DIR, HELDOUT_DIR], ids=["training", "heldout"])
def test_the_share_rule_keeps_every_example_of_another_intent_its_intent(folder) -> None:
    """The "share" rule (a code passed on) fires on two fraud examples (要我把卡号和密码给他); with the classifier
    sure of fraud_alert they keep the fraud warning, and no example of another intent is touched."""
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.safety_guard import SafetyGuard

    guard = SafetyGuard(SafetyGuard.get_default_config())
    changed = []
    for example in load_examples(folder):
        if safety_rule(example.text, DEFAULT_FRAUD_TERMS) != "share":
            continue
        ranking = [{"name": example.intent, "confidence": 0.9}]
        message = Message({TEXT: example.text, INTENT: ranking[0], INTENT_RANKING_KEY: ranking})
        guard.process([message])
        if message.get(INTENT)["name"] != example.intent:
            changed.append((example.intent, example.text))
    assert changed == []
