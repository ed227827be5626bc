"""Edge guards: security headers, request-size limit, and rate limits per client IP and per conversation
(token buckets; 429 with Retry-After)."""

from __future__ import annotations

import math
import re
import threading
import time
from typing import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                "script-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'"),
    "Cache-Control": "no-store",
}
_CONVERSATION_POST = re.compile(r"^/api/v1/conversations/([^/]+)/(messages|typing)$")


class TokenBuckets:
    """``rate_per_min`` tokens a minute, at most ``burst`` at once, per key; thread-safe; ``now`` injectable."""

    def __init__(self, rate_per_min: float, burst: int, now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_min / 60.0
        self.burst = float(burst)
        self.now = now
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when allowed, else the seconds until a token is available."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self.now()
            tokens, last = self._state.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._state[key] = (tokens - 1, now)
                if len(self._state) > 100_000:  # forget idle keys
                    self._state = {k: v for k, v in self._state.items() if now - v[1] < 600}
                return 0.0
            self._state[key] = (tokens, now)
            return (1 - tokens) / self.rate


class Guard:
    """Pure ASGI middleware (no per-request Request/Response wrapping, unlike ``@app.middleware``): size
    limit, rate limits, security headers on every HTTP response."""

    def __init__(self, app: ASGIApp, ip_per_min: float, conversation_per_min: float, max_body_bytes: int) -> None:
        self.app = app
        self.by_ip = TokenBuckets(ip_per_min, burst=max(10, int(ip_per_min / 6)))
        self.by_conversation = TokenBuckets(conversation_per_min, burst=10)
        self.max_body_bytes = max_body_bytes
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        path = scope.get("path", "")
        length = next((v.decode() for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            return JSONResponse({"detail": f"request body larger than {self.max_body_bytes} bytes"}, status_code=413)
        client = scope.get("client")
        if path.startswith("/api/") and (wait := self.by_ip.take(client[0] if client else "?")):
            return _too_many(wait, "address")
        if scope.get("method") == "POST" and (match := _CONVERSATION_POST.match(path)) and (
                wait := self.by_conversation.take(match.group(1))):
            return _too_many(wait, "conversation")
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in self.headers if k not in present]
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
        else:
            await self.app(scope, receive, send_with_headers)


def _too_many(wait: float, what: str) -> JSONResponse:
    return JSONResponse({"detail": f"too many requests from this {what}; retry in {math.ceil(wait)} s"},
                        status_code=429, headers={"Retry-After": str(max(1, math.ceil(wait)))})


def install(app: FastAPI, ip_per_min: float, conversation_per_min: float, max_body_bytes: int) -> None:
    app.add_middleware(Guard, ip_per_min=ip_per_min, conversation_per_min=conversation_per_min,
                       max_body_bytes=max_body_bytes)
