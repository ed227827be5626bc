"""The bridge database: SQLite under the data directory by default (WAL, foreign keys on), PostgreSQL through
``DATABASE_URL``. ``open_database`` is the one way in: it migrates to the newest schema before anything reads,
and a database it cannot open or migrate is a start-up error naming the URL (password masked), never a
half-started bridge. On PostgreSQL the upgrade runs under an advisory lock, so several bridge processes starting
at once migrate one after the other (the later ones find the schema at head and do nothing)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from api.cluster.engine_lock import startup_lock
from api.errors import BridgeStartupError
from api.store.migrate import upgrade


def _private_file(path: Path) -> None:
    """The database's directory 0700 and its file 0600, created so before SQLite opens it (its -wal and -shm
    files take the database file's mode): transcripts are nobody else's to read on the host."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.parent.name == "bridge":  # the bridge's own directory (DATA_DIR/bridge), not a folder it was given
        os.chmod(path.parent, 0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        _private_file(Path(url.removeprefix("sqlite:///")))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA secure_delete=ON")  # erased text leaves no copy in the file's free pages
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


def migrate(engine: Engine) -> None:
    """Upgrade to the newest schema; on PostgreSQL one process at a time (waiting up to five minutes)."""
    with startup_lock(engine):
        upgrade(engine)


def open_database(url: str) -> tuple[Engine, sessionmaker]:
    """The engine (to dispose of at shutdown) and its session factory, on a database migrated to the newest
    schema; :class:`BridgeStartupError` naming ``url`` when it cannot be opened or migrated."""
    engine = make_engine(url)
    try:
        migrate(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise BridgeStartupError(f"{engine.url!r}: cannot open or migrate the bridge database: "
                                 f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}") from exc
    return engine, make_sessionmaker(engine)
