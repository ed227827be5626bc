"""PII detection and masking against tables of real-format examples (pure functions, no Rasa)."""

import pytest

from common.pii import (
    ContextMasked,
    asks_for_code,
    cn_id_valid,
    contains_secret,
    find_pii,
    luhn_valid,
    mask_data,
    mask_escaped,
    mask_pii,
    mask_with_context,
)

VALID_IDS = ["440304199001011233", "310115198512314564", "510107197806150027", "11010519491231002X", "110105491231002"]
INVALID_IDS = ["440304199001011234", "11010519491231002Y", "440304199013011233", "440304209901011231", "12345"]
LUHN_CARDS = [
    "6212261202011234565", "6222021234567890128", "621700123456789011", "4367421234567896", "4111111111111111",
]


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_id_numbers(number: str) -> None:
    assert cn_id_valid(number)
    assert cn_id_valid(number.lower())


@pytest.mark.parametrize("number", INVALID_IDS)
def test_invalid_id_numbers_fail_check_digit_or_date(number: str) -> None:
    assert not cn_id_valid(number)


@pytest.mark.parametrize("card", LUHN_CARDS)
def test_luhn(card: str) -> None:
    assert luhn_valid(card)
    last = str((int(card[-1]) + 1) % 10)
    assert not luhn_valid(card[:-1] + last)


@pytest.mark.parametrize(
    "text, masked",
    [
        ("卡号6212261202011234565能帮我查查吗", "卡号***************4565能帮我查查吗"),
        ("卡号 6222 0212 3456 7890 128", "卡号 ***************0128"),
        ("身份证440304199001011233", "身份证4****************3"),
        ("身份证号11010519491231002X谢谢", "身份证号1****************X谢谢"),
        ("手机13812345678", "手机138****5678"),
        ("电话+86 138 1234 5678", "电话+86138****5678"),
        ("验证码是482913，你帮我登录一下", "验证码是******，你帮我登录一下"),
        ("动态码：5521", "动态码：******"),
        ("我的密码是abc123", "我的密码是******"),
        ("交易密码为 901234", "交易密码为 ******"),
        ("卡背面安全码 123", "卡背面安全码 ******"),
        ("CVV2是456", "CVV2是******"),
        ("尾号1234的卡丢了", "尾号1234的卡丢了"),
        ("转5万到尾号6789", "转5万到尾号6789"),
        ("2026年11月24日", "2026年11月24日"),
    ],
)
def test_masking(text: str, masked: str) -> None:
    assert mask_pii(text) == masked


def test_mistyped_card_number_is_still_masked() -> None:
    typo = "6212261202011234566"  # fails Luhn by one digit
    assert not luhn_valid(typo)
    assert [m.kind for m in find_pii(typo)] == ["card_like"]
    assert mask_pii(typo).endswith("4566") and typo not in mask_pii(typo)


@pytest.mark.parametrize(
    "text, secret",
    [
        ("验证码是482913，你帮我登录一下", True),
        ("我密码123456", True),
        ("卡号6212261202011234565", True),
        ("身份证440304199001011233", True),
        ("我手机号13812345678收不到验证码", False),
        ("收不到验证码怎么办", False),
        ("密码忘了怎么办", False),
        ("尾号1234", False),
    ],
)
def test_secrets(text: str, secret: bool) -> None:
    assert contains_secret(text) is secret


def test_masking_is_idempotent() -> None:
    text = "卡6212261202011234565 手机13812345678 验证码482913"
    once = mask_pii(text)
    assert mask_pii(once) == once


@pytest.mark.parametrize("text", ["卡号6222777777777777770 0", "1 6222777777777777770", "3 6222 7777 7777 7777 770 5"])
def test_a_card_beside_another_number_is_still_masked(text: str) -> None:
    """Found by fuzzing: a space-separated digit run swallowed the neighbouring number and escaped masking."""
    masked = mask_pii(text)
    assert "6222777777777777770" not in masked.replace(" ", "") and masked.rstrip().endswith(text.rstrip()[-1])
    assert "7770" in masked


