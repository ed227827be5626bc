"""The customer channel (bot/secure_channel.py) and the Rasa launcher (bot/serve.py), without a server: who is
refused, what Rasa receives, and that nothing Rasa prints holds raw personal data. tests/security runs the same
against the real servers."""

from __future__ import annotations

import io
import json
import logging
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

import pytest
from rasa.shared.exceptions import RasaException

from bot.secure_channel import SecureRestInput
from bot.serve import install_log_masking, main, rasa_arguments
from common.service_auth import CHANNEL_SECRET_HEADER

SECRET = "s" * 40
CARD = "6222021234567890128"


@dataclass
class FakeRequest:
    """What the channel reads of a Sanic request."""
    body: Any
    headers: Dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    path: str = "/webhooks/rest/webhook"

    @property
    def json(self) -> Any:
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


def _request(body: Any, secret: Optional[str] = SECRET, content_type: str = "application/json") -> FakeRequest:
    headers = {"content-type": content_type}
    if secret is not None:
        headers[CHANNEL_SECRET_HEADER] = secret
    return FakeRequest(body, headers)


@pytest.mark.parametrize("request_, status", [
    (_request({"sender": "a", "message": "你好"}, secret=None), 401),
    (_request({"sender": "a", "message": "你好"}, secret="s" * 39), 401),
    (_request({"sender": "a", "message": "你好"}, secret=""), 401),
    (_request({"sender": "a", "message": "你好"}, content_type="text/plain"), 415),
    (_request({"sender": "a", "message": "你好"}, content_type="application/x-www-form-urlencoded"), 415),
    (_request({"sender": "a", "message": "你好"}, content_type=""), 415),
    (_request(["not", "an", "object"]), 400),
    (_request({"sender": "a"}), 400),
    (_request({"sender": "a", "message": 5}), 400),
    (_request(ValueError("no JSON")), 400),
])
def test_refused_requests(request_: FakeRequest, status: int) -> None:
    refusal = SecureRestInput(SECRET).refusal(request_)  # type: ignore[arg-type]
    assert refusal is not None and refusal.status == status
    assert "error" in json.loads(refusal.body or b"{}")


def test_a_request_with_the_secret_and_json_passes() -> None:
    channel = SecureRestInput(SECRET)
    for content_type in ("application/json", "application/json; charset=utf-8", "Application/JSON"):
        passing = _request({"sender": "a", "message": "你好"}, content_type=content_type)
        assert channel.refusal(passing) is None  # type: ignore[arg-type]
    health = FakeRequest(None, {}, "GET", "/webhooks/rest/")
    assert channel.refusal(health) is None  # type: ignore[arg-type]


def test_the_channel_masks_what_rasa_receives() -> None:
    channel = SecureRestInput(SECRET)
    request = _request({"sender": "a", "message": f"/inform{{\"card\": \"{CARD}\"}}",
                        "metadata": {CARD: "手机13812345678 身份证440304199001011233"}})
    assert channel._extract_message(request) == '/inform{"card": "***************0128"}'  # type: ignore[arg-type]
    metadata = channel.get_metadata(request)  # type: ignore[arg-type]
    assert metadata == {"***************0128": "手机138****5678 身份证4****************3"}


@pytest.mark.parametrize("credentials", [None, {}, {"secret": ""}, {"secret": "short"}])
def test_the_channel_refuses_to_start_without_a_strong_secret(credentials: Optional[Dict[str, Any]]) -> None:
    with pytest.raises(RasaException, match="secret"):
        SecureRestInput.from_credentials(credentials)
    assert isinstance(SecureRestInput.from_credentials({"secret": SECRET}), SecureRestInput)


def test_rasa_refuses_to_start_without_its_secrets(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RASA_JWT_SECRET", SECRET)
    monkeypatch.setenv("RASA_CHANNEL_SECRET", SECRET)
    monkeypatch.delenv("ACTIONS_SECRET", raising=False)
    assert main(["--enable-api"]) == 2
    assert "ACTIONS_SECRET" in capsys.readouterr().err


def test_the_jwt_secret_never_comes_from_the_command_line() -> None:
    args = rasa_arguments(["--enable-api", "-p", "5005"], SECRET)
    assert args[:5] == ["rasa", "run", "--enable-api", "-p", "5005"]
    assert args[-4:] == ["--jwt-secret", SECRET, "--jwt-method", "HS256"]
    for bad in (["--auth-token", "x"], ["--auth-token=x"], ["--jwt-secret", "x"]):
        with pytest.raises(SystemExit):
            rasa_arguments(bad, SECRET)


def test_logs_and_warnings_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    stream, shown = io.StringIO(), io.StringIO()
    logger = logging.getLogger("test-log-masking")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    monkeypatch.setattr(warnings, "showwarning", lambda message, *_args, **_kw: shown.write(f"{message}\n"))
    undo = install_log_masking()
    try:
        logger.warning("Failed to parse arguments in line '/inform{\"x\": %s'", CARD)
        full_width = "卡号６２２２０２１２３４５６７８９０１２８"
        logger.warning(json.dumps({"user_text": full_width}))  # a JSON log line: escaped full-width digits
        # what warnings.warn calls (Rasa's raise_warning prints the customer's whole line through it)
        warnings.showwarning(UserWarning(f"Failed to parse arguments in line '{CARD}'"), UserWarning, "x.py", 1)
    finally:
        undo()
        logger.removeHandler(handler)
    printed = stream.getvalue() + shown.getvalue()
    assert CARD not in printed and "\\uff16\\uff12\\uff12\\uff12" not in printed
    assert printed.count("***************0128") == 3

