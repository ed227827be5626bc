"""Faults caused for real: Rasa not listening, Rasa too slow, a corrupt database file, a broken word list,
a database that fails mid-request."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import BridgeStartupError, create_app
from api.settings import Settings
from tests.api.conftest import Customer


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens there


@pytest.fixture()
def slow_rasa() -> Iterator[str]:
    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            time.sleep(3)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_rasa_down_gets_an_apology_and_the_message_is_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, rasa_url=f"http://127.0.0.1:{closed_port()}")
    with TestClient(create_app(settings)) as client:
        c = Customer(client)
        reply = c.say("我的卡被冻结了")
        assert [m["from"] for m in reply["messages"]] == ["customer", "system"]
        assert "暂时无法响应" in reply["messages"][1]["text"]
        assert "我的卡被冻结了" in str(c.history())
        assert "bridge_bot_errors_total 1" in client.get("/metrics").text


def test_a_slow_rasa_times_out_into_the_same_apology(tmp_path: Path, slow_rasa: str) -> None:
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, rasa_url=slow_rasa, rasa_timeout_s=0.5)
    with TestClient(create_app(settings)) as client:
        started = time.monotonic()
        reply = Customer(client).say("你好")
        assert time.monotonic() - started < 2.5
        assert reply["messages"][-1]["from"] == "system"


def test_a_corrupt_database_file_is_a_start_up_error_naming_it(tmp_path: Path) -> None:
    db = tmp_path / "bridge" / "bridge.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BridgeStartupError, match="bridge.db"):
        create_app(Settings(data_dir=tmp_path, kb_suggestions=False))


def test_a_broken_word_list_is_a_start_up_error_naming_it(tmp_path: Path) -> None:
    words = tmp_path / "words.yml"
    words.write_text("categories:\n  x: {direction: up, terms: [a]}\n", encoding="utf-8")
    with pytest.raises(BridgeStartupError, match="words.yml"):
        create_app(Settings(data_dir=tmp_path, kb_suggestions=False, sensitive_words_file=words))


def test_a_database_failure_mid_request_is_a_503_and_writes_nothing(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from api.conversation import transcript

    with TestClient(create_app(Settings(data_dir=tmp_path, kb_suggestions=False)), raise_server_exceptions=False) \
            as client:
        c = Customer(client)
        before = len(c.history()["messages"])

        def broken(*args: object, **kwargs: object) -> None:
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))

        monkeypatch.setattr(transcript, "audit", broken)  # fails after the customer's message was added
        r = client.post(f"/api/v1/conversations/{c.id}/messages", json={"text": "你们都是垃圾客服"},
                        headers=c.auth)
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        assert len(c.history()["messages"]) == before  # the transaction rolled back: no partial write
