"""A pytest plugin (`make test-postgres`): every bridge API test runs on a fresh database of the throwaway
PostgreSQL server (conftest.py beside this file) instead of SQLite, through ``DATABASE_URL`` as a deployment
sets it. Tests that open the SQLite file itself or corrupt it are SQLite's own and are deselected in the
Makefile target."""

from __future__ import annotations

import pytest

from tests.api.store.conftest import pg_url, postgres_server

__all__ = ["pg_url", "postgres_server"]


@pytest.fixture(autouse=True)
def database_on_postgresql(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("DATABASE_URL", pg_url)
