"""The event bus between bridge processes: one Redis pub/sub channel every process subscribes to.

A process delivers each batch of pushes (an outbox, in order) to its own sockets and publishes it once, as one
message; every other process receives it and delivers the pushes whose sockets it holds (``deliver``; a
process skips its own messages). Socket closes — a logout, an erased conversation, a role change — travel the
same way, so they reach a socket on any process.

Pub/sub is at-most-once: a process that is cut off from Redis misses what is published meanwhile (the
subscription is re-made with back-off). Nothing is lost for the customer or the agent: every pushed event is
already a database row or a state the clients read again when their socket reconnects (history and the agent's
list). A publish that fails is logged; this process's own sockets already have the batch, so one process
never stops talking to its own clients because Redis is away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Literal, Union

from api.cluster.connection import PREFIX, RedisLink

log = logging.getLogger(__name__)
CHANNEL = PREFIX + "events"

Kind = Literal["customer", "agent", "all_agents"]


@dataclass(frozen=True)
class Delivery:
    """One push on the wire: to the customer of a conversation, to an agent, or to every agent."""

    kind: Kind
    key: str  # the conversation id, the agent's user id, or "" for every agent
    frame: dict[str, Any]


CloseWhat = Literal["token", "user", "conversations"]


@dataclass(frozen=True)
class Close:
    """Close the sockets opened with a token, of a user, or of conversations, on every process."""

    what: CloseWhat
    keys: tuple[str, ...]
    reason: str


Deliver = Callable[[list[Delivery]], Awaitable[None]]
CloseLocal = Callable[[Close], Awaitable[object]]


def encode(item: Union[list[Delivery], Close], sender: str) -> str:
    if isinstance(item, Close):
        body: dict[str, Any] = {"close": {"what": item.what, "keys": list(item.keys), "reason": item.reason}}
    else:
        body = {"pushes": [[d.kind, d.key, d.frame] for d in item]}
    return json.dumps({"from": sender, **body}, ensure_ascii=False)


def decode(raw: Union[str, bytes]) -> tuple[str, Union[list[Delivery], Close]]:
    """(the sender, the batch or close) in a message; ValueError when it is neither."""
    body = json.loads(raw)
    if not isinstance(body, dict):
        raise ValueError("not an object")
    sender = str(body.get("from") or "")
    if "close" in body:
        c = body["close"]
        if c.get("what") not in ("token", "user", "conversations"):
            raise ValueError(f"unknown close {c.get('what')!r}")
        return sender, Close(c["what"], tuple(str(k) for k in c.get("keys") or []), str(c.get("reason") or ""))
    pushes = body.get("pushes")
    if not isinstance(pushes, list):
        raise ValueError("no pushes")
    out = []
    for kind, key, frame in pushes:
        if kind not in ("customer", "agent", "all_agents") or not isinstance(frame, dict):
            raise ValueError(f"bad push {kind!r}")
        out.append(Delivery(kind, str(key), frame))
    return sender, out


class EventBus:
    def __init__(self, link: RedisLink, deliver: Deliver, close_local: CloseLocal) -> None:
        self.link = link
        self.deliver = deliver
        self.close_local = close_local
        self.subscribed = asyncio.Event()  # set while the subscription is live
        self.received = 0
        self.published = 0

    async def _publish(self, item: Union[list[Delivery], Close]) -> None:
        try:
            await self.link.aio.publish(CHANNEL, encode(item, self.link.process_id))
            self.published += 1
        except Exception as exc:  # noqa: BLE001 - this process's own sockets were served already
            log.warning("event bus: publish failed (%s); only this process's sockets were reached",
                        exc.__class__.__name__)

    async def publish(self, pushes: list[Delivery]) -> None:
        """Publish the batch once for the other processes (the caller delivered it to its own sockets)."""
        if pushes:
            await self._publish(pushes)

    async def close(self, request: Close) -> None:
        """Close matching sockets on the other processes (the caller closed its own)."""
        await self._publish(request)

    async def _handle(self, raw: Union[str, bytes]) -> None:
        try:
            sender, item = decode(raw)
        except (ValueError, TypeError, KeyError) as exc:
            log.error("event bus: unreadable message dropped (%s)", exc)
            return
        if sender == self.link.process_id:
            return  # this process's own: delivered (or closed) here when it was published
        self.received += 1
        if isinstance(item, Close):
            await self.close_local(item)
        else:
            await self.deliver(item)

    async def run(self) -> None:
        """Subscribe and deliver until cancelled; a lost subscription is re-made after 0.5, 1, 2 … 5 s."""
        delay = 0.5
        while True:
            client = self.link.pubsub_client()
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                self.subscribed.set()
                delay = 0.5
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        try:
                            await self._handle(message["data"])
                        except Exception:  # noqa: BLE001 - one bad delivery must not end the subscription
                            log.exception("event bus: delivery failed")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis restarting or unreachable: subscribe again
                log.warning("event bus: subscription lost (%s); again in %.1f s", exc.__class__.__name__, delay)
            finally:
                self.subscribed.clear()
                with contextlib.suppress(Exception):  # closing a broken connection
                    await asyncio.shield(self._drop(pubsub, client))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    @staticmethod
    async def _drop(pubsub: Any, client: Any) -> None:
        await pubsub.aclose()
        await client.aclose()
