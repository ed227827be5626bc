"""The Redis clients of one bridge process and its id among the others.

Two clients share one URL: a synchronous one for the calls made from synchronous code (rate limits in the
guard middleware and in the login thread, presence reads inside a database transaction — each one short
round trip on loopback, with a short timeout) and an asyncio one for the bus, the lease and the heartbeat.
The URL carries the password: :func:`masked` is the only form that may be logged or shown.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aioredis

PREFIX = "bridge:"  # every key and channel of the bridge starts with this
TIMEOUT_S = 2.0  # a Redis that does not answer within this is treated as down for that call


def has_password(url: str) -> bool:
    return bool(urlsplit(url).password)


def masked(url: str) -> str:
    """The URL with its user and password replaced by ``***`` (for logs and errors)."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def new_process_id() -> str:
    """Unique among the bridge processes, readable in Redis (host, pid and a random part: a restarted process
    with a recycled pid is a new one)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class RedisLink:
    """Both clients on one URL, and this process's id."""

    url: str = field(repr=False)
    process_id: str = field(default_factory=new_process_id)

    def __post_init__(self) -> None:
        self.sync = redis.Redis.from_url(self.url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S,
                                         health_check_interval=30)
        self.aio = aioredis.Redis.from_url(self.url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S,
                                           health_check_interval=30)

    def __repr__(self) -> str:
        return f"RedisLink({masked(self.url)}, {self.process_id})"

    def pubsub_client(self) -> aioredis.Redis:
        """A client for a subscription: no read timeout (a quiet channel is not an error)."""
        return aioredis.Redis.from_url(self.url, socket_timeout=None, socket_connect_timeout=TIMEOUT_S,
                                       socket_keepalive=True)

    async def close(self) -> None:
        await self.aio.aclose()
        self.sync.close()
