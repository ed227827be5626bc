"""Property-based: every form a customer types a card, ID, mobile, password or code in, generated from valid
numbers (Luhn cards, GB 11643 IDs, mainland mobiles), is masked so that nothing raw survives, and masking stays
idempotent; amounts, dates, hotlines and tails beside them are left alone (hypothesis)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from common.pii import (
    SECRET_MASK,
    asks_for_code,
    cn_id_valid,
    find_pii,
    luhn_valid,
    mask_pii,
    mask_with_context,
)

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
SEPARATORS = [" ", "-", ".", "\u3000", " - ", "\u2014", "\u00a0"]
LETTERS = ["ID", "id", "card", "No.", "tel", "Tel:", "account", "x"]
BEFORE = ["", "我的卡号是", "身份证：", "手机", "请帮我查一下", "号码 ", "，"]
AFTER = ["", "，谢谢", "帮我查一下", "。", " 好的", "吗？"]
DECOYS = ["95588", "400-820-8888", "尾号1234", "后四位5678", "5000元", "2026-11-24", "2026年11月24日", "13:45",
          "1,000.00元", "第3期", "10086"]


@st.composite
def cards(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["622202", "621226", "621700", "436742", "518710", "625965", "601382"]))
    length = draw(st.integers(16, 19))
    body = prefix + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=length - 7, max_size=length - 7)))
    card = next(body + str(d) for d in range(10) if luhn_valid(body + str(d)))
    assert luhn_valid(card)
    return card


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(["110105", "310115", "440304", "510107", "330106", "420102"]))
    born = draw(st.dates(dt.date(1930, 1, 1), dt.date(2008, 12, 31))).strftime("%Y%m%d")
    body = area + born + draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    number = body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    assert cn_id_valid(number)
    return number


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
numbers = st.one_of(cards().map(lambda n: ("bank_card", n)), id_numbers().map(lambda n: ("id_number", n)),
                    mobiles.map(lambda n: ("mobile", n)))


def expected_mask(kind: str, number: str) -> str:
    if kind == "bank_card":
        return "*" * (len(number) - 4) + number[-4:]
    if kind == "id_number":
        return number[0] + "*" * 16 + number[-1]
    return number[:3] + "****" + number[-4:]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


def visible(text: str) -> str:
    """What a reader recovers from stored text: full-width folded, invisible characters and separators gone."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf" and c not in " -.\u2014\u00a0")


@st.composite
def written(draw: st.DrawFn, number: str) -> str:
    """``number`` as a customer may type it: grouped with separators, zero-width characters inside, full-width,
    right after ASCII letters, or several of these at once."""
    text = number
    if draw(st.booleans()):
        sizes, rest, groups = draw(st.lists(st.integers(3, 6), min_size=1, max_size=6)), text, []
        for size in sizes:
            if rest:
                groups.append(rest[:size])
                rest = rest[size:]
        groups += [rest] if rest else []
        text = draw(st.sampled_from(SEPARATORS)).join(groups)
    if draw(st.booleans()):
        chars = list(text)
        for _ in range(draw(st.integers(1, 4))):
            chars.insert(draw(st.integers(1, len(chars) - 1)), draw(st.sampled_from(ZERO_WIDTH)))
        text = "".join(chars)
    if draw(st.booleans()):
        text = full_width(text)
    if draw(st.booleans()):
        text = draw(st.sampled_from(LETTERS)) + text
    return text


def assert_masked(kind: str, number: str, masked: str) -> None:
    seen = visible(masked)
    assert number not in seen
    assert expected_mask(kind, number) in seen
    hidden = number[1:-1] if kind == "id_number" else number[3:-4] if kind == "mobile" else number[:-4]
    assert not any(hidden[i:i + 5] in seen for i in range(len(hidden) - 4)), (number, masked)


@given(numbers, st.data(), st.sampled_from(BEFORE), st.sampled_from(AFTER))
@settings(max_examples=600, deadline=None)
def test_every_written_form_of_a_number_is_masked(kind_number: tuple[str, str], data: st.DataObject, before: str,
                                                  after: str) -> None:
    kind, number = kind_number
    text = before + data.draw(written(number)) + after
    masked = mask_pii(text)
    assert_masked(kind, number, masked)
    assert mask_pii(masked) == masked
    assert mask_with_context(text).text == masked


