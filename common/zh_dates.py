"""Relative and absolute Chinese date expressions -> calendar dates (pure functions)."""

from __future__ import annotations

import datetime as dt
import re

from common.zh_numbers import parse_number

_DAY_OFFSETS = {
    "今天": 0, "今日": 0, "当天": 0, "明天": 1, "明日": 1, "次日": 1, "后天": 2, "大后天": 3,
    "昨天": -1, "昨日": -1, "前天": -2, "大前天": -3,
}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5,
             "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_WEEK_RE = re.compile(r"^(?P<rel>下下|下|这|本|上)?个?(?:周|星期|礼拜)(?P<day>[一二三四五六日天末1-7])$")
_MONTH_DAY_RE = re.compile(
    r"^(?:(?P<y>\d{4})年)?(?P<m>[0-9一二三四五六七八九十]{1,3})月(?P<d>[0-9一二三四五六七八九十]{1,3})[日号]?$"
)
_RELATIVE_WEEKS = {None: 0, "这": 0, "本": 0, "下": 1, "下下": 2, "上": -1}


def resolve_date(text: str, today: dt.date) -> dt.date | None:
    """Resolve 明天 / 下周一 / 这周五 / 星期天 / 3月5号 / 2027年1月2日 relative to ``today``.

    A bare weekday (周五) means the next such day from today (today itself if it is that day); 下周X means
    that weekday in the next calendar week (weeks start on Monday). Returns None for anything else.
    """
    s = re.sub(r"\s+", "", text)
    if s in _DAY_OFFSETS:
        return today + dt.timedelta(days=_DAY_OFFSETS[s])
    week = _WEEK_RE.match(s)
    if week:
        weekday = _WEEKDAYS[week.group("day")]
        rel = week.group("rel")
        if rel is None:
            return today + dt.timedelta(days=(weekday - today.weekday()) % 7)
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=_RELATIVE_WEEKS[rel])
        return monday + dt.timedelta(days=weekday)
    md = _MONTH_DAY_RE.match(s)
    if md:
        month, day = parse_number(md.group("m")), parse_number(md.group("d"))
        if month is None or day is None:
            return None
        year = int(md.group("y")) if md.group("y") else today.year
        try:
            date = dt.date(year, int(month), int(day))
        except ValueError:
            return None
        if not md.group("y") and date < today - dt.timedelta(days=180):
            date = date.replace(year=year + 1)  # 1月5号 said in late November means next January
        return date
    return None
