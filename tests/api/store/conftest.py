"""A throwaway PostgreSQL server for the store tests: ``initdb`` into a temporary directory, ``pg_ctl start`` on a
spare loopback port (unix socket in the same directory), a fresh database per test, the server stopped and its
files removed at the end of the session. PostgreSQL refuses to run as root: when the tests run as root the
server runs as the ``postgres`` user (Debian's package creates it; else ``useradd`` makes a system user), its
files owned by that user. Skipped, with the reason, only when no PostgreSQL binaries are installed
(``make postgres`` installs them where it can). The server itself is started by ``tests.servers`` (shared with
the cluster tests)."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.servers import PostgresServer, ServerMissing, free_port, pg_bin, running_postgres, server_user

__all__ = ["PostgresServer", "free_port", "pg_bin", "pg_url", "postgres_server", "server_user"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        with running_postgres() as server:
            yield server
    except ServerMissing as exc:
        pytest.skip(f"{exc} to run the PostgreSQL store tests")


@pytest.fixture()
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new, empty database on the throwaway server; dropped after the test."""
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url)
