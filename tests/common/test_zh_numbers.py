import pytest

from common.zh_numbers import parse_amount, parse_number


@pytest.mark.parametrize(
    "text, value",
    [
        ("5万", 50000), ("20000元", 20000), ("两千块", 2000), ("五万元", 50000), ("三万五千块钱", 35000),
        ("1.5万元", 15000), ("两万五千", 25000), ("一千二百块", 1200), ("十二万", 120000), ("五百块", 500),
        ("1万2", 12000), ("一万五", 15000), ("两千五", 2500), ("一千零五元", 1005), ("3k", 3000),
        ("10w", 100000), ("3,000元", 3000), ("两百万", 2000000), ("一亿", 100000000), ("一百零八万", 1080000),
        ("２０００元", 2000), ("壹万元", 10000), ("二十元", 20),
    ],
)
def test_amounts_normalise_to_yuan(text: str, value: int) -> None:
    assert parse_amount(text) == value


@pytest.mark.parametrize("text", ["一", "一下", "二十", "十", "1234", "2026", "", "元", "abc", "万"])
def test_non_amounts_are_refused(text: str) -> None:
    assert parse_amount(text) is None


def test_bare_number_is_an_amount_only_when_asked_for_one() -> None:
    assert parse_amount("20000") is None
    assert parse_amount("20000", allow_bare=True) == 20000


@pytest.mark.parametrize("text, value", [("十", 10), ("十五", 15), ("二十三", 23), ("一百零一", 101), ("三千", 3000)])
def test_numbers(text: str, value: float) -> None:
    assert parse_number(text) == value
