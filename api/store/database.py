"""The bridge database: SQLite under the data directory by default (WAL, foreign keys on), PostgreSQL through
``DATABASE_URL``. ``open_database`` is the one way in: it migrates to the newest schema before anything reads,
and a database it cannot open or migrate is a start-up error naming the URL, never a half-started bridge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from api.errors import BridgeStartupError
from api.store.migrate import upgrade


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


def open_database(url: str) -> tuple[Engine, sessionmaker]:
    """The engine (to dispose of at shutdown) and its session factory, on a database migrated to the newest
    schema; :class:`BridgeStartupError` naming ``url`` when it cannot be opened or migrated."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise BridgeStartupError(f"{url}: cannot open or migrate the bridge database: "
                                 f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}") from exc
    return engine, make_sessionmaker(engine)
