"""The engine's lock across processes on a real PostgreSQL: two locks with their own engines (as two bridge
processes have) never overlap, a wait cancelled half-way leaves nothing locked, and several processes migrating
one fresh database at once all start on the newest schema."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import create_engine, text

from api.cluster.engine_lock import EngineLock
from api.store.database import open_database


async def max_overlap(locks: list[EngineLock], rounds: int = 12) -> int:
    inside, most = 0, 0

    async def section(lock: EngineLock) -> None:
        nonlocal inside, most
        async with lock:
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1
    await asyncio.gather(*(section(locks[i % len(locks)]) for i in range(rounds * len(locks))))
    return most


def test_two_processes_locks_exclude_each_other(pg_url: str) -> None:
    engines = [create_engine(pg_url), create_engine(pg_url)]
    try:
        assert asyncio.run(max_overlap([EngineLock(e) for e in engines])) == 1
        # the control: without the database lock the two processes' sections do overlap
        assert asyncio.run(max_overlap([EngineLock(None), EngineLock(None)])) == 2
    finally:
        for e in engines:
            e.dispose()


def test_a_cancelled_wait_leaves_nothing_locked(pg_url: str) -> None:
    engines = [create_engine(pg_url), create_engine(pg_url)]

    async def scenario() -> None:
        first, second = EngineLock(engines[0]), EngineLock(engines[1])
        async with first:
            waiting = asyncio.create_task(second.__aenter__())
            await asyncio.sleep(0.3)
            assert not waiting.done()
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        await asyncio.sleep(0.3)  # the late grant is released by its callback
        await asyncio.wait_for(first.__aenter__(), 10)
        await first.__aexit__(None, None, None)
        await asyncio.wait_for(second.__aenter__(), 10)
        await second.__aexit__(None, None, None)
    try:
        asyncio.run(scenario())
        with engines[0].connect() as conn:
            held = conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).scalar()
        assert held == 0
    finally:
        for e in engines:
            e.dispose()


def test_processes_starting_together_migrate_one_after_the_other(pg_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def bridge_start() -> None:
        try:
            start.wait()
            engine, _ = open_database(pg_url)
            engine.dispose()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=bridge_start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert len(versions) == 1
    finally:
        engine.dispose()
