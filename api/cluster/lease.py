"""A lease in Redis: exactly one bridge process at a time runs the periodic jobs.

``SET key <holder> NX PX ttl`` takes it; the holder renews it every third of the ttl with a compare-and-expire
script (only while the value is still its own), and releases it with a compare-and-delete at shutdown. A holder
that dies stops renewing, so another process takes it within ``ttl`` plus one renewal interval. ``held`` is
what the ticker reads; it turns false as soon as a renewal fails, so a process cut off from Redis stops running
the jobs before its lease lapses for the others.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Awaitable, cast

from api.cluster.connection import PREFIX, RedisLink

log = logging.getLogger(__name__)
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Lease:
    def __init__(self, link: RedisLink, name: str, ttl_s: float) -> None:
        self.link = link
        self.key = f"{PREFIX}lease:{name}"
        self.ttl_ms = max(100, int(ttl_s * 1000))
        self.holder = f"{link.process_id}:{uuid.uuid4().hex[:8]}"
        self.held = False
        self.changes = 0  # times this process took the lease

    async def step(self) -> bool:
        """Renew the lease if held, else try to take it; whether this process holds it now."""
        try:
            if self.held:
                renewed = self.link.aio.eval(RENEW, 1, self.key, self.holder, str(self.ttl_ms))
                self.held = bool(await cast(Awaitable[Any], renewed))
                if not self.held:
                    log.warning("lease %s lost: another process runs the periodic jobs now", self.key)
            else:
                self.held = bool(await self.link.aio.set(self.key, self.holder, nx=True, px=self.ttl_ms))
                if self.held:
                    self.changes += 1
                    log.info("lease %s taken: this process runs the periodic jobs", self.key)
        except Exception as exc:  # noqa: BLE001 - Redis away: hold nothing until it answers again
            if self.held:
                log.warning("lease %s: Redis unreachable (%s); not running the periodic jobs", self.key,
                            exc.__class__.__name__)
            self.held = False
        return self.held

    async def keep(self) -> None:
        """Take and renew the lease until cancelled (every third of the ttl)."""
        while True:
            await self.step()
            await asyncio.sleep(self.ttl_ms / 3000)

    async def release(self) -> None:
        """Give the lease up at once (a clean shutdown), if it is still this process's."""
        was = self.held
        self.held = False
        if was:
            try:
                await cast(Awaitable[Any], self.link.aio.eval(RELEASE, 1, self.key, self.holder))
            except Exception as exc:  # noqa: BLE001 - it lapses on its own
                log.warning("lease %s not released (%s); it lapses on its own", self.key, exc.__class__.__name__)
