"""The periodic jobs' lease on a real Redis: one holder at a time, renewed while it lives, taken over by another
process within the ttl when the holder dies (stops renewing without releasing), at once when it releases, and
held by nobody while Redis is unreachable."""

from __future__ import annotations

import asyncio
import time

from api.cluster.connection import RedisLink
from api.cluster.lease import Lease
from tests.servers import free_port


def test_one_holder_renewal_release_and_takeover(redis_url: str) -> None:
    async def scenario() -> None:
        a_link, b_link = RedisLink(redis_url), RedisLink(redis_url)
        a, b = Lease(a_link, "jobs", ttl_s=1.0), Lease(b_link, "jobs", ttl_s=1.0)
        try:
            assert await a.step() is True
            assert await b.step() is False
            for _ in range(4):  # renewed past the ttl: still A's
                await asyncio.sleep(0.4)
                assert await a.step() is True
                assert await b.step() is False
            await a.release()
            assert await b.step() is True  # released: taken at once
            assert await a.step() is False
            # B dies: it stops renewing and never releases
            died = time.monotonic()
            while not await a.step():
                assert time.monotonic() - died < 3.0, "the lease was not taken over within 3 s of a 1 s ttl"
                await asyncio.sleep(0.05)
            assert 0.8 < time.monotonic() - died < 1.6
            assert await b.step() is False and b.held is False  # the old holder learns it lost it
            assert a.changes == 2 and b.changes == 1
        finally:
            await a_link.close()
            await b_link.close()
    asyncio.run(scenario())


def test_kept_in_the_background_exactly_one_holds_and_another_takes_over(redis_url: str) -> None:
    async def scenario() -> None:
        links = [RedisLink(redis_url) for _ in range(3)]
        leases = [Lease(link, "jobs", ttl_s=0.9) for link in links]
        tasks = [asyncio.create_task(lease.keep()) for lease in leases]
        try:
            for _ in range(20):
                await asyncio.sleep(0.1)
                assert sum(lease.held for lease in leases) <= 1
            holders = [lease for lease in leases if lease.held]
            assert len(holders) == 1
            dead = leases.index(holders[0])
            tasks[dead].cancel()  # the holder's process dies: no release
            killed = time.monotonic()
            while not any(lease.held for i, lease in enumerate(leases) if i != dead):
                assert time.monotonic() - killed < 3.0, "nobody took the lease over within 3 s"
                await asyncio.sleep(0.05)
            assert sum(lease.held for i, lease in enumerate(leases) if i != dead) == 1
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for link in links:
                await link.close()
    asyncio.run(scenario())


def test_nobody_holds_while_redis_is_unreachable() -> None:
    async def scenario() -> None:
        link = RedisLink(f"redis://:pw@127.0.0.1:{free_port()}/0")
        lease = Lease(link, "jobs", ttl_s=1.0)
        try:
            assert await lease.step() is False
        finally:
            await link.close()
    asyncio.run(scenario())
