"""One bridge process as a node of several: its Redis link, the cluster presence, the event bus, the periodic
jobs' lease, and the background tasks that keep them (subscription, lease renewal, presence heartbeat), started
and stopped with the app's lifespan.

``create_app`` builds a :class:`ClusterNode` only when ``REDIS_URL`` is set, hands ``presence`` and ``bus`` to
the hub and the socket registry, ``link`` to the rate limits, and asks ``lease.held`` before each periodic job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Awaitable, cast

from api.cluster.bus import CloseLocal, Deliver, EventBus
from api.cluster.connection import RedisLink, masked
from api.cluster.lease import Lease
from api.cluster.presence import ClusterPresence
from api.errors import BridgeStartupError

log = logging.getLogger(__name__)
JOBS_LEASE = "periodic-jobs"


class ClusterNode:
    def __init__(self, redis_url: str, presence_ttl_s: float, lease_s: float) -> None:
        self.link = RedisLink(redis_url)
        self.presence = ClusterPresence(self.link, presence_ttl_s)
        self.lease = Lease(self.link, JOBS_LEASE, lease_s)
        self.bus: EventBus | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def check(self) -> None:
        """Redis answers with this URL and password (at create time: a wrong one stops the start, masked)."""
        try:
            self.link.sync.ping()
        except Exception as exc:  # noqa: BLE001 - named, never with the password
            self.link.sync.close()
            raise BridgeStartupError(f"REDIS_URL={masked(self.link.url)}: Redis not reachable: "
                                     f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                                     ) from None

    def connect(self, deliver: Deliver, close_local: CloseLocal) -> EventBus:
        """The event bus delivering to this process's sockets (before :meth:`start`)."""
        self.bus = EventBus(self.link, deliver, close_local)
        return self.bus

    async def start(self, subscribe_within_s: float = 10.0) -> None:
        """Reach Redis (a wrong password or address stops the start, the URL masked), join the live
        processes, subscribe to the bus, and start taking the lease."""
        try:
            await cast(Awaitable[Any], self.link.aio.ping())
            await asyncio.to_thread(self.presence.heartbeat)
        except Exception as exc:  # noqa: BLE001 - named, never with the password
            await self.link.close()
            raise BridgeStartupError(f"REDIS_URL={masked(self.link.url)}: Redis not reachable: "
                                     f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                                     ) from None
        if self.bus is not None:
            self._tasks.append(asyncio.create_task(self.bus.run(), name="cluster-bus"))
        self._tasks.append(asyncio.create_task(self._heartbeat(), name="cluster-presence"))
        self._tasks.append(asyncio.create_task(self.lease.keep(), name="cluster-lease"))
        if self.bus is not None:
            try:
                await asyncio.wait_for(self.bus.subscribed.wait(), subscribe_within_s)
            except asyncio.TimeoutError:
                log.warning("event bus not subscribed within %.0f s; retrying in the background", subscribe_within_s)
        log.info("bridge process %s joined the cluster at %s", self.link.process_id, masked(self.link.url))

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.presence.ttl_s / 3)
            try:
                await asyncio.to_thread(self.presence.heartbeat)
            except Exception as exc:  # noqa: BLE001 - Redis away: the claims lapse; tried again next beat
                log.warning("presence heartbeat failed (%s)", exc.__class__.__name__)

    async def stop(self) -> None:
        """Leave cleanly: tasks stopped, the lease released (another process takes it at once), this process's
        presence removed."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.lease.release()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.presence.leave)
        await self.link.close()
