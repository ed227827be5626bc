"""Detection and masking of PRC personal data and secrets in free text (pure functions).

Kinds: ``id_number`` (18-digit 身份证号 with a valid GB 11643 check digit and birth date, or the 15-digit
form), ``bank_card`` (13-19 digits passing Luhn; the last 4 stay visible), ``card_like`` (16-19 digits that
fail Luhn, written as one number or in groups of 3+: a mistyped card number is still a leaked one), ``mobile``
(mainland 1[3-9]x, optional +86), ``landline`` (0 + area code + 7-8 digits, optional extension), ``email``,
``password`` (after 密码/口令/PIN), ``otp`` (after 验证码/动态码/校验码/短信码), ``cvv`` (after CVV/安全码).

Normalise first, because customers (and anyone probing the filter) write one number in many shapes. Every
detector reads a normalised view of the text and the spans it finds are mapped back to the original characters:

* full-width forms (６２２２, ＩＤ, ＠, ：) and other Unicode decimal digits become ASCII, every Unicode space
  (U+3000 too) a space, dash and middle-dot variants ``-`` and ``.``;
* invisible characters (zero-width space and joiners, BOM, soft hyphen, bidi marks, variation selectors, control
  characters) are dropped, so ``138\\u200b1234\\u200b5678`` is one number;
* digit groups joined by spaces, dashes or dots are one run (``6222-0212-…``, ``6222.0212.…``); a card or ID is the
  widest window of whole groups with a valid checksum, so a neighbouring number is not swallowed, and a window
  without a checksum (``card_like``) must use one kind of separator, which keeps dates and amounts out;
* digits are a run whatever stands around them: ``ID440304…`` and ``card6225…`` are masked.

Amounts, dates, hotlines (95588, 400-820-8888) and 4-digit tails (尾号1234) stay: no rule takes fewer than 11
digits except a secret after its keyword. Masking is idempotent: the visible digits a mask keeps (≤ 5, beside
its ``*``) are never read again as part of a new number.

:func:`mask_with_context` masks a message together with the customer's previous ones: a card or ID typed across
two messages (both parts are masked, so the caller rewrites the earlier one), a code after 验证码是 in the previous
message, and a code sent alone right after the bot asked for one.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
SECRET_KINDS = frozenset({"id_number", "bank_card", "card_like", "password", "otp", "cvv"})
SECRET_MASK = "******"
CONTEXT_MESSAGES = 2  # earlier customer messages a number may be split across

_JOINER = "\x1f"  # stands between two messages in the normalised view: a number may continue across it
_SEPARATORS = frozenset(" .-" + _JOINER)
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63")
_DOTS = frozenset("\u00b7\u2027\u30fb\uff65")
_EDGE = " \t\r\n,.;:!?-"  # punctuation trimmed where one message ends and the next begins
_TAIL_DIGITS = 5  # the most digits a mask leaves visible beside its stars (86138****5678)

_RUN = re.compile(r"(?<!\d)\d+(?:[ .\-\x1f]{1,3}\d+)*(?:[Xx]|[ .\-]{1,3}[Xx](?![A-Za-z]))?")  # an ID may end in X
_GROUP = re.compile(r"\d+")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+*-])[A-Za-z0-9._%+*-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_LANDLINE = re.compile(r"(?<![\d*])(?P<area>0\d{2,3})[- ]?(?P<local>\d{7,8}|\d{3,4}[- ]\d{4})"
                       r"(?:[- ]?(?:转|ext\.?)\s?\d{1,5})?(?![\d*])")
_GAP = r"(?:[\s:=,\x1f]|是|为|為|就是|也是){0,6}"
_CODE_VALUE = r"\d(?:[ .-]?\d){3,7}(?!\d)"
_SECRET_AFTER = (  # (kind, words one of which the folded, lower-cased text must hold, pattern)
    ("password", ("密", "口令", "pin", "pass", "pwd"), re.compile(
        r"(?:密码|密碼|口令|(?<![A-Za-z])(?i:pin|password|passwd|pwd|passcode)(?![A-Za-z]))(?:码|碼)?" + _GAP
        + r"(?P<v>\d(?:[ .-]?\d){3,7}(?![0-9A-Za-z])|[0-9A-Za-z!@#$%^&*._-]{4,20})")),
    ("otp", ("码", "碼", "otp", "code"), re.compile(
        r"(?:验证码|驗證碼|动态码|動態碼|校验码|校驗碼|短信码|短信碼|动态密码|動態密碼"
        r"|(?<![A-Za-z])(?i:otp|sms ?code|verification ?code|code)(?![A-Za-z]))" + _GAP + rf"(?P<v>{_CODE_VALUE})")),
    ("cvv", ("cvv", "cvc", "安全", "三位"), re.compile(
        r"(?:(?<![A-Za-z])(?i:cvv2?|cvc2?)(?![A-Za-z])|安全码|安全碼|卡背后三位|背面三位)(?:码)?" + _GAP
        + r"(?P<v>\d{3,4})")),
)
_ASKS_FOR_CODE = re.compile(r"验证码|驗證碼|动态码|動態碼|校验码|短信码|动态密码|(?i:otp)")
_CODE_ALONE = re.compile(r"(?:[\s:=,]|是|就是|为)*(?P<v>" + _CODE_VALUE + ")")
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True)
class PiiMatch:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class ContextMasked:
    """:func:`mask_with_context`'s result: the message, and the earlier messages masked again (they differ from
    what was passed in only where a number ran across messages; the caller stores them back)."""
    text: str
    recent: tuple[str, ...]


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


# ---- the normalised view

@lru_cache(maxsize=8192)
def _fold(ch: str) -> str:
    """One character as the detectors read it: itself, its ASCII form, or '' (invisible)."""
    code = ord(ch)
    if code < 0x80:
        return "" if (code < 0x20 and ch not in "\t\n\r") or code == 0x7F else ch
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    if ch in _DASHES:
        return "-"
    if ch in _DOTS:
        return "."
    category = unicodedata.category(ch)
    if category == "Nd":
        return str(unicodedata.decimal(ch))
    if category == "Zs":
        return " "
    if category in ("Cf", "Cc") or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or code == 0x034F:
        return ""
    return ch


@dataclass(frozen=True)
class _View:
    text: str
    message: list[int]  # which message each character of ``text`` comes from; -1 for a joiner
    index: list[int]  # its index in that message

    def source_spans(self, start: int, end: int) -> dict[int, tuple[int, int]]:
        """The original span, per message, of the view's characters ``start:end``."""
        spans: dict[int, tuple[int, int]] = {}
        for message, index in zip(self.message[start:end], self.index[start:end], strict=True):
            if message >= 0:
                lo, hi = spans.get(message, (index, index + 1))
                spans[message] = (min(lo, index), max(hi, index + 1))
        return spans


