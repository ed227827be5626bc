"""Edge guards: security headers, request-size limit, and rate limits per client IP and per conversation
(token buckets; 429 with Retry-After)."""

from __future__ import annotations

import math
import re
import threading
import time
from typing import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

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


def install(app: FastAPI, ip_per_min: float, conversation_per_min: float, max_body_bytes: int) -> None:
    by_ip = TokenBuckets(ip_per_min, burst=max(10, int(ip_per_min / 6)))
    by_conversation = TokenBuckets(conversation_per_min, burst=10)

    def too_many(wait: float, what: str) -> JSONResponse:
        return JSONResponse({"detail": f"too many requests from this {what}; retry in {math.ceil(wait)} s"},
                            status_code=429, headers={"Retry-After": str(max(1, math.ceil(wait)))})

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        response: Response
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body_bytes):
            response = JSONResponse({"detail": f"request body larger than {max_body_bytes} bytes"}, status_code=413)
        elif path.startswith("/api/") and (wait := by_ip.take(request.client.host if request.client else "?")):
            response = too_many(wait, "address")
        elif request.method == "POST" and (match := _CONVERSATION_POST.match(path)) and (
                wait := by_conversation.take(match.group(1))):
            response = too_many(wait, "conversation")
        else:
            response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
