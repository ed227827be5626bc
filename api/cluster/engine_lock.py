"""The conversation engine's one lock, across every bridge process on one PostgreSQL database.

Every state change and queue dispatch runs under ``Context.lock`` (api/conversation/context.py), so within a
process no conversation is assigned twice and no agent is given more than their capacity. With several
processes on one PostgreSQL database the same sections must exclude each other across processes:
:class:`EngineLock` takes this process's asyncio lock, then a PostgreSQL session advisory lock on a connection
of its own (waited for in a worker thread, so the event loop keeps serving), and releases both at the end.
PostgreSQL drops the advisory lock by itself when the holding connection or process dies, so a killed bridge
never leaves the others locked out; ``lock_timeout`` bounds a wait (the request then fails with the database's
503 and nothing written).

On SQLite (one process by design) it is the plain asyncio lock, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Iterator, Optional

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)
ENGINE_LOCK_KEY = 0x6272_6964_6765_01  # "bridge" 01: the engine's state changes
MIGRATION_LOCK_KEY = 0x6272_6964_6765_02  # "bridge" 02: start-up (Alembic upgrades, seeding)
WAIT_LIMIT = "30s"


def advisory_locks(engine: Engine | None) -> bool:
    return engine is not None and engine.dialect.name == "postgresql"


def lock_connection(engine: Engine, key: int, wait_limit: str = WAIT_LIMIT) -> Connection:
    """A connection holding the session advisory lock ``key`` (blocking until it is granted)."""
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        conn.execute(text(f"SET lock_timeout = '{wait_limit}'"))
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
    except BaseException:
        conn.invalidate()
        conn.close()
        raise
    return conn


def unlock_connection(conn: Connection, key: int) -> None:
    """Release ``key`` and give the connection back; a connection that cannot is thrown away (which releases
    the lock on the server too)."""
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    except Exception as exc:  # noqa: BLE001 - a broken connection: dropping it releases the lock
        log.warning("engine lock: unlock failed (%s); connection dropped", exc.__class__.__name__)
        conn.invalidate()
    finally:
        conn.close()


@contextlib.contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """The start-up work of one bridge at a time on PostgreSQL (migrations, seeding rows that must exist once);
    nothing on SQLite."""
    if not advisory_locks(engine):
        yield
        return
    held = lock_connection(engine, MIGRATION_LOCK_KEY, wait_limit="300s")
    try:
        yield
    finally:
        unlock_connection(held, MIGRATION_LOCK_KEY)


class EngineLock:
    """An async context manager: this process's asyncio lock, plus the advisory lock on PostgreSQL."""

    def __init__(self, engine: Engine | None = None, key: int = ENGINE_LOCK_KEY) -> None:
        self._local = asyncio.Lock()
        self._engine = engine if advisory_locks(engine) else None
        self._key = key
        self._conn: Optional[Connection] = None

    def locked(self) -> bool:
        return self._local.locked()

    async def __aenter__(self) -> None:
        await self._local.acquire()
        if self._engine is None:
            return
        engine, key = self._engine, self._key
        acquiring = asyncio.ensure_future(asyncio.to_thread(lock_connection, engine, key))
        try:
            self._conn = await asyncio.shield(acquiring)
        except BaseException:
            if not acquiring.done():  # cancelled while waiting: release the lock whenever it is granted
                def granted_late(f: asyncio.Future[Connection]) -> None:
                    if not f.cancelled() and f.exception() is None:
                        unlock_connection(f.result(), key)
                acquiring.add_done_callback(granted_late)
            self._local.release()
            raise

    async def __aexit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                        tb: Optional[TracebackType]) -> None:
        conn, self._conn = self._conn, None
        try:
            if conn is not None:
                await asyncio.shield(asyncio.to_thread(unlock_connection, conn, self._key))
        finally:
            self._local.release()
