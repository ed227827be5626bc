"""Edge guards, one pure ASGI middleware in front of every route (no per-request Request/Response wrapping):

* who is calling: the client address with the explicit trusted-proxy list (``api.compliance.addresses``), written
  back into the scope so every later reader (rate limits, login throttling, the audit) sees the same one;
* internal endpoints (``/metrics``, ``/docs``, ``/redoc``, ``/openapi.json``) answered only to internal callers
  (loopback, or ``INTERNAL_NETWORKS``): 403 to anyone else;
* request bodies: a declared ``Content-Length`` over ``MAX_BODY_BYTES`` is refused at once, and the bytes are
  counted as they arrive, so a chunked body without a length is cut off at the same size (413) instead of being
  read into memory; a body that stalls for ``BODY_TIMEOUT_S`` between chunks is refused (408);
* rate limits per address (429 with Retry-After), and credential guessing: every 401 and every WebSocket refused
  before it was accepted costs the address a guess; an address out of guesses gets 429 on any request carrying
  credentials until its bucket refills;
* WebSockets: at most ``WS_MAX_PER_ADDRESS`` open at once per address;
* security headers on every HTTP response, HSTS when the client came over https (or ``HSTS=true``).

Two guards need the route's knowledge and are called by the customer routes: the per-conversation limit
(:func:`charge_conversation`), charged only after the conversation token was checked, so posts with a wrong
token cannot use up a customer's allowance; and ``MAX_MESSAGE_CHARS`` (:func:`check_message_length`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.compliance.addresses import client_address, forwarded_scheme, is_internal, parse_networks
from api.compliance.limits import EdgeLimits, TokenBuckets, retry_after
from api.errors import Refused, ServiceError
from api.settings import Settings

__all__ = ["Guard", "TokenBuckets", "charge_conversation", "check_message_length", "install", "too_many"]

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                "script-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'"),
    "Cache-Control": "no-store",
}
HSTS = ("strict-transport-security", "max-age=31536000; includeSubDomains")
INTERNAL_PATHS = frozenset({"/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
POLICY_VIOLATION = 1008  # WebSocket close code for a refused connection


class BodyRefused(HTTPException):
    """Raised from ``receive`` while the app reads the body: FastAPI passes an HTTPException through, so the
    refusal reaches the client as its status; the guard answers it itself if the app did not."""


def too_many(wait: float, what: str) -> JSONResponse:
    return JSONResponse({"detail": f"{what}请求过于频繁，请 {retry_after(wait)} 秒后再试"}, status_code=429,
                        headers={"Retry-After": retry_after(wait)})


def _has_credentials(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"authorization" for k, _ in headers)


class Guard:
    def __init__(self, app: ASGIApp, settings: Settings, limits: EdgeLimits) -> None:
        self.app = app
        self.limits = limits
        self.trusted = parse_networks(settings.trusted_proxies)
        self.internal = parse_networks(settings.internal_networks)
        self.max_body_bytes = settings.max_body_bytes
        self.body_timeout_s = settings.body_timeout_s
        self.hsts_always = settings.hsts
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        peer = scope["client"][0] if scope.get("client") else None
        headers = list(scope.get("headers", []))
        client = client_address(peer, headers, self.trusted)
        if client != peer:
            scope["client"] = (client, 0)
        if scope["type"] == "websocket":
            await self._socket(scope, receive, send, client, headers)
        else:
            https = forwarded_scheme(peer, headers, self.trusted, scope.get("scheme", "http")) == "https"
            internal = is_internal(peer, headers, self.trusted, self.internal)
            await self._http(scope, receive, send, client, headers, https or self.hsts_always, internal)

    # ------------------------------------------------------------------ HTTP
    def _refusal(self, scope: Scope, client: str, headers: list[tuple[bytes, bytes]], internal: bool
                 ) -> JSONResponse | None:
        path = scope.get("path", "")
        if path in INTERNAL_PATHS and not internal:
            return JSONResponse({"detail": "此接口仅供内部访问（本机或 INTERNAL_NETWORKS 中的地址）"}, status_code=403)
        length = next((v.decode("latin-1") for k, v in headers if k == b"content-length"), None)
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            return self._too_large()
        if path.startswith("/api/") and (wait := self.limits.by_address.take(client)):
            return too_many(wait, "此地址")
        if _has_credentials(headers) and (wait := self.limits.guesses.wait(client)):
            return too_many(wait, "此地址的错误凭据")
        return None

    def _too_large(self) -> JSONResponse:
        return JSONResponse({"detail": f"请求体过大：最多 {self.max_body_bytes} 字节"}, status_code=413)

    def _metered(self, receive: Receive) -> Receive:
        """``receive`` counting the body's bytes as they arrive and timing each wait for the next chunk."""
        received, done = 0, False

        async def metered() -> Message:
            nonlocal received, done
            if done:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.body_timeout_s)
            except asyncio.TimeoutError:
                raise BodyRefused(408, f"请求体在 {self.body_timeout_s:g} 秒内未发送完毕") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyRefused(413, f"请求体过大：最多 {self.max_body_bytes} 字节")
                done = not message.get("more_body", False)
            else:
                done = True
            return message
        return metered

    async def _http(self, scope: Scope, receive: Receive, send: Send, client: str,
                    headers: list[tuple[bytes, bytes]], hsts: bool, internal: bool) -> None:
        started = False
        extra = self.headers + ([(HSTS[0].encode(), HSTS[1].encode())] if hsts else [])

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if message.get("status") == 401:
                    self.limits.guesses.take(client)
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [(k, v) for k, v in extra if k not in present]
            await send(message)

        refusal = self._refusal(scope, client, headers, internal)
        if refusal is not None:
            await refusal(scope, receive, guarded_send)
            return
        try:
            await self.app(scope, self._metered(receive), guarded_send)
        except BodyRefused as exc:  # raised where nothing turned it into a response
            if started:
                raise
            await JSONResponse({"detail": exc.detail}, status_code=exc.status_code)(scope, receive, guarded_send)

    # ------------------------------------------------------------------ WebSockets
    async def _socket(self, scope: Scope, receive: Receive, send: Send, client: str,
                      headers: list[tuple[bytes, bytes]]) -> None:
        refused = (scope.get("path", "").startswith("/api/") and self.limits.by_address.take(client)) \
            or self.limits.guesses.wait(client)
        if refused or not self.limits.sockets.open(client):
            await send({"type": "websocket.close", "code": POLICY_VIOLATION})
            return
        accepted = False

        async def guarded_send(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept":
                accepted = True
            elif message["type"] == "websocket.close" and not accepted:
                self.limits.guesses.take(client)  # refused before it was accepted: a bad credential
            await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        finally:
            self.limits.sockets.close(client)


def install(app: FastAPI, settings: Settings, limits: EdgeLimits) -> None:
    kwargs: dict[str, Any] = {"settings": settings, "limits": limits}
    app.add_middleware(Guard, **kwargs)


def charge_conversation(limits: EdgeLimits, conversation_id: str) -> None:
    """Spend one of the conversation's messages (call after its token was checked): 429 when they are spent."""
    wait = limits.by_conversation.take(conversation_id)
    if wait:
        raise ServiceError(f"此会话发送过于频繁，请 {retry_after(wait)} 秒后再试", status=429,
                           headers={"Retry-After": retry_after(wait)})


def check_message_length(text: str | None, max_chars: int) -> None:
    """``MAX_MESSAGE_CHARS``: a longer message is refused (422) before anything is stored or sent."""
    if text is not None and len(text) > max_chars:
        raise Refused(f"消息过长：每条最多 {max_chars} 个字，当前 {len(text)} 个字，请分几条发送")
