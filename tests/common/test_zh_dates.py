import datetime as dt

import pytest

from common.zh_dates import resolve_date

TUESDAY = dt.date(2026, 11, 24)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("今天", "2026-11-24"), ("明天", "2026-11-25"), ("后天", "2026-11-26"), ("大后天", "2026-11-27"),
        ("昨天", "2026-11-23"), ("下周一", "2026-11-30"), ("这周五", "2026-11-27"), ("周五", "2026-11-27"),
        ("周二", "2026-11-24"), ("星期天", "2026-11-29"), ("下个星期三", "2026-12-02"), ("下下周二", "2026-12-08"),
        ("上周一", "2026-11-16"), ("周末", "2026-11-28"), ("11月30日", "2026-11-30"), ("3月5号", "2027-03-05"),
        ("2027年1月2日", "2027-01-02"), ("十二月一日", "2026-12-01"),
    ],
)
def test_relative_and_absolute_dates(text: str, expected: str) -> None:
    assert resolve_date(text, TUESDAY) == dt.date.fromisoformat(expected)


@pytest.mark.parametrize("text", ["13月1日", "2月30日", "下周八", "明年", "改天", ""])
def test_unresolvable_dates(text: str) -> None:
    assert resolve_date(text, TUESDAY) is None
