"""Deletion and retention everywhere (issue 11): a customer's deletion request and the retention purge erase the
conversation in the bridge's database, in Rasa's tracker store (over Rasa's HTTP API with the JWT: every Rasa
session of the conversation replaced by an empty tracker, which the tracker store turns into a deletion) and in
the KB's unanswered-questions store; the SQLite files keep no copy (secure_delete, WAL checkpointed and
truncated). A test per store; the running stack is tested in test_stack_hardening.py."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.compliance.retention import rasa_senders
from api.rasa_client import BotUnavailable, RasaClient
from api.settings import Settings
from kb_index.unanswered import UnansweredStore
from tests.api.conftest import Customer, ScriptedRasa, Staff
from tests.security.bridge.servers import SECRET, FakeRasa

ROOT = Path(__file__).resolve().parents[3]
RASA_PY = ROOT / ".venvs" / "rasa" / "bin" / "python"
MARKER = "紫罗兰色大象的问题"  # what the customer said, to be found nowhere afterwards


def _files(path: Path) -> list[Path]:
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def _holds(path: Path, text: str) -> list[str]:
    return [p.name for p in _files(path) if text.encode() in p.read_bytes()]


def _sessions(client: TestClient, conv_id: str, n: int) -> None:
    """Pretend the conversation reached Rasa session ``n`` (each handoff starts a new one)."""
    with sqlite3.connect(client.app.state.settings.data_dir / "bridge" / "bridge.db") as db:  # type: ignore[attr-defined]
        db.execute("UPDATE conversations SET session_no = ? WHERE id = ?", (n, conv_id))


def _unanswered(settings: Settings) -> UnansweredStore:
    return UnansweredStore(settings.data_dir / "kb" / "unanswered.db")


def test_rasa_senders_cover_every_session() -> None:
    assert rasa_senders([("a", 3), ("b", 1)]) == ["a-1", "a-2", "a-3", "b-1"]


def test_a_deletion_request_erases_the_bridge_rasa_and_the_unanswered_store(
        client: TestClient, settings: Settings, rasa: ScriptedRasa) -> None:
    mine, theirs = Customer(client, "cust-1"), Customer(client, "cust-2")
    mine.say(MARKER)
    theirs.say("别人的问题")
    _sessions(client, mine.id, 2)
    store = _unanswered(settings)
    store.record("fallback", MARKER, conversation=f"{mine.id}-1")
    store.record("fallback", MARKER + "二", conversation=f"{mine.id}-2")
    store.record("fallback", "别人的问题", conversation=f"{theirs.id}-1")
    bridge_db = settings.data_dir / "bridge" / "bridge.db"
    assert _holds(bridge_db, MARKER) and _holds(store.path, MARKER)
    boss = Staff(client, "supervisor")
    r = client.delete("/api/v1/supervisor/customers/cust-1", headers=boss.auth)
    assert r.status_code == 200, r.text
    assert r.json()["rasa_trackers"] == 2 and r.json()["unanswered"] == 2
    assert sorted(rasa.erased) == [f"{mine.id}-1", f"{mine.id}-2"]
    assert [q.text for q in store.recent()] == ["别人的问题"]
    assert _holds(bridge_db, MARKER) == [] and _holds(store.path, MARKER) == []  # files and WALs
    assert Path(f"{bridge_db}-wal").stat().st_size == 0  # checkpointed and truncated
    assert theirs.history()["messages"]


def test_a_deletion_request_fails_whole_when_rasa_cannot_erase(client: TestClient, settings: Settings,
                                                               rasa: ScriptedRasa) -> None:
    mine = Customer(client, "cust-3")
    mine.say(MARKER)
    boss = Staff(client, "supervisor")
    rasa.down = True
    r = client.delete("/api/v1/supervisor/customers/cust-3", headers=boss.auth)
    assert r.status_code == 503 and "稍后重试" in r.json()["detail"]
    assert _holds(settings.data_dir / "bridge" / "bridge.db", MARKER)  # nothing erased: it can be asked again
    assert client.get(f"/api/v1/conversations/{mine.id}/messages", headers=mine.auth).status_code == 401
    rasa.down = False
    again = client.delete("/api/v1/supervisor/customers/cust-3", headers=boss.auth)
    assert again.status_code == 200 and again.json()["messages"] >= 2
    assert _holds(settings.data_dir / "bridge" / "bridge.db", MARKER) == []


def test_the_retention_purge_erases_everywhere_and_waits_for_rasa(client: TestClient, settings: Settings,
                                                                  rasa: ScriptedRasa) -> None:
    old = Customer(client, "old")
    old.say(MARKER)
    _unanswered(settings).record("fallback", MARKER, conversation=f"{old.id}-1")
    with sqlite3.connect(settings.data_dir / "bridge" / "bridge.db") as db:
        db.execute("UPDATE conversations SET updated_at = '2020-01-01 00:00:00' WHERE id = ?", (old.id,))
    retention = client.app.state.retention  # type: ignore[attr-defined]
    rasa.down = True
    assert asyncio.run(retention.purge_expired(180)).conversations == 0  # Rasa down: this round erases nothing
    assert _holds(settings.data_dir / "bridge" / "bridge.db", MARKER)
    rasa.down = False
    erased = asyncio.run(retention.purge_expired(180))
    assert erased.conversations == 1 and erased.rasa_trackers == 1 and erased.unanswered == 1
    assert rasa.erased == [f"{old.id}-1"]
    assert _holds(settings.data_dir / "bridge" / "bridge.db", MARKER) == []
    assert _holds(settings.data_dir / "kb" / "unanswered.db", MARKER) == []


def _jwt_payload(token: str, secret: str) -> dict:
    header, payload, signature = token.split(".")
    expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "==") == expected
    return dict(json.loads(base64.urlsafe_b64decode(payload + "==")))


def test_the_rasa_client_erases_with_an_empty_tracker_and_the_jwt() -> None:
    fake = FakeRasa().start()
    try:
        client = RasaClient(fake.url, 5, jwt_secret=SECRET, channel_secret=SECRET)
        asyncio.run(client.erase_conversation("abc-2"))
        method, path, body, headers = fake.received[-1]
        assert (method, path, body) == ("PUT", "/conversations/abc-2/tracker/events", [])
        assert _jwt_payload(headers["Authorization"].removeprefix("Bearer "), SECRET)["user"]["role"] == "admin"
    finally:
        fake.stop()
    with pytest.raises(BotUnavailable):
        asyncio.run(RasaClient(fake.url, 1, jwt_secret=SECRET).erase_conversation("abc-2"))


def test_the_unanswered_store_erases_by_conversation(tmp_path: Path) -> None:
    store = UnansweredStore(tmp_path / "unanswered.db")
    for conversation in ("c1-1", "c1-2", "c2-1"):
        store.record("fallback", f"{MARKER}{conversation}", conversation=conversation)
    assert store.delete_conversations(["c1-1", "c1-2", "nobody-1"]) == 2
    assert [q.conversation for q in store.recent()] == ["c2-1"]
    assert _holds(store.path, f"{MARKER}c1") == [] and _holds(store.path, f"{MARKER}c2")
    assert store.delete_conversations([]) == 0


@pytest.mark.skipif(not RASA_PY.exists(), reason="the Rasa venv is not installed")
def test_the_rasa_tracker_store_turns_an_empty_tracker_into_a_deletion(tmp_path: Path) -> None:
    """What Rasa's ``PUT /conversations/<id>/tracker/events`` with ``[]`` does to bot.tracker_store (run in
    the Rasa venv): the conversation's rows are deleted, the file and its WAL keep no copy, others stay."""
    marker = "violetelephantquestion"  # Rasa stores text JSON-escaped: an ASCII marker is found as written
    script = textwrap.dedent(f"""
        import asyncio, json, sqlite3, sys
        from pathlib import Path
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.events import ActionExecuted, UserUttered, SessionStarted
        from rasa.shared.core.trackers import DialogueStateTracker
        from bot.tracker_store import MaskingSQLTrackerStore

        db = Path(sys.argv[1])
        domain = Domain.load("{ROOT / 'domain.yml'}")
        store = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(db))
        async def main():
            for sender in ("victim-1", "other-1"):
                tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_session_start"),
                    SessionStarted(), ActionExecuted("action_listen"), UserUttered("{marker}" + sender)],
                    domain.slots)
                await store.save(tracker)
            held = db.read_bytes() + (Path(str(db) + "-wal").read_bytes() if Path(str(db) + "-wal").exists() else b"")
            assert b"{marker}victim" in held
            await store.save(DialogueStateTracker.from_dict("victim-1", [], domain.slots))  # the HTTP API's replace
            assert await store.retrieve("victim-1") is None
            assert (await store.retrieve("other-1")) is not None
        asyncio.run(main())
        store.engine.dispose()
        print("ok")
    """)
    done = subprocess.run([str(RASA_PY), "-c", script, str(tmp_path / "tracker.db")], cwd=ROOT, text=True,
                          capture_output=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                               "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
                               "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]
    tracker_db = tmp_path / "tracker.db"
    assert _holds(tracker_db, f"{marker}victim") == []
    assert _holds(tracker_db, f"{marker}other")