@given(numbers, st.data(), st.sampled_from(BEFORE), st.sampled_from(AFTER), st.sampled_from(["", " ", "，"]))
@settings(max_examples=400, deadline=None)
def test_a_number_split_across_two_messages_is_masked_in_both(kind_number: tuple[str, str], data: st.DataObject,
                                                               before: str, after: str, edge: str) -> None:
    kind, number = kind_number
    cut = data.draw(st.integers(max(4, len(number) - 10), min(10, len(number) - 4)))
    first, second = before + number[:cut] + edge, number[cut:] + after
    assume(not find_pii(first) and not find_pii(second))  # parts that are no number alone are the point
    stored = mask_pii(first)  # what the bridge stored when the first part arrived
    assert stored == first
    result = mask_with_context(second, ["你好", stored])
    assert result.recent[0] == "你好"
    assert result.recent[-1].endswith(edge)
    assert_masked(kind, number, result.recent[-1].removesuffix(edge) + result.text)
    assert mask_with_context(result.text, list(result.recent)) == result


@st.composite
def secrets(draw: st.DrawFn) -> tuple[str, str]:
    """(text, secret): a password or code after its keyword, with or without spaces, colons and 是/为."""
    keyword = draw(st.sampled_from(["密码", "交易密码", "登录密码", "PIN", "pin码", "口令", "验证码", "短信验证码",
                                    "动态码", "校验码", "动态密码"]))
    is_code = "码" in keyword and "密" not in keyword and "pin" not in keyword
    secret = draw(st.from_regex(r"[0-9]{6}" if is_code else r"[0-9]{6}|[a-z]{3}[0-9]{4}", fullmatch=True))
    gap = draw(st.sampled_from(["", " ", "  ", "：", " : ", "是", "是 ", " 是：", "为 ", "\u3000", "\u200b"]))
    if keyword.isascii() and gap in ("", "\u200b") and secret[0].isalpha():
        gap = " "  # PINabc1234 reads as one word; PIN abc1234 is the password
    text = keyword + gap + secret
    if draw(st.booleans()):
        text = full_width(text)
    return draw(st.sampled_from(BEFORE)) + text + draw(st.sampled_from(AFTER)), secret


@given(secrets())
@settings(max_examples=400, deadline=None)
def test_a_password_or_code_after_its_keyword_is_masked(text_secret: tuple[str, str]) -> None:
    text, secret = text_secret
    masked = mask_pii(text)
    assert secret not in visible(masked) and SECRET_MASK in masked
    assert mask_pii(masked) == masked


@given(st.from_regex(r"[0-9]{4,8}", fullmatch=True), st.sampled_from(["", " ", "是", "\u3000"]),
       st.sampled_from(["", "。", " 谢谢"]), st.booleans())
@settings(max_examples=200, deadline=None)
def test_a_code_sent_alone_after_the_bot_asked_for_one_is_masked(code: str, before: str, after: str,
                                                                   wide: bool) -> None:
    text = before + (full_width(code) if wide else code) + after
    assert asks_for_code("请输入您收到的短信验证码")
    result = mask_with_context(text, ["我要登录手机银行"], bot_asked_for_code=True)
    assert code not in visible(result.text) and SECRET_MASK in result.text
    if len(code) <= 10 and not wide:
        assert mask_with_context(text, ["我要登录手机银行"]).text == text  # no question, no code


@given(numbers, st.data(), st.sampled_from(DECOYS), st.sampled_from(DECOYS))
@settings(max_examples=300, deadline=None)
def test_amounts_dates_hotlines_and_tails_beside_a_number_stay(kind_number: tuple[str, str], data: st.DataObject,
                                                               left: str, right: str) -> None:
    kind, number = kind_number
    text = f"{left}，{data.draw(written(number))}，{right}"
    masked = mask_pii(text)
    assert masked.startswith(left + "，") and masked.endswith("，" + right)
    assert_masked(kind, number, masked[len(left) + 1:len(masked) - len(right) - 1])


def test_decoys_alone_are_untouched() -> None:
    for decoy in DECOYS:
        assert mask_pii(decoy) == decoy
        assert mask_with_context(decoy, ["你好"]).text == decoy


@given(id_numbers(), cards(), mobiles)
def test_the_generators_make_what_they_claim(id_number: str, card: str, mobile: str) -> None:
    assert re.fullmatch(r"[0-9]{17}[0-9X]", id_number) and cn_id_valid(id_number)
    assert re.fullmatch(r"[0-9]{16,19}", card) and luhn_valid(card)
    assert re.fullmatch(r"1[3-9][0-9]{9}", mobile)
    assert [m.kind for m in find_pii(f"{id_number} {card} {mobile}")] == ["id_number", "bank_card", "mobile"]
