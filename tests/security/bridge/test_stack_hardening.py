"""The bridge's half of issue 11 against the running stack (scripts/run_services.sh; slow): a customer's
deletion request erases the conversation in Rasa's tracker store (Rasa's tracker API no longer returns it) and
in the unanswered store, with no copy left in the SQLite files or their WALs; the logs are private and hold no
token after both sockets were used."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.e2e.conftest import Bot
from tests.security.bridge.servers import bearer

pytestmark = pytest.mark.slow
MARKER = "紫罗兰色的大象会不会飞"


def _holders(data_dir: Path, text: str) -> list[str]:
    """Files holding ``text`` as UTF-8 or JSON-escaped (Rasa's tracker store writes events as escaped JSON)."""
    forms = (text.encode(), json.dumps(text)[1:-1].encode())
    return [str(p.relative_to(data_dir)) for p in data_dir.rglob("*")
            if p.is_file() and not {"project", "models", "cache"} & set(p.relative_to(data_dir).parts)
            and any(form in p.read_bytes() for form in forms)]


def _events_text(bot: Bot, sender: str) -> str:
    tracker = requests.get(f"{bot.url}/conversations/{sender}/tracker", headers=bot.rasa_headers(), timeout=10)
    assert tracker.status_code == 200, tracker.text
    return " ".join(str(e.get("text")) for e in tracker.json()["events"])


def test_a_deletion_request_erases_the_conversation_in_every_store(bot: Bot) -> None:
    created = requests.post(f"{bot.api_url}/api/v1/conversations", json={"channel": "web",
                                                                        "customer_id": "e2e-erase"}, timeout=10)
    conv = created.json()
    auth = {"Authorization": f"Bearer {conv['token']}"}
    reply = requests.post(f"{bot.api_url}/api/v1/conversations/{conv['id']}/messages", json={"text": MARKER},
                          headers=auth, timeout=30)
    assert reply.status_code == 200, reply.text
    sender = f"{conv['id']}-1"
    assert MARKER in _events_text(bot, sender)
    time.sleep(1)
    before = _holders(bot.data_dir, MARKER)
    assert any("tracker.db" in p for p in before) and any("unanswered.db" in p for p in before), before
    login = requests.post(f"{bot.api_url}/api/v1/auth/login", json={"username": "supervisor",
                                                                   "password": "e2e-demo"}, timeout=30)
    boss = {"Authorization": f"Bearer {login.json()['token']}"}
    erased = requests.delete(f"{bot.api_url}/api/v1/supervisor/customers/e2e-erase", headers=boss, timeout=60)
    assert erased.status_code == 200, erased.text
    assert erased.json()["rasa_trackers"] == 1 and erased.json()["unanswered"] >= 1
    assert MARKER not in _events_text(bot, sender)  # Rasa's tracker API no longer returns it
    time.sleep(1)
    assert _holders(bot.data_dir, MARKER) == []  # no file, no WAL, no log holds it


def test_logs_are_private_and_hold_no_token(bot: Bot) -> None:
    login = requests.post(f"{bot.api_url}/api/v1/auth/login", json={"username": "agent", "password": "e2e-demo"},
                          timeout=30)
    token = login.json()["token"]
    ws_url = bot.api_url.replace("http://", "ws://") + "/api/v1/agent/ws"
    with pytest.raises(InvalidStatus), connect(f"{ws_url}?token={token}", open_timeout=10):
        pass
    with connect(ws_url, subprotocols=bearer(token), open_timeout=10) as ws:
        assert ws.subprotocol == "bankcs.v1"
    time.sleep(1)
    logs = bot.data_dir / "logs"
    assert stat.S_IMODE(logs.stat().st_mode) == 0o700
    for log in logs.iterdir():
        assert stat.S_IMODE(log.stat().st_mode) == 0o600, log.name
        assert token.encode() not in log.read_bytes(), log.name
    for store in (bot.data_dir / "bridge" / "bridge.db", bot.data_dir / "rasa" / "tracker.db"):
        assert stat.S_IMODE(store.stat().st_mode) == 0o600, store
