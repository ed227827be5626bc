"""The bridge's Alembic migrations on a real PostgreSQL server (tests/api/store/conftest.py starts one): every
revision from an empty database to head, one at a time, builds exactly the models' schema; a second upgrade does
nothing; the audit log refuses UPDATE and DELETE there too; ``open_database`` takes a ``postgresql+psycopg``
URL and names it when it cannot connect."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from api.errors import BridgeStartupError
from api.store.database import make_engine, open_database
from api.store.migrate import MIGRATIONS, upgrade
from api.store.models import Base


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def test_every_revision_applies_in_turn_and_head_is_exactly_the_models_schema(pg_url: str) -> None:
    engine = make_engine(pg_url)
    config = alembic_config()
    revisions = [s.revision for s in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]
    assert revisions[0] == "0001" and len(revisions) >= 5
    for revision in revisions:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == revision
    upgrade(engine)  # idempotent at head
    with engine.connect() as conn:
        assert engine.dialect.name == "postgresql"
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_the_audit_log_refuses_update_and_delete_on_postgresql(pg_url: str) -> None:
    engine, _ = open_database(pg_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, actor, action, target, detail_json) "
                          "VALUES (now(), 'agent', 'reveal_callback_number', '1', '{}')"))
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_log")).scalars().all() == ["agent"]
    engine.dispose()


def test_an_unreachable_server_is_a_startup_error_naming_the_url(postgres_server: object) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/bridge"
    with pytest.raises(BridgeStartupError, match="127.0.0.1:1/bridge: cannot open or migrate"):
        open_database(url)


def test_downgrade_to_base_removes_everything_and_upgrade_rebuilds(pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == ["alembic_version"]
        assert conn.execute(text("SELECT COUNT(*) FROM pg_proc WHERE proname = 'audit_log_append_only'")).scalar() == 0
    upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()