def _view(messages: Sequence[str]) -> _View:
    texts: list[str] = []
    owner: list[int] = []
    index: list[int] = []
    last = len(messages) - 1
    for m, message in enumerate(messages):
        folded = list(map(_fold, message))
        kept = [i for i, f in enumerate(folded) if f] if "" in folded else list(range(len(message)))
        lo, hi = 0, len(kept)
        while m > 0 and lo < hi and folded[kept[lo]] in _EDGE:
            lo += 1
        while m < last and hi > lo and folded[kept[hi - 1]] in _EDGE:
            hi -= 1
        if m > 0:
            texts.append(_JOINER)
            owner.append(-1)
            index.append(-1)
        texts += [folded[i] for i in kept[lo:hi]]
        owner += [m] * (hi - lo)
        index += kept[lo:hi]
    return _View("".join(texts), owner, index)


# ---- detection

def _classify(compact: str, crosses: bool, mixed: bool, short_groups: bool) -> str | None:
    """The kind of one window of digit groups (``compact``: its digits, no separators), or None."""
    n = len(compact)
    if n < 11:
        return None
    if n in (11, 13) and re.fullmatch(r"(?:86)?1[3-9]\d{9}", compact):
        return "mobile"
    if mixed:
        return None
    if cn_id_valid(compact) and (n == 18 or not crosses):
        return "id_number"
    if compact.isdigit() and 13 <= n <= 19 and luhn_valid(compact) and (n >= 15 or not crosses):
        return "bank_card"
    if compact.isdigit() and 16 <= n <= 19 and not crosses and not short_groups:
        return "card_like"
    return None


def _separator_kind(separator: str) -> str:
    for kind in (_JOINER, "-", "."):
        if kind in separator:
            return kind
    return " "


def _beside_mask(view: str, start: int, end: int) -> bool:
    """True when the digits ``view[start:end]`` touch a ``*``, directly or across one separator."""
    before, after = view[max(0, start - 2):start], view[end:end + 2]
    return (before[-1:] == "*" or (before[:1] == "*" and before[1:] in _SEPARATORS)
            or after[:1] == "*" or (after[1:] == "*" and after[:1] in _SEPARATORS))


