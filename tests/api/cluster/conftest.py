"""Real servers for the cluster tests: one throwaway redis-server (authenticated, nothing on disk) for the
session, emptied before each test, and the PostgreSQL fixtures of the store tests. Skipped, with the reason,
only when a server binary is not installed."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.api.store.conftest import pg_url, postgres_server
from tests.servers import RedisServer, ServerMissing, running_redis

__all__ = ["pg_url", "postgres_server", "redis_server", "redis_url"]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    try:
        with running_redis() as server:
            yield server
    except ServerMissing as exc:
        pytest.skip(f"{exc} to run the cluster tests")


@pytest.fixture()
def redis_url(redis_server: RedisServer) -> str:
    """The server's URL (with its password), on an empty database."""
    redis_server.flush()
    return redis_server.url
