"""No credential in a URL or a log, private files (issue 11): the log filter's table, then a real bridge process
(``python -m api serve``, output appended to its log as scripts/run_services.sh does) whose sockets are opened
the old way (token in the URL: refused) and the new way (subprotocol): its log holds no token, its database
files are created 0600 in a 0700 directory whatever the umask it was started with."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from api.compliance.log_filter import REDACTED, redact
from tests.security.bridge.servers import FakeRasa, bearer, bridge_process

TOKEN = "Zx9_kQ-4vN2mT8pL1sR7wY3uE6oI0aB5cD"


@pytest.mark.parametrize("line, expected", [
    (f'127.0.0.1:5555 - "WebSocket /api/v1/agent/ws?token={TOKEN}" [accepted]',
     f'127.0.0.1:5555 - "WebSocket /api/v1/agent/ws?token={REDACTED}" [accepted]'),
    (f"GET /x?a=1&access_token={TOKEN}&b=2", f"GET /x?a=1&access_token={REDACTED}&b=2"),
    (f"Authorization: Bearer {TOKEN}", f"Authorization: Bearer {REDACTED}"),
    (f"offered bearer.{TOKEN}", f"offered bearer.{REDACTED}"),
    ("卡号6222021234567890128", "卡号***************0128"),
    ("GET /healthz 200", "GET /healthz 200"),
])
def test_the_log_filter_redacts_credentials_and_masks_personal_data(line: str, expected: str) -> None:
    assert redact(line) == expected


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_running_bridge_logs_no_token_and_keeps_its_files_private(tmp_path: Path) -> None:
    rasa = FakeRasa().start()
    try:
        with bridge_process(tmp_path / "data", rasa.url) as bridge:
            ws_url = bridge.url.replace("http://", "ws://")
            login = requests.post(f"{bridge.url}/api/v1/auth/login", json={"username": "agent",
                                                                           "password": "demo-pass"}, timeout=30)
            token = login.json()["token"]
            conv = requests.post(f"{bridge.url}/api/v1/conversations", json={"channel": "web"}, timeout=10).json()
            for url in (f"{ws_url}/api/v1/agent/ws?token={token}",
                        f"{ws_url}/api/v1/conversations/{conv['id']}/ws?token={conv['token']}"):
                with pytest.raises(InvalidStatus), connect(url, open_timeout=10):
                    pass  # refused before it is accepted
            with connect(f"{ws_url}/api/v1/agent/ws", subprotocols=bearer(token),
                         open_timeout=10) as ws:
                assert ws.subprotocol == "bankcs.v1"
            with connect(f"{ws_url}/api/v1/conversations/{conv['id']}/ws", open_timeout=10,
                         subprotocols=bearer(conv["token"])) as ws:
                ws.send('{"type": "typing"}')
            requests.get(f"{bridge.url}/api/v1/conversations/{conv['id']}/messages?token={conv['token']}",
                         timeout=10)
        log = bridge.log.read_text(encoding="utf-8", errors="replace")
        assert "WebSocket" in log  # uvicorn wrote its socket lines, filtered
        assert token not in log and conv["token"] not in log, log[-2000:]
        store = bridge.data_dir / "bridge"
        assert _mode(store) == 0o700
        for name in ("bridge.db", "bridge.db-wal", "bridge.db-shm"):
            if (store / name).exists():
                assert _mode(store / name) == 0o600, name
        assert (store / "bridge.db").exists()
    finally:
        rasa.stop()
