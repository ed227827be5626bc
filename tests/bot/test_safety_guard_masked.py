"""The safety guard still recognises a secret in text the bridge has already masked (common.pii)."""

import pytest

from bot.safety_guard import safety_rule
from common.pii import contains_masked_secret, mask_pii


@pytest.mark.parametrize(
    "text, secret",
    [
        ("验证码是482913，你帮我登录一下", True),
        ("我密码123456", True),
        ("卡号6212261202011234565", True),
        ("身份证440304199001011233", True),
        ("CVV2是456", True),
        ("我手机号13812345678收不到验证码", False),
        ("尾号1234", False),
        ("收不到验证码怎么办", False),
    ],
)
def test_masked_text_still_shows_that_a_secret_was_sent(text: str, secret: bool) -> None:
    """The bridge sends the bot masked text; the safety guard must still warn."""
    masked = mask_pii(text)
    assert contains_masked_secret(masked) is secret
    assert (safety_rule(masked, ()) == "secret") is secret
