"""Several Rasa workers (RASA_URLS) behind the bridge's one client, against real stand-in HTTP servers: traffic
spread over the workers by conversation, a worker that is down (refused, 5xx) skipped and the call retried on
another within the time budget, a worker that took the message and then stalled not sent it again, the model
deployed to every worker, an erasure sent once; the order of attempts as a pure function."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from api.rasa_client import BotUnavailable, RasaClient, attempt_order, parse_urls, sender_slot


class Worker:
    """A stand-in Rasa worker: records what it got; ``mode`` ok | error (HTTP 503) | stall (answers late)."""

    def __init__(self, name: str) -> None:
        self.name, self.mode = name, "ok"
        self.seen: list[tuple[str, str, Any]] = []
        self.stall_s = 3.0
        worker = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                worker.seen.append((method, self.path, body))
                if worker.mode == "error":
                    self._answer(503, {"error": "overloaded"})
                    return
                if worker.mode == "stall":
                    time.sleep(worker.stall_s)
                if self.path == "/model" and "bad" in body["model_file"]:
                    self._answer(400, {"error": "bad model"})
                elif self.path.endswith("/tracker/events") or self.path in ("/model", "/model/parse"):
                    self._answer(200, {"worker": worker.name})
                else:
                    self._answer(200, [{"text": f"来自 {worker.name}"}])

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self._handle("POST")

            def do_PUT(self) -> None:  # noqa: N802
                self._handle("PUT")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def messages(self) -> list[str]:
        return [body["message"] for method, path, body in self.seen if path == "/webhooks/rest/webhook"]


@pytest.fixture()
def workers() -> Iterator[list[Worker]]:
    started = [Worker("w1"), Worker("w2")]
    yield started
    for worker in started:
        worker.server.shutdown()
        worker.server.server_close()


def refused_url() -> str:
    with socket.socket() as s:  # a port nobody listens on (bound, then closed)
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def senders_for(slot: int, workers: int, count: int) -> list[str]:
    return [s for s in (f"c{i}" for i in range(1000)) if sender_slot(s, workers) == slot][:count]


@pytest.mark.parametrize(("first", "down", "now", "expected"), [
    (0, {}, 0.0, ["a", "b", "c"]),
    (1, {}, 0.0, ["b", "c", "a"]),
    (2, {}, 0.0, ["c", "a", "b"]),
    (0, {"a": 5.0}, 1.0, ["b", "c", "a"]),  # marked down: tried last
    (0, {"a": 5.0}, 6.0, ["a", "b", "c"]),  # its time is up: back in its turn
    (1, {"b": 9.0, "c": 3.0}, 1.0, ["a", "c", "b"]),  # all but one down: soonest back first
    (0, {"a": 2.0, "b": 2.5, "c": 1.5}, 1.0, ["c", "a", "b"]),  # all down: still every one, soonest first
])
def test_attempt_order(first: int, down: dict[str, float], now: float, expected: list[str]) -> None:
    assert attempt_order(["a", "b", "c"], first, down, now) == expected


def test_parse_urls_splits_strips_and_refuses_an_empty_list() -> None:
    assert parse_urls(" http://a:1/ ,http://b:2,,http://a:1") == ["http://a:1", "http://b:2"]
    assert parse_urls(("http://a:1",)) == ["http://a:1"]
    with pytest.raises(ValueError, match="RASA_URLS"):
        parse_urls(" , ")


def test_sender_slot_is_stable_and_spreads() -> None:
    slots = [sender_slot(f"c{i}", 3) for i in range(300)]
    assert slots == [sender_slot(f"c{i}", 3) for i in range(300)]
    assert all(60 < slots.count(k) < 140 for k in range(3))


def test_a_conversation_stays_on_its_worker_and_conversations_spread(workers: list[Worker]) -> None:
    async def calls() -> None:
        client = RasaClient([w.url for w in workers], timeout_s=5)
        for sender in senders_for(0, 2, 3) + senders_for(1, 2, 3):
            for n in range(2):
                turn = await client.send(sender, f"{sender}-{n}")
                assert turn.texts == [(f"来自 {workers[sender_slot(sender, 2)].name}", [])]
        await client.close()

    asyncio.run(calls())
    assert sorted(workers[0].messages()) == sorted(f"{s}-{n}" for s in senders_for(0, 2, 3) for n in range(2))
    assert sorted(workers[1].messages()) == sorted(f"{s}-{n}" for s in senders_for(1, 2, 3) for n in range(2))


def test_a_refused_worker_is_skipped_and_tried_last_until_it_is_back(workers: list[Worker]) -> None:
    dead = refused_url()
    now = [100.0]
    client = RasaClient([dead, workers[0].url], timeout_s=5, clock=lambda: now[0])
    sender = senders_for(0, 2, 1)[0]  # prefers the dead one

    async def calls() -> None:
        turn = await client.send(sender, "一")
        assert turn.texts == [("来自 w1", [])]
        assert client.down() == [dead]
        now[0] += 1.0
        await client.send(sender, "二")  # the dead one is tried last now: straight to w1
        now[0] += 10.0
        assert client.down() == []  # its time is up: it gets its turn again (and fails over again)
        assert (await client.send(sender, "三")).texts == [("来自 w1", [])]
        await client.close()

    asyncio.run(calls())
    assert workers[0].messages() == ["一", "二", "三"]


def test_a_5xx_worker_is_retried_elsewhere_and_all_failing_is_bot_unavailable(workers: list[Worker]) -> None:
    workers[0].mode = "error"
    sender = senders_for(0, 2, 1)[0]

    async def calls() -> None:
        client = RasaClient([w.url for w in workers], timeout_s=5)
        assert (await client.send(sender, "你好")).texts == [("来自 w2", [])]
        assert client.down() == [workers[0].url]
        workers[1].mode = "error"
        with pytest.raises(BotUnavailable) as failed:
            await client.send(sender, "还在吗")
        assert "503" in str(failed.value)
        await client.close()

    asyncio.run(calls())
    assert workers[0].messages() == ["你好", "还在吗"] and workers[1].messages() == ["你好", "还在吗"]


def test_a_worker_that_took_the_message_and_stalls_is_not_sent_it_again(workers: list[Worker]) -> None:
    workers[0].mode = "stall"
    sender = senders_for(0, 2, 1)[0]

    async def call() -> float:
        client = RasaClient([w.url for w in workers], timeout_s=1.0)
        started = time.monotonic()
        with pytest.raises(BotUnavailable) as failed:
            await client.send(sender, "卡丢了")
        assert failed.value.reason == "ReadTimeout"
        assert client.down() == [workers[0].url]  # the next message goes to w2 first
        elapsed = time.monotonic() - started
        assert (await client.send(sender, "再问一次")).texts == [("来自 w2", [])]
        await client.close()
        return elapsed

    elapsed = asyncio.run(call())
    assert elapsed < 2.5  # the budget, not the stalled worker's 3 s
    assert workers[0].messages() == ["卡丢了"] and workers[1].messages() == ["再问一次"]


def test_parse_goes_round_robin(workers: list[Worker]) -> None:
    async def calls() -> None:
        client = RasaClient([w.url for w in workers], timeout_s=5)
        for _ in range(4):
            await client.parse("营业时间")
        await client.close()

    asyncio.run(calls())
    assert len(workers[0].seen) == 2 and len(workers[1].seen) == 2


def test_a_model_is_deployed_to_every_worker_and_a_refusal_is_named(workers: list[Worker], tmp_path: Path) -> None:
    dead = refused_url()
    client = RasaClient([w.url for w in workers], timeout_s=5)
    client.replace_model(tmp_path / "good.tar.gz")
    assert [w.seen for w in workers] == [[("PUT", "/model", {"model_file": str(tmp_path / "good.tar.gz")})]] * 2
    with pytest.raises(RuntimeError, match=r"2 of 2 workers.*HTTP 400.*HTTP 400"):
        client.replace_model(tmp_path / "bad.tar.gz")
    with pytest.raises(RuntimeError, match=rf"1 of 3 workers\): {dead}: ConnectError"):
        RasaClient([*(w.url for w in workers), dead], timeout_s=5).replace_model(tmp_path / "good.tar.gz")
    assert [len(w.seen) for w in workers] == [3, 3]


def test_an_erasure_goes_to_one_worker_and_fails_over(workers: list[Worker]) -> None:
    dead = refused_url()
    sender = senders_for(0, 3, 1)[0]

    async def calls() -> None:
        client = RasaClient([dead, *(w.url for w in workers)], timeout_s=5)
        await client.erase_conversation(sender)
        await client.close()

    asyncio.run(calls())
    assert workers[0].seen == [("PUT", f"/conversations/{sender}/tracker/events", [])] and workers[1].seen == []