@pytest.mark.parametrize(
    "text, masked",
    [
        ("邮箱zhang.san@example.com.cn请回复", "邮箱z***@example.com.cn请回复"),
        ("座机021-12345678转123", "座机021-****5678"),
        ("电话0755 8888 6666", "电话0755-****6666"),
        ("0571-8765432", "0571-****5432"),
        ("热线95588，日期2026-11-24，金额10000元", "热线95588，日期2026-11-24，金额10000元"),
    ],
)
def test_email_and_landline_masking(text: str, masked: str) -> None:
    assert mask_pii(text) == masked
    assert mask_pii(masked) == masked
    assert not contains_secret(text)  # personal data, not secrets: masked, but no safety warning


@pytest.mark.parametrize(
    "text, masked",
    [
        ("身份证４４０３０４１９９００１０１１２３３", "身份证4****************3"),  # full-width
        ("手机１３８１２３４５６７８", "手机138****5678"),
        ("ID440304199001011233", "ID4****************3"),  # no letter boundary
        ("card6212261202011234565", "card***************4565"),
        ("卡号6212-2612-0201-1234-565", "卡号***************4565"),
        ("卡号6212.2612.0201.1234.565", "卡号***************4565"),
        ("卡号6212\u30002612\u30000201\u30001234\u3000565", "卡号***************4565"),
        ("手机138\u200b1234\u200b5678", "手机138****5678"),
        ("身份证 440304 19900101 1233", "身份证 4****************3"),
        ("身份证11010519491231002 X", "身份证1****************X"),
        ("密码 123456", "密码 ******"),
        ("验证码 : 482913", "验证码 : ******"),
        ("验证码　482913", "验证码　******"),
        ("密\u200b码\u200b123456", "密\u200b码\u200b******"),
        ("PIN 1234 56", "PIN ******"),
        ("电话+86 138-1234-5678", "电话+86138****5678"),
        ("热线95588，400-820-8888，日期2026-11-24 10000元", "热线95588，400-820-8888，日期2026-11-24 10000元"),
        ("2026.11.24-2026.12.24", "2026.11.24-2026.12.24"),
    ],
)
def test_masking_normalises_first(text: str, masked: str) -> None:
    assert mask_pii(text) == masked
    assert mask_pii(masked) == masked


def test_a_card_split_across_two_messages_is_masked_in_both() -> None:
    result = mask_with_context("567890128", ["你好", "卡号是6222021234"])
    assert result == ContextMasked("*****0128", ("你好", "卡号是**********"))
    three = mask_with_context("7890 128", ["6222 0212", "3456"])
    assert "".join((*three.recent, three.text)).replace(" ", "") == "***************0128"


def test_a_code_after_the_keyword_in_the_previous_message_or_after_the_bot_asked_is_masked() -> None:
    assert mask_with_context("482913", ["我的验证码是"]).text == "******"
    assert mask_with_context("482913", ["好的"], bot_asked_for_code=True).text == "******"
    assert mask_with_context("482913", ["好的"]).text == "482913"  # a bare number is no code on its own
    assert mask_with_context("尾号1234", ["好的"], bot_asked_for_code=True).text == "尾号1234"
    assert asks_for_code("请告诉我您收到的短信验证码") and not asks_for_code("请问还有什么可以帮您")


def test_without_context_it_is_mask_pii() -> None:
    text = "卡号6222021234567890128，手机13812345678"
    assert mask_with_context(text) == ContextMasked(mask_pii(text), ())


def test_escaped_payloads_and_numbers_in_data_are_masked() -> None:
    escaped = '/inform{"card": "\\u0036\\u0032\\u0032\\u0032021234567890128"}'
    assert "0128" in mask_escaped(escaped) and "6222021234567890128" not in mask_escaped(escaped)
    assert mask_escaped('/greet{"x": "\\u4f60\\u597d"}') == '/greet{"x": "\\u4f60\\u597d"}'  # nothing to mask
    data = {"card": 6222021234567890128, "6222021234567890128": "k", "ok": 1.5, "flag": True,
            "list": ["手机13812345678", 12], "float_card": 6222021234567890128.0}
    masked = mask_data(data)
    assert masked["card"] == "***************0128" and "***************0128" in masked
    assert masked["ok"] == 1.5 and masked["flag"] is True and masked["list"] == ["手机138****5678", 12]
    assert "6222021234567890128" not in str(masked)
