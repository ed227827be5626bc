"""Detection and masking of PRC personal data and secrets in free text (pure functions).

Kinds: ``id_number`` (18-digit 身份证号 with a valid GB 11643 check digit and birth date, or the 15-digit
form), ``bank_card`` (13-19 digits passing Luhn; the last 4 stay visible), ``card_like`` (16-19 digits that
fail Luhn: a mistyped card number is still a leaked one), ``mobile`` (mainland 1[3-9]x), ``landline``
(0 + area code + 7-8 digits, optional extension), ``email``, ``password`` (after 密码), ``otp`` (after
验证码/动态码/校验码/短信码), ``cvv`` (after CVV/安全码).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\d[\d ]{11,40}[\dXx](?![0-9A-Za-z])|(?<![0-9A-Za-z])\d{13,19}(?![0-9A-Za-z])")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_LANDLINE = re.compile(r"(?<![\d-])(?P<area>0\d{2,3})[- ]?(?P<local>\d{7,8}|\d{3,4}[- ]\d{4})"
                       r"(?:[- ]?(?:转|ext\.?)\s?\d{1,5})?(?![\d-])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_SECRET_AFTER = (
    ("password",
     re.compile(r"(?:密码|密碼|口令|pin码|PIN码)\s*(?:是|为|:|：|=)?\s*(?P<v>[0-9A-Za-z!@#$%^&*._-]{4,20})")),
    ("otp", re.compile(r"(?:验证码|驗證碼|动态码|動態碼|校验码|短信码|动态密码)\s*(?:是|为|:|：|=)?\s*(?P<v>\d{4,8})")),
    ("cvv", re.compile(r"(?:CVV2?|cvv2?|安全码|卡背后三位|背面三位)\s*(?:码)?\s*(?:是|为|:|：|=)?\s*(?P<v>\d{3,4})")),
)
SECRET_KINDS = frozenset({"id_number", "bank_card", "card_like", "password", "otp", "cvv"})


@dataclass(frozen=True)
class PiiMatch:
    kind: str
    start: int
    end: int


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` (only 0-9) passes the Luhn checksum."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _valid_birth(yyyymmdd: str) -> bool:
    try:
        born = dt.datetime.strptime(yyyymmdd, "%Y%m%d").date()
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= dt.date.today()


def cn_id_valid(number: str) -> bool:
    """True for an 18-digit 居民身份证号码 with a valid birth date and GB 11643 check digit, or the 15-digit form."""
    n = number.upper()
    if re.fullmatch(r"\d{15}", n):
        return _valid_birth("19" + n[6:12])
    if not re.fullmatch(r"\d{17}[\dX]", n):
        return False
    checksum = sum(int(c) * w for c, w in zip(n[:17], _ID_WEIGHTS, strict=True)) % 11
    return _ID_CHECK[checksum] == n[17] and _valid_birth(n[6:14])


def _classify_digits(raw: str) -> str | None:
    digits = re.sub(r"\s", "", raw)
    if cn_id_valid(digits):
        return "id_number"
    if digits.isdigit() and 13 <= len(digits) <= 19 and luhn_valid(digits):
        return "bank_card"
    if digits.isdigit() and 16 <= len(digits) <= 19:
        return "card_like"
    return None


def _digit_run_matches(raw: str, offset: int) -> list[PiiMatch]:
    """Cards and IDs in one run of digits and spaces. A space-separated run can swallow a neighbouring number
    (卡号6222…0770 0): when the whole run is no card or ID, the widest windows of whole digit groups that are
    one are taken instead."""
    kind = _classify_digits(raw)
    if kind in ("id_number", "bank_card"):
        return [PiiMatch(kind, offset, offset + len(raw))]
    groups = [(g.start(), g.end()) for g in re.finditer(r"[0-9Xx]+", raw)]
    taken: list[PiiMatch] = []
    for wanted in (("id_number", "bank_card"), ("card_like",)):  # a valid card or ID first, then lookalikes
        for width in range(len(groups), 0, -1):
            for i in range(len(groups) - width + 1):
                start, end = groups[i][0], groups[i + width - 1][1]
                if any(start < t.end - offset and t.start - offset < end for t in taken):
                    continue
                kind = _classify_digits(raw[start:end])
                if kind is not None and kind in wanted:
                    taken.append(PiiMatch(kind, offset + start, offset + end))
    return taken


def find_pii(text: str) -> list[PiiMatch]:
    """All personal data and secrets in ``text``, as non-overlapping spans sorted by start."""
    found: list[PiiMatch] = []
    for m in _DIGIT_RUN.finditer(text):
        found += _digit_run_matches(m.group(), m.start())
    for m in _MOBILE.finditer(text):
        found.append(PiiMatch("mobile", m.start(), m.end()))
    for m in _LANDLINE.finditer(text):
        found.append(PiiMatch("landline", m.start(), m.end()))
    for m in _EMAIL.finditer(text):
        found.append(PiiMatch("email", m.start(), m.end()))
    for kind, pattern in _SECRET_AFTER:
        for m in pattern.finditer(text):
            found.append(PiiMatch(kind, m.start("v"), m.end("v")))
    found.sort(key=lambda p: (p.start, -(p.end - p.start)))
    result: list[PiiMatch] = []
    for match in found:
        if result and match.start < result[-1].end:
            continue
        result.append(match)
    return result


def contains_secret(text: str) -> bool:
    """True when the text carries something a customer must never send: password, code, full card or ID."""
    return any(m.kind in SECRET_KINDS for m in find_pii(text))


def _mask_span(kind: str, value: str) -> str:
    compact = re.sub(r"[\s-]", "", value)
    if kind in ("bank_card", "card_like"):
        return "*" * (len(compact) - 4) + compact[-4:]
    if kind == "id_number":
        return compact[:1] + "*" * (len(compact) - 2) + compact[-1:]
    if kind == "email":
        local, _, domain = value.partition("@")
        return local[:1] + "***@" + domain
    if kind == "landline":
        m = _LANDLINE.fullmatch(value)
        local = re.sub(r"\D", "", m.group("local")) if m else re.sub(r"\D", "", value)[-8:]
        return (m.group("area") if m else "0") + "-****" + local[-4:]
    if kind == "mobile":
        tail = compact[-11:]
        return compact[:-11] + tail[:3] + "****" + tail[-4:]
    return SECRET_MASK  # passwords and codes: a fixed mask, so not even their length is kept


SECRET_MASK = "******"


def contains_masked_secret(text: str) -> bool:
    """True when ``text`` was masked by :func:`mask_pii` and had a secret in it (a card, an ID, a password or
    code all leave a run of 6+ ``*``; a masked mobile number leaves 4). The bridge sends the bot masked text,
    so the bot still warns the customer who sent a secret."""
    return SECRET_MASK in text


def _may_contain_pii(text: str) -> bool:
    """Cheap pre-check: every kind needs a digit, except e-mail and a password typed after 密码/口令/PIN."""
    return any(ch.isdigit() for ch in text) or "@" in text or any(w in text for w in ("密", "口令", "pin", "PIN"))


def mask_pii(text: str) -> str:
    """``text`` with every match of :func:`find_pii` masked: cards keep the last 4, mobiles 3+4, IDs 1+1."""
    if not _may_contain_pii(text):
        return text
    out, pos = [], 0
    for m in find_pii(text):
        out.append(text[pos:m.start])
        out.append(_mask_span(m.kind, text[m.start:m.end]))
        pos = m.end
    out.append(text[pos:])
    return "".join(out)
