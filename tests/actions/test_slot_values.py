import pytest

from actions.slot_values import (
    MAX_DAILY_LIMIT,
    parse_card_last4,
    parse_card_type,
    parse_channel,
    parse_city,
    parse_limit_amount,
)

CITIES = ("北京", "杭州", "乌鲁木齐", "呼和浩特")


@pytest.mark.parametrize(
    "text, value",
    [("信用卡", "信用卡"), ("是储蓄卡", "借记卡"), ("借记卡", "借记卡"), ("贷记卡吧", "信用卡"), ("工资卡", "借记卡")],
)
def test_card_type(text: str, value: str) -> None:
    assert parse_card_type(text) == (value, None)


def test_unknown_card_type() -> None:
    assert parse_card_type("不知道") == (None, "unknown_card_type")


@pytest.mark.parametrize("text", ["1234", "尾号1234", "后四位是 1234", "１２３４"])
def test_last4(text: str) -> None:
    assert parse_card_last4(text) == ("1234", None)


FULL_NUMBERS = ["6212261202011234565", "卡号6212 2612 0201 1234 565", "440304199001011233", "12345678",
                "***************4565", "卡号***************4565"]  # masked by the bridge or the channel


@pytest.mark.parametrize("text", FULL_NUMBERS)
def test_full_numbers_are_refused_not_kept(text: str) -> None:
    assert parse_card_last4(text) == (None, "full_number")


@pytest.mark.parametrize("text", ["12", "123", "12345", "不记得了", ""])
def test_not_four_digits(text: str) -> None:
    assert parse_card_last4(text) == (None, "not_four_digits")


@pytest.mark.parametrize(
    "text, city",
    [("杭州", "杭州"), ("我在北京朝阳", "北京"), ("乌鲁木齐市", "乌鲁木齐"), ("在阜阳", "阜阳"), ("阜阳市", "阜阳")],
)
def test_city(text: str, city: str) -> None:
    assert parse_city(text, CITIES) == (city, None)


@pytest.mark.parametrize("text", ["明天会下雨吗", "你们几点下班", "怎么办", "abc", ""])
def test_not_a_city(text: str) -> None:
    assert parse_city(text, CITIES) == (None, "unknown_city")


@pytest.mark.parametrize(
    "text, channel",
    [("手机银行", "手机银行"), ("网银", "网上银行"), ("去柜台", "柜台"), ("ATM", "ATM"), ("用app", "手机银行")],
)
def test_channel(text: str, channel: str) -> None:
    assert parse_channel(text) == (channel, None)


@pytest.mark.parametrize(
    "value, amount",
    [("5万", 50000), ("20000", 20000), ("两万块", 20000), (50000.0, 50000), (80000, 80000), ("30万元", 300000)],
)
def test_limit_amount(value: object, amount: int) -> None:
    assert parse_limit_amount(value) == (amount, None)


@pytest.mark.parametrize("value", ["很多", "", None, 0, -5, "零元", True])
def test_not_an_amount(value: object) -> None:
    assert parse_limit_amount(value) == (None, "not_an_amount")


def test_amount_too_large() -> None:
    assert parse_limit_amount(MAX_DAILY_LIMIT + 1) == (None, "amount_too_large")
