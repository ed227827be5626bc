"""Normalise and validate slot values customers type in forms (pure functions, no rasa_sdk import).

Each ``parse_*`` returns ``(value, problem)``: exactly one is None. ``problem`` is a short code the form
turns into a re-prompt (see ``actions/forms.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from common.pii import contains_masked_secret, find_pii
from common.zh_numbers import parse_amount

CARD_TYPES = {
    "借记卡": ("借记卡", "储蓄卡", "借计卡", "储蓄", "借记", "工资卡", "社保卡"),
    "信用卡": ("信用卡", "贷记卡", "准贷记卡", "信用咔", "信用"),
}
CHANNELS = {
    "手机银行": ("手机银行", "手机app", "app", "掌上银行", "手机"),
    "网上银行": ("网上银行", "个人网银", "网银", "电脑"),
    "柜台": ("柜台", "柜面", "网点", "营业厅"),
    "ATM": ("atm", "自助柜员机", "取款机", "自助机"),
}
MAX_BUSINESS_CHARS = 20
MAX_DAILY_LIMIT = 100_000_000  # above this the answer is certainly a typo
# characters that do not occur in a bare place-name answer but do in questions and chatter
_NOT_PLACE = re.compile(r"[吗呢吧啊么怎什会要想我你他她的了是不没几哪谁请问下]")


def _first_alias(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    lowered = text.lower()
    hits = [(lowered.find(alias), -len(alias), canonical)
            for canonical, aliases in table.items() for alias in aliases if alias in lowered]
    return min(hits)[2] if hits else None


def parse_card_type(text: str) -> tuple[str | None, str | None]:
    """借记卡 or 信用卡 from 储蓄卡 / 贷记卡 / "是信用卡" ...; problem ``unknown_card_type`` otherwise."""
    value = _first_alias(text or "", CARD_TYPES)
    return (value, None) if value else (None, "unknown_card_type")


def parse_card_last4(text: str) -> tuple[str | None, str | None]:
    """Exactly the last 4 digits. A full card or ID number is refused (``full_number``), never kept; so is one
    already masked (the bridge and the customer channel send ``***************4565``)."""
    text = (text or "").strip()
    if contains_masked_secret(text) or any(m.kind in ("bank_card", "card_like", "id_number") for m in find_pii(text)):
        return None, "full_number"
    runs = re.findall(r"\d+", text.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    if len(runs) == 1 and len(runs[0]) == 4:
        return runs[0], None
    if any(len(r) > 6 for r in runs):
        return None, "full_number"
    return None, "not_four_digits"


def parse_city(text: str, known_cities: Iterable[str]) -> tuple[str | None, str | None]:
    """A city: a known one found in the text, else a short place name (阜阳 / 阜阳市 / 在阜阳)."""
    text = (text or "").strip()
    for city in sorted(known_cities, key=len, reverse=True):
        if city in text:
            return city, None
    candidate = re.sub(r"^(我在|在|我人在|人在|我是)", "", text)
    candidate = re.sub(r"(市|区|县|这边|附近|的网点|网点)$", "", candidate)
    if re.fullmatch(r"[\u4e00-\u9fff]{2,5}", candidate) and not _NOT_PLACE.search(candidate):
        return candidate, None
    return None, "unknown_city"


def parse_business(text: str) -> tuple[str | None, str | None]:
    """The business a customer names for a branch visit: a short phrase (开户, 大额取现, 换外汇)."""
    text = (text or "").strip()
    if not text or len(text) > MAX_BUSINESS_CHARS:
        return None, "unclear_business"
    return text, None


def parse_channel(text: str) -> tuple[str | None, str | None]:
    """手机银行 / 网上银行 / 柜台 / ATM from what the customer typed."""
    value = _first_alias(text or "", CHANNELS)
    return (value, None) if value else (None, "unknown_channel")


def parse_limit_amount(value: object) -> tuple[int | None, str | None]:
    """A positive daily-limit amount in yuan from 5万 / 20000 / 两万块 / 50000.0 (an entity value)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        amount: int | None = int(value)
    else:
        amount = parse_amount(str(value or ""), allow_bare=True)
    if amount is None or amount <= 0:
        return None, "not_an_amount"
    if amount > MAX_DAILY_LIMIT:
        return None, "amount_too_large"
    return amount, None
