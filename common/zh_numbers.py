"""Chinese and Arabic numerals and money amounts -> numbers (pure functions)."""

from __future__ import annotations

import re

_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "俩": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")
_CURRENCY = re.compile(r"(块钱|块|元整|元|圆|人民币|rmb|RMB)$")
_LETTER_UNITS = {"w": 10_000, "W": 10_000, "k": 1000, "K": 1000}
NUMERAL_CHARS = "0-9０-９.,．，" + "".join(_DIGITS) + "".join(_SMALL_UNITS) + "".join(_BIG_UNITS)


def _small_section(text: str) -> float | None:
    """Value of a section below 万 (e.g. 三千零五, 2千5, 十二, 1500)."""
    if not text:
        return 0
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    total, current, last_unit = 0.0, None, None
    for ch in text:
        if ch in _DIGITS or ch.isdigit():
            current = float(_DIGITS[ch]) if ch in _DIGITS else float(ch)
        elif ch in _SMALL_UNITS:
            unit = _SMALL_UNITS[ch]
            total += (1 if current is None else current) * unit
            current, last_unit = None, unit
        else:
            return None
    if current is not None:
        # 两千五 means 2500: a trailing digit after a unit is one order below that unit
        total += current * (last_unit // 10 if last_unit and last_unit >= 100 and _ends_abbreviated(text) else 1)
    return total


def _ends_abbreviated(text: str) -> bool:
    return len(text) >= 2 and text[-2] in _SMALL_UNITS and text[-1] not in _SMALL_UNITS and "零" not in text


def parse_number(text: str) -> float | None:
    """Parse 五万 / 2.5万 / 两千五 / 一万二千 / 20,000 / １２ / 3k into a number; None when it is not one."""
    s = text.strip().translate(_FULLWIDTH).replace(",", "")
    if not s:
        return None
    if s[-1] in _LETTER_UNITS and re.fullmatch(r"\d+(\.\d+)?[wWkK]", s):
        return float(s[:-1]) * _LETTER_UNITS[s[-1]]
    if not re.fullmatch(f"[{NUMERAL_CHARS}]+", s):
        return None
    if not (any(ch.isdigit() or ch in _DIGITS for ch in s) or s[0] in "十拾"):
        return None  # a bare unit (万, 千) is not a number
    total = 0.0
    rest = s
    for unit_char, unit in sorted(_BIG_UNITS.items(), key=lambda kv: -kv[1]):
        if unit_char in rest:
            head, rest = rest.split(unit_char, 1)
            head_value = _small_section(head) if head else 1.0
            if head_value is None:
                return None
            total += head_value * unit
            if rest and re.fullmatch(r"\d|[一二两三四五六七八九]", rest):
                # 1万2 / 一万五 mean 12000 / 15000
                digit = _small_section(rest)
                return total + (digit or 0) * unit / 10
    tail = _small_section(rest)
    if tail is None:
        return None
    total += tail
    return total


def parse_amount(text: str, allow_bare: bool = False) -> int | None:
    """A money amount in yuan from text like 5万, 20000元, 两千块, 三万五千块钱, 1.5万元.

    Returns None when the text is not an amount (no digits) or carries neither a currency word nor a
    magnitude (万/千/百/亿/k/w). With ``allow_bare`` (an answer to "how much?") a plain number of at least three
    digits counts too; in running text such a number is more often a card tail or a date.
    """
    s = text.strip().translate(_FULLWIDTH).replace(",", "").replace(" ", "")
    had_currency = bool(_CURRENCY.search(s))
    s = _CURRENCY.sub("", s)
    value = parse_number(s)
    if value is None or value <= 0:
        return None
    has_magnitude = bool(re.search(r"[十拾百佰千仟万萬亿億wWkK]", s))
    if not (had_currency or has_magnitude or (allow_bare and re.fullmatch(r"\d{3,}(\.\d+)?", s))):
        return None
    if not had_currency and value < 100:
        return None  # 二十 / 十 alone are more often dates or counts than money
    return int(round(value))
