"""The trained model (``make train``) on held-out data and on the behaviours the NLU must guarantee."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

from bot.evaluate import REJECTED, intent_report
from tests.bot.nlu_files import HELDOUT_DIR, ROOT, load_examples, oos_heldout

Parse = Callable[[str], Dict[str, Any]]
SHARED_OOD = ROOT.parent / "shared" / "eval" / "ood_dev.txt"
REPORT_DIR = Path(os.environ.get("DATA_DIR", ROOT / "var")) / "reports"


def _write_report(name: str, payload: Dict[str, Any]) -> None:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / name).write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


def test_heldout_intent_accuracy(parse: Parse) -> None:
    examples = load_examples(HELDOUT_DIR)
    predicted = [parse(ex.text)["intent"]["name"] for ex in examples]
    report = intent_report([ex.intent for ex in examples], predicted, [ex.text for ex in examples])
    _write_report("nlu_heldout.json", {"n": report.n, "accuracy": report.accuracy, "macro_f1": report.macro_f1,
                                       "confused": report.confused, "errors": report.errors})
    print(f"\nheld-out n={report.n} accuracy={report.accuracy:.3f} macro-F1={report.macro_f1:.3f}")
    assert report.n >= 200
    assert report.accuracy >= 0.92, report.errors


def test_heldout_examples_written_in_traditional_characters_are_understood_as_well(parse: Parse) -> None:
    """Customers in Hong Kong, Macao and Taiwan, and many older ones, type traditional characters: the held-out
    examples converted to traditional (zhconv) are classified as well as the simplified originals, within two
    points (before the tokenizer read them as simplified: 54 % against 96 %)."""
    import zhconv

    examples = [ex for ex in load_examples(HELDOUT_DIR) if zhconv.convert(ex.text, "zh-hant") != ex.text]
    simplified = sum(parse(ex.text)["intent"]["name"] == ex.intent for ex in examples) / len(examples)
    traditional = sum(parse(zhconv.convert(ex.text, "zh-hant"))["intent"]["name"] == ex.intent
                      for ex in examples) / len(examples)
    print(f"\nheld-out in traditional characters n={len(examples)} accuracy={traditional:.3f} "
          f"(simplified {simplified:.3f})")
    assert len(examples) >= 200
    assert traditional >= simplified - 0.02


def test_heldout_out_of_scope_is_rejected(parse: Parse) -> None:
    questions = oos_heldout()
    rejected = [q for q in questions if parse(q)["intent"]["name"] in REJECTED]
    rate = len(rejected) / len(questions)
    print(f"\nheld-out out-of-scope n={len(questions)} rejected={rate:.3f}")
    assert rate >= 0.90


@pytest.mark.skipif(not SHARED_OOD.exists(), reason="../shared/eval not present")
def test_general_domain_questions_from_lcqmc_are_rejected(parse: Parse) -> None:
    questions = [q.strip() for q in SHARED_OOD.read_text(encoding="utf-8").splitlines() if q.strip()]
    safety = {"share_sensitive_info", "fraud_alert"}
    answered = [q for q in questions if parse(q)["intent"]["name"] not in REJECTED | safety]
    rate = 1 - len(answered) / len(questions)
    _write_report("ood_lcqmc.json", {"n": len(questions), "rejected": rate, "answered": answered})
    print(f"\nLCQMC general-domain n={len(questions)} rejected={rate:.3f}")
    assert rate >= 0.90


def _entities(parsed: Dict[str, Any]) -> Dict[str, Any]:
    return {e["entity"]: e["value"] for e in parsed["entities"]}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我的信用卡丢了，尾号1234", {"card_type": "信用卡", "card_last4": "1234"}),
        ("储蓄卡丢了怎么挂失", {"card_type": "借记卡"}),
        ("帮我把手机银行限额调到五万", {"channel": "手机银行", "amount": 50000}),
        ("网银转账限额能调到两万五千块吗", {"channel": "网上银行", "amount": 25000}),
        ("杭州哪个网点可以开户", {"city": "杭州", "business": "开户"}),
        ("下周一去北京的网点取大额现金", {"city": "北京", "business": "大额取现"}),
        ("两融怎么开通", {"business": "融资融券"}),
    ],
)
def test_entities_are_extracted_and_normalised(parse: Parse, text: str, expected: Dict[str, Any]) -> None:
    got = _entities(parse(text))
    assert {k: got.get(k) for k in expected} == expected


def test_relative_dates_resolve_to_iso_dates(parse: Parse) -> None:
    import datetime as dt

    got = _entities(parse("明天能到账吗"))
    assert got["date"] == (dt.date.today() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    "text, intent",
    [
        ("验证码是482913，你帮我登录一下", "share_sensitive_info"),
        ("卡号6212261202011234565能帮我查查吗", "share_sensitive_info"),
        ("我的身份证是440304199001011233", "share_sensitive_info"),
        ("我的密码是135790 帮我查下余额", "share_sensitive_info"),
        ("公安局打电话说我涉嫌犯罪要我转账配合调查", "fraud_alert"),
        ("对方说我的账户涉嫌洗钱，让我把钱转到安全账户", "fraud_alert"),
        ("客服让我打开屏幕共享帮我退款", "fraud_alert"),
    ],
)
def test_safety_guard_overrides_the_classifier(parse: Parse, text: str, intent: str) -> None:
    parsed = parse(text)
    assert parsed["intent"] == {"name": intent, "confidence": 1.0}
    if intent == "share_sensitive_info":
        assert parsed["entities"] == []  # a secret never reaches a slot


@pytest.mark.parametrize(
    "text, intent",
    [
        ("我的银行卡丢了怎么办", "card_report_loss"),
        ("借记卡不见了要怎么办", "card_report_loss"),
        ("支付密码忘记了", "password_payment_reset"),
        ("网银转账单笔限额多少", "transfer_limit"),
        ("去柜台开户要准备啥", "account_open_materials"),
        ("你们几点下班", "business_hours"),
        ("我的卡被ATM吃了", "card_swallowed"),
        ("A股几点开盘", "stock_trading_hours"),
        ("北交所权限怎么开", "bse_board"),
        ("帮我找个人工", "human_handoff"),
        ("明天会下雨吗", "out_of_scope"),
        # issue 13: lost-card phrasings are losses, never applications
        ("信用卡找不到了", "card_report_loss"),
        ("信用卡不见了", "card_report_loss"),
        ("我的信用卡被偷了", "card_report_loss"),
        ("信用卡落在出租车上了", "card_report_loss"),
        # non-banking task requests (some with banking words) are out of scope, not "what business do you need"
        ("帮我查一下天气", "out_of_scope"),
        ("帮我订机票", "out_of_scope"),
        ("帮我点外卖", "out_of_scope"),
        ("帮我用信用卡订一张去广州的机票", "out_of_scope"),
        # compliance categories, and the business questions next to them
        ("这只股票明天能涨吗", "investment_advice"),
        ("今天大盘为什么跌", "investment_advice"),
        ("哪只基金好", "investment_advice"),
        ("基金怎么买", "fund_purchase_redeem"),
        ("A股几点收盘", "stock_trading_hours"),
        ("理财保本吗", "guaranteed_return"),
        ("我是保守型，能买R5的产品吗", "suitability_mismatch"),
        ("出借身份证违法吗", "card_account_rental"),
        ("去网点开户要带身份证吗", "account_open_materials"),
        ("征信修复靠谱吗", "loan_scam"),
        ("有人冒充客服说给我退款，让我开屏幕共享", "fraud_alert"),
    ],
)
def test_smoke_questions(parse: Parse, text: str, intent: str) -> None:
    got = parse(text)["intent"]["name"]
    assert got in REJECTED if intent == "out_of_scope" else got == intent


NOISE = ["啊啊啊啊", "asdfgh", "😂😂", "？？？", "嗯嗯啊啊哦哦", "哈哈哈哈", "qwerty", "顶顶顶"]


@pytest.mark.parametrize("text", NOISE)
def test_noise_is_never_affirm_deny_or_inform(parse: Parse, text: str) -> None:
    parsed = parse(text)
    assert parsed["intent"]["name"] == "nlu_fallback"
    assert parsed["entities"] == []
