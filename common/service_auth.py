"""How the processes behind the bridge authenticate each other (pure, standard library only: every venv imports it).

Three secrets, each from the environment (``scripts/run_services.sh`` generates them per run in development):

* ``RASA_JWT_SECRET`` signs the HS256 JWT the bridge sends Rasa's HTTP API (``Authorization: Bearer``): the
  trainer's /model endpoints, tracker reads. Rasa checks it (``--jwt-secret``; bot/serve.py passes it).
* ``RASA_CHANNEL_SECRET``, in the :data:`CHANNEL_SECRET_HEADER` header, admits a caller to the customer channel
  (bot/secure_channel.py): Rasa's own REST channel answers anyone.
* ``ACTIONS_SECRET``, in the :data:`ACTION_SECRET_HEADER` header, admits Rasa to the action server
  (actions/server.py); Rasa sends it from bot/endpoints.yml.

A secret travels in a header, never in a URL (URLs end up in access logs), and is compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

CHANNEL_SECRET_HEADER = "X-Channel-Secret"
ACTION_SECRET_HEADER = "X-Action-Secret"
SECRET_NAMES = ("RASA_JWT_SECRET", "RASA_CHANNEL_SECRET", "ACTIONS_SECRET")
MIN_SECRET_CHARS = 32
JWT_TTL_S = 300


def secret_matches(given: str | None, expected: str) -> bool:
    """True when ``given`` is ``expected``, compared in constant time; an empty expected secret matches nothing."""
    return bool(expected) and hmac.compare_digest((given or "").encode(), expected.encode())


def weak_secrets(values: dict[str, str]) -> list[str]:
    """The names among ``values`` whose secret is missing or shorter than :data:`MIN_SECRET_CHARS`."""
    return [name for name, value in values.items() if len(value or "") < MIN_SECRET_CHARS]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rasa_jwt(secret: str, now: float | None = None, ttl_s: int = JWT_TTL_S, subject: str = "bridge",
             role: str = "admin") -> str:
    """An HS256 JWT for Rasa's HTTP API, valid ``ttl_s``. rasa/server.py ``requires_auth`` reads ``user.role``:
    ``admin`` opens every endpoint, ``user`` only the conversation whose id is the username."""
    issued = int(time.time() if now is None else now)
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps({"user": {"username": subject, "role": role}, "iat": issued,
                               "exp": issued + ttl_s}, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def rasa_api_headers(jwt_secret: str) -> dict[str, str]:
    """Headers for a call to Rasa's HTTP API (a fresh JWT each time; empty without a secret)."""
    return {"Authorization": f"Bearer {rasa_jwt(jwt_secret)}"} if jwt_secret else {}


def channel_headers(channel_secret: str) -> dict[str, str]:
    """Headers for a call to the customer channel (empty without a secret)."""
    return {CHANNEL_SECRET_HEADER: channel_secret} if channel_secret else {}
