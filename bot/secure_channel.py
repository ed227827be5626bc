"""The customer channel: Rasa's REST channel (same path, same JSON in and out) for callers holding a shared secret.

Rasa's own ``rest`` channel answers anyone who can reach the port, and it accepts ``text/plain`` bodies, so any
web page a staff member opens could post to it blind. This one:

* refuses a request without the secret in the ``X-Channel-Secret`` header (401; compared in constant time), and
  a body that is not declared ``application/json`` (415: a browser cannot send that cross-origin without a
  preflight, which Rasa does not answer) or is not a JSON object with a text ``message`` (400);
* masks personal data (:func:`common.pii.mask_escaped`, which also reads ``\\uXXXX`` escapes in payloads such as
  ``/inform{"x": "..."}``) in the message and its metadata before Rasa sees them, so nothing Rasa stores or logs
  holds a raw card, ID, mobile or code, whoever the caller (the bridge masks too, with context).

The secret comes from bot/credentials.yml (``secret: ${RASA_CHANNEL_SECRET}``); the channel refuses to start
without one of at least 32 characters. Its name stays ``rest``, so the path is ``/webhooks/rest/webhook``; a
configuration that also enabled Rasa's ``rest`` channel would fail at start-up on the duplicate route.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from common.pii import mask_data, mask_escaped
from common.service_auth import CHANNEL_SECRET_HEADER, MIN_SECRET_CHARS, secret_matches


def _refusal(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": code, "message": message}, status=status)


class SecureRestInput(RestInput):
    """``RestInput`` behind a shared-secret header, with the customer's text masked on the way in."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> SecureRestInput:
        secret = str((credentials or {}).get("secret") or "")
        if len(secret) < MIN_SECRET_CHARS:
            raise RasaException(
                f"bot.secure_channel.SecureRestInput needs `secret` in the credentials file (at least "
                f"{MIN_SECRET_CHARS} characters, e.g. ${{RASA_CHANNEL_SECRET}}); scripts/run_services.sh "
                f"generates one in development")
        return cls(secret)

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def refusal(self, request: Request) -> Optional[HTTPResponse]:
        """Why ``request`` is refused, as the response to send; None when it may pass."""
        if request.method == "GET" and request.path.rstrip("/").endswith(f"/webhooks/{self.name()}"):
            return None  # the channel's health check says nothing
        if not secret_matches(request.headers.get(CHANNEL_SECRET_HEADER), self._secret):
            return _refusal(401, "channel_secret_required", "未授权：缺少或错误的通道密钥")
        media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return _refusal(415, "json_required", "请求体必须是 application/json")
        try:
            body = request.json
        except Exception:  # sanic raises its own InvalidUsage for a body that is no JSON
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("message"), str) \
                or not isinstance(body.get("sender"), (str, type(None))):
            return _refusal(400, "bad_request", "请求体应为 JSON 对象，含文本字段 message 与 sender")
        return None

    def _extract_message(self, req: Request) -> Optional[str]:
        message = req.json.get("message")
        return mask_escaped(message) if isinstance(message, str) else message

    def get_metadata(self, request: Request) -> Optional[Dict[str, Any]]:
        metadata = request.json.get("metadata")
        return mask_data(metadata) if metadata is not None else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def require_secret(request: Request) -> Optional[HTTPResponse]:
            return self.refusal(request)

        return webhook
