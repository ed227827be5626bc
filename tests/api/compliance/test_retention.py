"""Retention purge and a customer's deletion request."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3

from fastapi.testclient import TestClient

from api.settings import Settings
from tests.api.conftest import Customer, Staff


def count(settings: Settings, sql: str, *args: object) -> int:
    with sqlite3.connect(settings.data_dir / "bridge" / "bridge.db") as db:
        return int(db.execute(sql, args).fetchone()[0])


def test_a_deletion_request_erases_the_customers_words_only(client: TestClient, settings: Settings) -> None:
    mine, theirs = Customer(client, "cust-42"), Customer(client, "cust-7")
    mine.say("我想问信用卡年费")
    theirs.say("我想问房贷")
    boss = Staff(client, "supervisor")
    r = client.delete("/api/v1/supervisor/customers/cust-42", headers=boss.auth)
    assert r.status_code == 200 and r.json()["conversations"] == 1 and r.json()["messages"] >= 2
    assert count(settings, "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", mine.id) == 0
    assert count(settings, "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", theirs.id) >= 2
    assert count(settings, "SELECT COUNT(*) FROM conversations WHERE customer_id = 'cust-42'") == 0
    assert client.get(f"/api/v1/conversations/{mine.id}/messages", headers=mine.auth).status_code == 401
    assert any(a["action"] == "customer_deleted" and "cust-42" not in str(a)
               for a in boss.get("/api/v1/supervisor/audit"))
    agent = Staff(client, "agent")
    assert client.delete("/api/v1/supervisor/customers/cust-7", headers=agent.auth).status_code == 403


def test_retention_purge_erases_old_idle_conversations_only(client: TestClient, settings: Settings) -> None:
    old, recent = Customer(client, "old"), Customer(client, "new")
    old.say("旧问题")
    recent.say("新问题")
    with sqlite3.connect(settings.data_dir / "bridge" / "bridge.db") as db:
        db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                   ((dt.datetime.now() - dt.timedelta(days=200)).isoformat(" "), old.id))
    retention = client.app.state.retention  # type: ignore[attr-defined]
    assert asyncio.run(retention.purge_expired(180)).conversations == 1
    assert count(settings, "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", old.id) == 0
    assert count(settings, "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", recent.id) >= 2
    assert asyncio.run(retention.purge_expired(180)).conversations == 0  # idempotent
