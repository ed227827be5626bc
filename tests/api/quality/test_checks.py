"""The checklist's automatic items on crafted transcripts (oracle tables): each row is a transcript, the target
reviewed and whether the check passes, with the message ids it names when it fails."""

from __future__ import annotations

import datetime as dt

import pytest

from api.compliance.sensitive_words import SensitiveWords
from api.quality.checklist import load_checklist
from api.quality.checks import Line, Transcript, promises_in, run_check

T0 = dt.datetime(2026, 12, 1, 9, 0, 0)
WORDS = SensitiveWords.from_file()
PARAMS = {item.check: item.params for item in load_checklist().items if item.check}


def chat(*lines: tuple[str, str, int], target: str = "agent", assigned_s: int | None = None) -> Transcript:
    """Lines of (sender, text, seconds after T0), numbered from 1."""
    return Transcript(tuple(Line(n, sender, text, T0 + dt.timedelta(seconds=s))
                            for n, (sender, text, s) in enumerate(lines, start=1)), target,
                      T0 + dt.timedelta(seconds=assigned_s) if assigned_s is not None else None)


FUND_QUESTION = ("customer", "基金怎么赎回", 0)
CASES = [
    # (check, transcript, passed, failing message ids)
    ("greeting", chat(("customer", "在吗", 0), ("agent", "您好，很高兴为您服务", 5)), True, ()),
    ("greeting", chat(("customer", "在吗", 0), ("agent", "说", 5), ("agent", "您好", 6)), False, (2,)),
    ("greeting", chat(("customer", "在吗", 0)), False, ()),  # the agent never spoke
    ("greeting", chat(("customer", "在吗", 0), ("agent", "ＮＩＮ您 好", 5)), True, ()),  # separators ignored
    ("closing", chat(("agent", "您好", 1), ("customer", "好的", 2), ("agent", "感谢您的耐心，再见", 3)), True, ()),
    ("closing", chat(("agent", "您好", 1), ("agent", "再见", 2), ("agent", "嗯", 3)), False, (3,)),
    # agent: from taking the chat; the limit is 30 s
    ("first_response", chat(("customer", "转人工", 0), ("agent", "您好", 40), assigned_s=10), True, ()),
    ("first_response", chat(("customer", "转人工", 0), ("agent", "您好", 41), assigned_s=10), False, (2,)),
    ("first_response", chat(("customer", "转人工", 0), assigned_s=10), False, ()),
    ("first_response", chat(("customer", "转人工", 0), ("agent", "您好", 31)), False, (2,)),  # no assigned_at
    # bot: from the customer's first message; the limit is 5 s
    ("first_response", chat(("customer", "挂失", 0), ("bot", "请提供卡号后四位", 4), target="bot"), True, ()),
    ("first_response", chat(("customer", "挂失", 0), ("bot", "请提供卡号后四位", 6), target="bot"), False, (2,)),
    ("forbidden_phrases", chat(("agent", "这款产品稳 赚不赔", 1), ("agent", "您好", 2), ("agent", "内幕消息", 3)),
     False, (1, 3)),
    ("forbidden_phrases", chat(("customer", "稳赚不赔吗", 1), ("agent", "投资有风险", 2)), True, ()),  # customer's
    # 理财/基金/证券 answers must carry a risk reminder
    ("risk_reminder", chat(FUND_QUESTION, ("bot", "基金赎回请在手机银行「理财」页面操作。", 1), target="bot"),
     False, (2,)),
    ("risk_reminder", chat(FUND_QUESTION, ("bot", "基金赎回请在手机银行操作。风险提示：基金有风险，投资需谨慎。", 1),
                           target="bot"), True, ()),
    ("risk_reminder", chat(FUND_QUESTION, ("bot", "理财产品在App购买", 1), ("bot", "市场有风险，理财非存款", 2),
                           ("bot", "证券账户在营业部开立", 3), target="bot"), False, (2, 4)),
    ("risk_reminder", chat(("customer", "挂失", 0), ("bot", "请拨打热线挂失", 1), target="bot"), True, ()),
    # 适当性: no promise of a return after the topic was raised; a negated promise is a correct statement
    ("no_return_promise", chat(("customer", "我的风险测评是保守型，能买吗", 0),
                               ("agent", "这款是保本的，放心", 5)), False, (2,)),
    ("no_return_promise", chat(("customer", "我的风险测评是保守型，能买吗", 0),
                               ("agent", "理财产品不保本，也不能保证收益，请按风险等级选择", 5)), True, ()),
    ("no_return_promise", chat(("agent", "这款是保本的", 1), ("customer", "风险等级是什么", 2)), True, ()),  # before
    ("no_return_promise", chat(("customer", "风险等级", 0), ("bot", "稳赚", 1), target="agent"), True, ()),  # bot
    ("no_secret_echo", chat(("customer", "密码******", 0), ("agent", "您的密码是******对吗", 5)), False, (2,)),
    ("no_secret_echo", chat(("customer", "卡号6222021234567890128", 0), ("agent", "好的，卡号6222021234567890128", 5)),
     False, (2,)),
    ("no_secret_echo", chat(("customer", "密码******", 0), ("agent", "请勿向任何人透露密码、验证码", 5)), True, ()),
    ("no_secret_echo", chat(("customer", "尾号1234", 0), ("agent", "尾号1234的卡已挂失", 5)), True, ()),
]


@pytest.mark.parametrize(("check", "transcript", "passed", "ids"), CASES)
def test_automatic_checks(check: str, transcript: Transcript, passed: bool, ids: tuple[int, ...]) -> None:
    outcome = run_check(check, transcript, PARAMS[check], WORDS)
    assert (outcome.passed, outcome.message_ids) == (passed, ids), outcome.detail
    assert outcome.score == (1.0 if passed else 0.0) and outcome.detail


@pytest.mark.parametrize(("text", "found"), [
    ("保本", ["保本"]), ("不保本", []), ("不能保证收益", []), ("不保本，但保证收益", ["保证收益"]),
    ("非保本产品，稳赚", ["稳赚"]), ("不保本，另一款保本", ["保本"]), ("穩賺", ["稳赚"]),
])
def test_a_negated_promise_is_not_a_promise(text: str, found: list[str]) -> None:
    assert promises_in(text, ["保本", "保证收益", "稳赚"]) == found
