"""PII detection and masking against tables of real-format examples (pure functions, no Rasa)."""

import pytest

from common.pii import cn_id_valid, contains_secret, find_pii, luhn_valid, mask_pii

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
