"""WebSocket logins: how a socket proves who it is, and every authenticated socket kept with what admitted it,
so the login ending ends the socket too.

* The credential travels in the ``Sec-WebSocket-Protocol`` header, never in the URL (URLs end up in access
  logs, browser history and proxies): the client offers ``bankcs.v1`` and ``bearer.<token>``, the server picks
  ``bankcs.v1`` (it never echoes the token). A token in the query string is refused (4400).
* An agent's socket closes (4401) when its token is logged out, when it expires (checked again at the expiry
  time and every ``WS_RECHECK_S`` while open, so a token revoked by another process, e.g. ``python -m api
  set-role``, is noticed too), when the account's role changes; a customer's socket closes (4410) when the
  conversation is erased (a deletion request, retention) or its token no longer matches.

With several bridge processes (``REDIS_URL``) a close is also sent over the event bus (``api.cluster.bus``),
so a logout or an erasure handled by one process closes the sockets the others hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Awaitable, Callable, Literal

from fastapi import WebSocket, WebSocketDisconnect

from api.cluster.bus import Close, EventBus
from api.errors import ServiceError
from api.store.models import utcnow

SUBPROTOCOL = "bankcs.v1"
BEARER_PREFIX = "bearer."
URL_CREDENTIALS = frozenset({"token", "access_token", "auth"})
CLOSE_BAD_REQUEST = 4400
CLOSE_LOGGED_OUT = 4401
CLOSE_ERASED = 4410


def offered_token(websocket: WebSocket) -> str | None:
    """The token the client offered as a ``bearer.<token>`` subprotocol (None without one)."""
    for protocol in websocket.scope.get("subprotocols") or []:
        if protocol.startswith(BEARER_PREFIX):
            return protocol[len(BEARER_PREFIX):] or None
    return None


def token_in_url(websocket: WebSocket) -> bool:
    return any(key.lower() in URL_CREDENTIALS for key in websocket.query_params)


@dataclass(frozen=True)
class Admission:
    """What admitted a socket: whose token (its SHA-256), for which agent or conversation, until when."""

    kind: Literal["agent", "customer"]
    token_hash: str
    user_id: int | None = None
    conversation_id: str | None = None
    expires_at: dt.datetime | None = None


Check = Callable[[], bool]  # is the socket's login still good? (a short database read)
OnFrame = Callable[[str], Awaitable[None]]


def passes(check: Callable[[], object]) -> Check:
    """A :data:`Check` from a function that raises a ServiceError when the login is no longer good."""
    def still_good() -> bool:
        try:
            check()
        except ServiceError:
            return False
        return True
    return still_good


class SocketRegistry:
    """The open, authenticated sockets of this process."""

    def __init__(self, recheck_s: float = 15.0, now: Callable[[], dt.datetime] = utcnow) -> None:
        self.recheck_s = recheck_s
        self.now = now
        self._open: dict[WebSocket, Admission] = {}
        self.bus: EventBus | None = None  # set by create_app when several processes share Redis

    # ------------------------------------------------------------------ admission
    async def refuse_url_token(self, websocket: WebSocket) -> bool:
        """Close a socket that put its token in the URL; True when it did."""
        if not token_in_url(websocket):
            return False
        await websocket.close(code=CLOSE_BAD_REQUEST, reason="token must not be in the URL: send it as the "
                                                              "Sec-WebSocket-Protocol bearer.<token>")
        return True

    async def accept(self, websocket: WebSocket, admission: Admission) -> None:
        offered = websocket.scope.get("subprotocols") or []
        await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
        self._open[websocket] = admission

    async def hold(self, websocket: WebSocket, still_valid: Check, on_frame: OnFrame | None = None) -> None:
        """Read the client's frames (handing each to ``on_frame``) until it leaves or its login ends; the login
        is checked at its expiry and every ``recheck_s``."""
        watcher = asyncio.create_task(self._watch(websocket, still_valid))
        try:
            while True:
                frame = await websocket.receive_text()
                if on_frame is not None:
                    await on_frame(frame)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:  # no await here: the route's own clean-up must run even when the socket's task is cancelled
            watcher.cancel()
            self._open.pop(websocket, None)

    async def _watch(self, websocket: WebSocket, still_valid: Check) -> None:
        while websocket in self._open:
            admission = self._open[websocket]
            delay = self.recheck_s
            if admission.expires_at is not None:
                delay = min(delay, max(0.0, (admission.expires_at - self.now()).total_seconds()) + 0.05)
            await asyncio.sleep(delay)
            if websocket in self._open and not still_valid():
                code = CLOSE_LOGGED_OUT if admission.kind == "agent" else CLOSE_ERASED
                await self._close([websocket], code, "登录已失效，请重新登录" if admission.kind == "agent"
                                  else "会话已结束")
                return

    # ------------------------------------------------------------------ closing
    async def _close(self, sockets: list[WebSocket], code: int, reason: str) -> int:
        for websocket in sockets:
            self._open.pop(websocket, None)
        for websocket in sockets:
            with contextlib.suppress(Exception):  # already gone: nothing to close
                await asyncio.wait_for(websocket.close(code=code, reason=reason), timeout=2)
        return len(sockets)

    async def close_local(self, request: Close) -> int:
        """Close this process's sockets matching the request; how many."""
        keys = set(request.keys)
        if request.what == "token":
            found = [ws for ws, a in self._open.items() if a.token_hash in keys]
        elif request.what == "user":
            found = [ws for ws, a in self._open.items() if str(a.user_id) in keys]
        else:
            found = [ws for ws, a in self._open.items() if a.conversation_id in keys]
        return await self._close(found, CLOSE_ERASED if request.what == "conversations" else CLOSE_LOGGED_OUT,
                                 request.reason)

    async def _close_everywhere(self, request: Close) -> int:
        closed = await self.close_local(request)
        if self.bus is not None:
            await self.bus.close(request)
        return closed

    async def close_token(self, token_hash: str, reason: str = "已退出登录") -> int:
        """Close every socket opened with this token (a logout); the count is this process's."""
        return await self._close_everywhere(Close("token", (token_hash,), reason))

    async def close_user(self, user_id: int, reason: str = "账号权限已变更，请重新登录") -> int:
        """Close every socket of this staff member (a role change)."""
        return await self._close_everywhere(Close("user", (str(user_id),), reason))

    async def close_conversations(self, conversation_ids: list[str], reason: str = "会话记录已删除") -> int:
        """Close the customer sockets of these conversations (erased)."""
        return await self._close_everywhere(Close("conversations", tuple(conversation_ids), reason))

    def user_connected(self, user_id: int) -> bool:
        return any(a.user_id == user_id for a in self._open.values())