def _run_matches(view: str, run: re.Match[str], taken: list[tuple[int, int]]) -> list[PiiMatch]:
    """Cards, IDs and mobiles among the digit groups of one run: the best windows of whole groups first."""
    groups = [(g.start() + run.start(), g.end() + run.start()) for g in _GROUP.finditer(run.group())]
    has_x = view[run.end() - 1] in "Xx"
    free = [not any(s < t_end and t_start < e for t_start, t_end in taken)
            and not (e - s <= _TAIL_DIGITS and _beside_mask(view, s, run.end() if k == len(groups) - 1 else e))
            for k, (s, e) in enumerate(groups)]  # a mask's visible digits are no number of their own
    candidates: list[tuple[bool, int, int, int, str, int]] = []  # (tier, -length, first, last group, kind, end)
    for i in range(len(groups)):
        digits, kinds, short = "", set(), False
        for j in range(i, len(groups)):
            if not free[j]:
                break
            if j > i:
                kinds.add(_separator_kind(view[groups[j - 1][1]:groups[j][0]]))
            start, end = groups[j]
            digits += view[start:end]
            short = short or end - start < 3
            if len(digits) > 19:
                break
            options = [(digits + "X", run.end()), (digits, end)] if has_x and j == len(groups) - 1 else [(digits, end)]
            for compact, stop in options:
                kind = _classify(compact, _JOINER in kinds, len(kinds - {_JOINER}) > 1, short and j > i)
                if kind:
                    candidates.append((kind == "card_like", -len(compact), i, j, kind, stop))
                    break
    matches: list[PiiMatch] = []
    used = [False] * len(groups)
    for _, _, i, j, kind, stop in sorted(candidates):
        if any(used[i:j + 1]):
            continue
        used[i:j + 1] = [True] * (j - i + 1)
        start = groups[i][0]
        if kind == "mobile" and start > 0 and view[start - 1] == "+" and view[start:start + 2] == "86":
            start -= 1
        matches.append(PiiMatch(kind, start, stop))
    return matches


def _find(view: _View, code_expected: bool = False) -> list[PiiMatch]:
    """Matches in the view: keyword secrets and e-mails first, then numbers among the digit runs, then landlines
    in what is left (a landline pattern also fits inside a grouped card: 6222 0212 3456 7890 128)."""
    text = view.text
    found: list[PiiMatch] = []
    lower = text.lower()
    secrets = [(kind, m) for kind, words, pattern in _SECRET_AFTER if any(w in lower for w in words)
               for m in pattern.finditer(text)]
    if code_expected and (alone := _CODE_ALONE.match(text, text.rfind(_JOINER) + 1)):
        secrets.append(("otp", alone))
    found += [PiiMatch(kind, m.start("v"), m.end("v")) for kind, m in secrets if _JOINER not in m.group("v")
              and ("*" in m.group("v") or not _beside_mask(text, m.start("v"), m.end("v")))]
    found += [PiiMatch("email", m.start(), m.end()) for m in _EMAIL.finditer(text) if _JOINER not in m.group()]
    found.sort(key=lambda p: (p.start, -(p.end - p.start)))
    result: list[PiiMatch] = []
    for match in found:
        if not result or match.start >= result[-1].end:
            result.append(match)
    taken = [(m.start, m.end) for m in result]
    for run in _RUN.finditer(text):
        if run.end() - run.start() >= 11:  # no number kind has fewer digits
            result += _run_matches(text, run, taken)
    result += [PiiMatch("landline", m.start(), m.end()) for m in _LANDLINE.finditer(text) if _JOINER not in m.group()
               and not any(m.start() < t.end and t.start < m.end() for t in result)]
    return sorted(result, key=lambda p: p.start)


# ---- masking

def _mask_number(kind: str, compact: str) -> str:
    """The mask of a number, one character per character of ``compact`` (so it can be split across messages)."""
    if kind in ("bank_card", "card_like"):
        return "*" * (len(compact) - 4) + compact[-4:]
    if kind == "id_number":
        return compact[:1] + "*" * (len(compact) - 2) + compact[-1:]
    tail = compact[-11:]  # mobile, after an optional +86
    return compact[:-11] + tail[:3] + "****" + tail[-4:]


def _mask_other(kind: str, value: str) -> str:
    if kind == "email":
        local, _, domain = value.partition("@")
        return local[:1] + "***@" + domain
    if kind == "landline":
        m = _LANDLINE.fullmatch(value)
        local = re.sub(r"\D", "", m.group("local")) if m else re.sub(r"\D", "", value)[-8:]
        return (m.group("area") if m else "0") + "-****" + local[-4:]
    return SECRET_MASK  # passwords and codes: a fixed mask, so not even their length is kept


