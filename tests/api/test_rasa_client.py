"""The Rasa client against a real HTTP server standing in for Rasa: the REST channel, NLU parse, the model
hot-swap, and failures as BotUnavailable with a short reason."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from api.rasa_client import BotUnavailable, RasaClient

PARSED = {"text": "卡丢了", "intent": {"name": "card_report_loss", "confidence": 0.93},
          "intent_ranking": [{"name": "card_report_loss", "confidence": 0.93}], "entities": []}


@pytest.fixture()
def rasa_server() -> Iterator[tuple[str, list[tuple[str, str, Any]]]]:
    seen: list[tuple[str, str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> Any:
            return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self._body()
            seen.append(("POST", self.path, body))
            if self.path == "/webhooks/rest/webhook":
                self._answer(200, [{"text": "好的", "buttons": [{"title": "是", "payload": "/affirm"}]},
                                   {"custom": {"handoff": {"reason": "customer_request"}}}])
            elif self.path == "/model/parse" and body["text"] != "坏了":
                self._answer(200, PARSED)
            else:
                self._answer(500, {"error": "boom"})

        def do_PUT(self) -> None:  # noqa: N802
            body = self._body()
            seen.append(("PUT", self.path, body))
            self._answer(204 if body["model_file"].endswith("good.tar.gz") else 400, {})

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", seen
    server.shutdown()


def test_send_parse_and_failures(rasa_server: tuple[str, list[tuple[str, str, Any]]]) -> None:
    url, seen = rasa_server

    async def calls() -> None:
        client = RasaClient(url, timeout_s=2)
        turn = await client.send("c1-1", "转人工")
        assert turn.texts == [("好的", [{"title": "是", "payload": "/affirm"}])]
        assert turn.handoff == {"reason": "customer_request"}
        assert await client.parse("卡丢了") == PARSED
        with pytest.raises(BotUnavailable) as failed:
            await client.parse("坏了")
        assert failed.value.reason == "HTTPStatusError" and "500" in str(failed.value)
        await client.close()

    asyncio.run(calls())
    assert seen[:2] == [("POST", "/webhooks/rest/webhook", {"sender": "c1-1", "message": "转人工"}),
                        ("POST", "/model/parse", {"text": "卡丢了"})]


def test_replace_model_sends_the_absolute_path_and_reports_a_refusal(
        rasa_server: tuple[str, list[tuple[str, str, Any]]], tmp_path: Path) -> None:
    url, seen = rasa_server
    client = RasaClient(url, timeout_s=2)
    client.replace_model(tmp_path / "good.tar.gz")
    assert seen[-1] == ("PUT", "/model", {"model_file": str((tmp_path / "good.tar.gz").resolve())})
    with pytest.raises(RuntimeError, match="HTTP 400"):
        client.replace_model(tmp_path / "bad.tar.gz")


def test_an_unreachable_rasa_is_bot_unavailable() -> None:
    async def call() -> None:
        client = RasaClient("http://127.0.0.1:9", timeout_s=0.5)
        with pytest.raises(BotUnavailable) as failed:
            await client.send("c1-1", "你好")
        assert failed.value.reason == "ConnectError"
        await client.close()

    asyncio.run(call())
