"""The bridge on PostgreSQL (``DATABASE_URL=postgresql+psycopg://…``, a real server started by conftest.py), from
outside through its API: a customer is handed to an agent, they talk both ways, the agent closes and the survey
is answered; a 留言 stores the callback number encrypted at rest and shows it only on an audited reveal; a
deletion request erases one customer's words only; the retention purge erases old idle conversations only. Each
result is read back from the PostgreSQL tables themselves."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import Customer, ScriptedRasa, Staff

NUMBER = "13912345678"


@pytest.fixture()
def pg(pg_url: str) -> Iterator[Engine]:
    """Our own connection to the bridge's database, to check what is stored."""
    engine = create_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture()
def pg_client(tmp_path: Path, pg_url: str, rasa: ScriptedRasa) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, database_url=pg_url, kb_suggestions=False, demo_password="demo-pass")
    with TestClient(create_app(settings, rasa)) as client:  # type: ignore[arg-type]
        assert client.app.state.sessions.kw["bind"].dialect.name == "postgresql"  # type: ignore[attr-defined]
        yield client
    assert not (tmp_path / "bridge" / "bridge.db").exists(), "nothing went to SQLite"


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def texts(history: dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in history["messages"])


def test_customer_to_agent_and_back_with_survey(pg_client: TestClient, pg: Engine) -> None:
    agent = Staff(pg_client, "agent")
    agent.patch_me(status="online", capacity=1)
    c, waiting = Customer(pg_client, "cust-1"), Customer(pg_client, "cust-2")
    c.say("你好")
    assert c.say("转人工")["state"] == "agent"
    assert waiting.say("转人工")["state"] == "queued"  # capacity 1
    (conv,) = agent.get("/api/v1/agent/conversations")
    assert conv["id"] == c.id
    assert c.say("我的信用卡被冻结了")["state"] == "agent"
    out = agent.post(f"/api/v1/agent/conversations/{c.id}/messages", {"text": "您好，我来帮您查一下"})
    assert out["from"] == "agent" and "我来帮您查一下" in texts(c.history())
    agent.post(f"/api/v1/agent/conversations/{c.id}/close", {"disposition": "resolved", "note": "已解冻"})
    assert waiting.history()["state"] == "agent"  # the freed place went to the next in line
    c.say(payload='/survey_nps{"score":9}')
    with pg.connect() as conn:
        rows = conn.execute(text("SELECT sender, text FROM messages WHERE conversation_id = :c ORDER BY id"),
                            {"c": c.id}).all()
    assert [t for s, t in rows if s == "customer"][:3] == ["你好", "转人工", "我的信用卡被冻结了"]
    assert ("agent", "您好，我来帮您查一下") in [tuple(r) for r in rows]
    assert scalar(pg, "SELECT COUNT(*) FROM wrapups WHERE conversation_id = :c", c=c.id) == 1
    assert scalar(pg, "SELECT nps FROM surveys WHERE conversation_id = :c", c=c.id) == 9
    assert 'bridge_nps_responses_total{score="9"} 1' in pg_client.get("/metrics").text


def test_callback_numbers_are_ciphertext_in_postgresql_and_revealed_only_audited(pg_client: TestClient,
                                                                               pg: Engine) -> None:
    c = Customer(pg_client, "cust-7")
    assert c.say("转人工")["state"] == "queued"
    r = pg_client.post(f"/api/v1/conversations/{c.id}/leave-message", headers=c.auth,
                       json={"callback_number": "139 1234 5678", "preferred_time": "下午 13:00-18:00", "text": "年费"})
    assert r.status_code == 200, r.text
    with pg.connect() as conn:
        stored = conn.execute(text("SELECT * FROM leave_messages")).mappings().one()
        everything = str([conn.execute(text(f"SELECT * FROM {table}")).all() for table in
                          ("leave_messages", "messages", "audit_log", "conversations")])
    assert stored["callback_number"] == "139****5678" and stored["callback_number_enc"]
    assert NUMBER not in everything  # nowhere in the database in clear
    agent = Staff(pg_client, "agent")
    (listed,) = agent.get("/api/v1/agent/leave-messages")
    assert agent.post(f"/api/v1/agent/leave-messages/{listed['id']}/reveal") == {"callback_number": NUMBER}
    assert scalar(pg, "SELECT COUNT(*) FROM audit_log WHERE action = 'reveal_callback_number' AND actor = 'agent'") == 1


def test_a_deletion_request_erases_one_customers_words_only(pg_client: TestClient, pg: Engine) -> None:
    mine, theirs = Customer(pg_client, "cust-42"), Customer(pg_client, "cust-7")
    mine.say("我想问信用卡年费")
    theirs.say("我想问房贷")
    boss = Staff(pg_client, "supervisor")
    r = pg_client.delete("/api/v1/supervisor/customers/cust-42", headers=boss.auth)
    assert r.status_code == 200 and r.json()["conversations"] == 1 and r.json()["messages"] >= 2
    assert scalar(pg, "SELECT COUNT(*) FROM messages WHERE conversation_id = :c", c=mine.id) == 0
    assert scalar(pg, "SELECT COUNT(*) FROM messages WHERE conversation_id = :c", c=theirs.id) >= 2
    assert scalar(pg, "SELECT COUNT(*) FROM conversations WHERE customer_id = 'cust-42'") == 0
    assert scalar(pg, "SELECT COUNT(*) FROM audit_log WHERE action = 'customer_deleted'") == 1
    assert "cust-42" not in str(scalar(pg, "SELECT detail_json FROM audit_log WHERE action = 'customer_deleted'"))


def test_retention_purge_erases_old_idle_conversations_only(pg_client: TestClient, pg: Engine) -> None:
    old, recent = Customer(pg_client, "old"), Customer(pg_client, "new")
    old.say("旧问题")
    recent.say("新问题")
    with pg.begin() as conn:
        conn.execute(text("UPDATE conversations SET updated_at = :t WHERE id = :c"),
                     {"t": dt.datetime.now() - dt.timedelta(days=200), "c": old.id})
    retention = pg_client.app.state.retention  # type: ignore[attr-defined]
    assert asyncio.run(retention.purge_expired(180)).conversations == 1
    assert scalar(pg, "SELECT COUNT(*) FROM messages WHERE conversation_id = :c", c=old.id) == 0
    assert scalar(pg, "SELECT COUNT(*) FROM messages WHERE conversation_id = :c", c=recent.id) >= 2
    assert asyncio.run(retention.purge_expired(180)).conversations == 0