def _masked(messages: Sequence[str], code_expected: bool = False) -> list[str]:
    view = _view(messages)
    edits: list[list[tuple[int, int, str]]] = [[] for _ in messages]
    for match in _find(view, code_expected):
        spans = view.source_spans(match.start, match.end)
        if match.kind in ("password", "otp", "cvv", "email", "landline"):
            (owner, (start, end)), = spans.items()
            edits[owner].append((start, end, _mask_other(match.kind, view.text[match.start:match.end])))
            continue
        positions = [k for k in range(match.start, match.end) if view.text[k] not in _SEPARATORS]
        mask = _mask_number(match.kind, "".join(view.text[k] for k in positions))
        for owner, (start, end) in spans.items():
            edits[owner].append((start, end, "".join(
                c for k, c in zip(positions, mask, strict=True) if view.message[k] == owner)))
    out = []
    for text, changes in zip(messages, edits, strict=True):
        pieces, pos = [], 0
        for start, end, replacement in sorted(changes):
            pieces += [text[pos:start], replacement]
            pos = end
        out.append("".join(pieces) + text[pos:])
    return out


def _may_contain_pii(text: str) -> bool:
    """Cheap pre-check: every kind needs a digit, except e-mail and a password typed after its keyword."""
    if any(ch.isdigit() for ch in text) or "@" in text or "＠" in text:
        return True
    folded = unicodedata.normalize("NFKC", text).lower()
    return any(w in folded for w in ("密", "口令", "pin", "pass", "pwd"))


def find_pii(text: str) -> list[PiiMatch]:
    """All personal data and secrets in ``text``, as non-overlapping spans of ``text`` sorted by start."""
    if not _may_contain_pii(text):
        return []
    view = _view([text])
    matches = []
    for m in _find(view):
        (start, end), = view.source_spans(m.start, m.end).values()
        matches.append(PiiMatch(m.kind, start, end))
    return matches


def contains_secret(text: str) -> bool:
    """True when the text carries something a customer must never send: password, code, full card or ID."""
    return any(m.kind in SECRET_KINDS for m in find_pii(text))


def contains_masked_secret(text: str) -> bool:
    """True when ``text`` was masked by :func:`mask_pii` and had a secret in it (a card, an ID, a password or
    code all leave a run of 6+ ``*``; a masked mobile number leaves 4). The bridge sends the bot masked text,
    so the bot still warns the customer who sent a secret."""
    return SECRET_MASK in text


def mask_pii(text: str) -> str:
    """``text`` with every match of :func:`find_pii` masked: cards keep the last 4, mobiles 3+4, IDs 1+1."""
    return _masked([text])[0] if _may_contain_pii(text) else text


def mask_with_context(text: str, recent: Sequence[str] = (), bot_asked_for_code: bool = False) -> ContextMasked:
    """Mask ``text`` as the next message after ``recent`` (the same customer's earlier messages, oldest first,
    as stored): a number typed across the last :data:`CONTEXT_MESSAGES` messages is masked in all of them, and
    with ``bot_asked_for_code`` (see :func:`asks_for_code`) a 4-8 digit code sent alone is masked too. Without
    context this is :func:`mask_pii`."""
    window = list(recent[-CONTEXT_MESSAGES:]) if CONTEXT_MESSAGES else []
    messages = [*window, text]
    if not any(_may_contain_pii(m) for m in messages):
        return ContextMasked(text, tuple(recent))
    masked = _masked(messages, bot_asked_for_code)
    return ContextMasked(masked[-1], tuple(recent[:len(recent) - len(window)]) + tuple(masked[:-1]))


def asks_for_code(bot_text: str) -> bool:
    """True when a bot message mentions a verification code: the customer's next bare number may be one."""
    return bool(_ASKS_FOR_CODE.search(unicodedata.normalize("NFKC", bot_text)))


def mask_escaped(text: str) -> str:
    """:func:`mask_pii`, also reading ``\\uXXXX`` escapes (JSON payloads and JSON log lines carry text escaped):
    when the decoded text holds personal data, the decoded text is returned masked."""
    if "\\u" not in text:
        return mask_pii(text)
    decoded = _ESCAPE.sub(lambda m: m.group() if 0xD800 <= int(m.group(1), 16) <= 0xDFFF
                          else chr(int(m.group(1), 16)), text)
    masked = mask_pii(decoded)
    return masked if masked != decoded else mask_pii(text)


def mask_data(value: Any) -> Any:
    """A copy of JSON-like ``value`` with personal data masked in every string, key and whole number (a card
    number sent as a JSON number is still a card number)."""
    if isinstance(value, dict):
        return {mask_data(k): mask_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_data(v) for v in value]
    if isinstance(value, str):
        return mask_escaped(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e20:
        value = int(value) if abs(value) >= 1e10 else value
    if isinstance(value, int):
        masked = mask_pii(str(value))
        return masked if masked != str(value) else value
    return value
