"""Callback numbers a customer leaves with a 留言 (pure): read a mainland mobile or landline number as typed,
normalise it, and mask it for every place that is not an explicit, audited reveal.

Accepted: mobiles ``1[3-9]`` + 9 digits (with or without +86 / 0086, spaces or dashes between groups);
landlines an area code (010 and 02x have three digits, the others four) and a 7-8 digit local number that
does not start with 0 or 1, an optional extension after ``转``, ``#``, ``ext`` or a second dash. Anything else —
a short number, a 400/800 service line, letters — is refused with the reason in Chinese, so the customer can
correct it before sending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WIDE = str.maketrans("０１２３４５６７８９＋－＃（）", "0123456789+-#()")
_EXTENSION = re.compile(r"\s*(?:转|#|ext\.?|分机)\s*(\d{1,6})\s*$", re.I)
_GROUPS = re.compile(r"[\s\u3000()\-]+")
_MOBILE = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")
_LOCAL = re.compile(r"[2-9]\d{6,7}")


class CallbackNumberError(ValueError):
    """The number cannot be called back; the message says why, in Chinese."""


@dataclass(frozen=True)
class CallbackNumber:
    kind: str  # mobile | landline
    number: str  # normalised: 13812345678, 021-62345678, 0571-8765432-123

    @property
    def masked(self) -> str:
        return mask_number(self.number)


def _area_code_length(digits: str) -> int:
    return 3 if digits.startswith(("01", "02")) else 4


def parse_callback_number(typed: str) -> CallbackNumber:
    """The number as typed -> normalised; :class:`CallbackNumberError` (Chinese) when it is not one."""
    text = (typed or "").translate(_WIDE).strip()
    if not text:
        raise CallbackNumberError("请填写回电号码")
    ext = ""
    found = _EXTENSION.search(text)
    if found:
        ext, text = found.group(1), text[:found.start()]
    groups = [g for g in _GROUPS.split(text) if g]
    if not all(g.lstrip("+").isdigit() for g in groups) or not groups:
        raise CallbackNumberError("回电号码只能包含数字，请检查后重新填写")
    if not ext and len(groups) == 3 and groups[0].startswith("0") and len(groups[0]) <= 4:
        groups, ext = groups[:2], groups[2]  # 021-62345678-123
    digits = "".join(groups)
    mobile = _MOBILE.fullmatch(digits)
    if mobile and not ext:
        return CallbackNumber("mobile", mobile.group(1))
    if digits.startswith("0"):
        split = len(groups[0]) if len(groups) == 2 and 3 <= len(groups[0]) <= 4 else _area_code_length(digits)
        area, local = digits[:split], digits[split:]
        if _LOCAL.fullmatch(local):
            return CallbackNumber("landline", f"{area}-{local}" + (f"-{ext}" if ext else ""))
    if digits.startswith(("400", "800")):
        raise CallbackNumberError("请留下可以回电给您的手机号或固定电话，400/800 服务号码无法回拨")
    if digits.startswith("1"):
        raise CallbackNumberError("手机号应为11位、以13-19开头，请检查后重新填写")
    raise CallbackNumberError("请填写正确的回电号码：11位手机号，或带区号的固定电话（如 021-62345678）")


def mask_number(number: str) -> str:
    """138****5678 for a mobile, 021-****5678 for a landline (without its extension): what lists,
    transcripts, logs and exports show."""
    if re.fullmatch(r"1\d{10}", number):
        return f"{number[:3]}****{number[-4:]}"
    area, _, rest = number.partition("-")
    local = rest.split("-")[0]
    return f"{area}-****{local[-4:]}" if area and local else "****" + number[-4:]
