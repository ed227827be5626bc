"""Two real bridge processes (``python -m api serve``, uvicorn) on one PostgreSQL and one Redis, each started by
the test on its own port, with a scripted Rasa stand-in (a tiny HTTP server in this file: "转人工" answers with
the handoff signal, anything else is echoed):

* a customer's socket on bridge A and the agent's on bridge B: assignment, messages both ways, typing both
  ways, a second customer's queue position and state changes, a logout on A closing the agent's socket on B;
* 50 customers handed off at once through both bridges to four agents of capacity 5: checked in the database
  after every round of agents closing their chats, no agent is ever over capacity, and in the end every
  customer was assigned and served exactly once.

The servers are real (redis-server, PostgreSQL's initdb/pg_ctl); the test is skipped, with the reason, only when
a binary is missing. Every process is stopped by process group at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.sync.connection import Connection

from api.staff.accounts import create_user
from api.store.database import open_database
from api.store.models import Conversation, Handoff, Message, User
from tests.servers import (
    PostgresServer,
    RedisServer,
    ServerMissing,
    free_port,
    running_postgres,
    running_redis,
    stop_group,
)

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "two-bridges-pass"
HANDOFF = {"reason": "customer_request", "intent": "human_handoff", "confidence": 0.97, "slots": {}}


class StandInRasa(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        text = str(body.get("message") or "")
        replies: list[dict[str, Any]] = [{"text": f"您说的是：{text}"}]
        if "转人工" in text:
            replies = [{"text": "好的，正在为您转接人工客服，请稍候。"}, {"custom": {"handoff": HANDOFF}}]
        data = json.dumps(replies, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Cluster:
    a: str
    b: str
    db_url: str
    engine: Any


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        time.sleep(0.1)


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with contextlib.ExitStack() as stack:
        try:
            redis_server: RedisServer = stack.enter_context(running_redis())
            postgres: PostgresServer = stack.enter_context(running_postgres())
        except ServerMissing as exc:
            pytest.skip(f"{exc} to run the two-bridge test")
        db_url = postgres.create_database()
        engine, sessions = open_database(db_url)
        with sessions() as db, db.begin():
            for i in range(4):
                create_user(db, f"agent{i}", PASSWORD, "agent", f"坐席{i}", ["通用"], capacity=5)
        rasa = ThreadingHTTPServer(("127.0.0.1", free_port()), StandInRasa)
        threading.Thread(target=rasa.serve_forever, daemon=True).start()
        stack.callback(rasa.shutdown)
        data_dir = tmp_path_factory.mktemp("two-bridges")
        env = {**os.environ, "APP_ENV": "development", "DATA_DIR": str(data_dir), "DATABASE_URL": db_url,
               "REDIS_URL": redis_server.url, "RASA_URL": f"http://127.0.0.1:{rasa.server_address[1]}",
               "DEMO_PASSWORD": PASSWORD, "AGENT_KB_SUGGESTIONS": "false", "TICK_INTERVAL_S": "1",
               "RATE_LIMIT_IP_PER_MIN": "100000", "RATE_LIMIT_CONVERSATION_PER_MIN": "10000",
               "CUSTOMER_AWAY_S": "600", "QUEUE_ABANDON_S": "1200",  # the 50 never open a socket: still there
               "SURGE": '{"capacity_step": 0}',  # the surge plan must not raise (then restore) the capacities
               "PYTHONPATH": str(ROOT)}
        urls = []
        for name in ("a", "b"):
            port = free_port()
            log = open(data_dir / f"bridge-{name}.log", "wb")  # noqa: SIM115 - closed by the stack
            stack.callback(log.close)
            process = subprocess.Popen([sys.executable, "-m", "api", "serve", "--host", "127.0.0.1", "--port",
                                        str(port)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            stack.callback(stop_group, process)
            urls.append(f"http://127.0.0.1:{port}")
        for url, name in zip(urls, "ab", strict=True):
            try:
                wait_until(lambda url=url: healthy(url), 120, f"bridge {name} healthy")  # type: ignore[misc]
            except AssertionError:
                raise AssertionError((data_dir / f"bridge-{name}.log").read_text(errors="replace")[-3000:]) \
                    from None
        yield Cluster(urls[0], urls[1], db_url, engine)
        engine.dispose()


# ---------------------------------------------------------------------------------------------- clients
def login(url: str, username: str) -> str:
    r = httpx.post(f"{url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_customer(url: str) -> tuple[str, str]:
    r = httpx.post(f"{url}/api/v1/conversations", json={"channel": "web"}, timeout=30)
    assert r.status_code == 201, r.text
    return str(r.json()["id"]), str(r.json()["token"])


def say(url: str, conv: str, token: str, text: str) -> dict[str, Any]:
    r = httpx.post(f"{url}/api/v1/conversations/{conv}/messages", json={"text": text}, headers=bearer(token),
                   timeout=60)
    assert r.status_code == 200, r.text
    return dict(r.json())


def socket(url: str, path: str, token: str) -> Connection:
    return connect(url.replace("http://", "ws://") + path, subprotocols=["bankcs.v1", f"bearer.{token}"],  # type: ignore[list-item]
                   open_timeout=30)


def next_event(ws: Connection, wanted: Callable[[dict[str, Any]], bool], seconds: float = 20.0
               ) -> dict[str, Any]:
    """The first event ``wanted`` accepts (others skipped) within ``seconds``."""
    deadline = time.monotonic() + seconds
    seen: list[Any] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no matching event within {seconds:.0f} s; got {seen}")
        try:
            event = json.loads(ws.recv(timeout=left))
        except TimeoutError:
            continue
        if wanted(event):
            return dict(event)
        seen.append(event)


def set_agent(url: str, token: str, **body: Any) -> None:
    r = httpx.patch(f"{url}/api/v1/agent/me", json=body, headers=bearer(token), timeout=30)
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------------------------------------- tests
def test_customer_on_one_bridge_and_agent_on_the_other(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    agent = login(b, "agent0")
    set_agent(b, agent, status="online", capacity=1)
    try:
        with socket(b, "/api/v1/agent/ws", agent) as agent_ws:
            first, first_token = new_customer(a)
            with socket(a, f"/api/v1/conversations/{first}/ws", first_token) as first_ws:
                say(a, first, first_token, "转人工")
                assigned = next_event(agent_ws, lambda e: e["type"] == "assigned")
                assert assigned["conversation"]["id"] == first
                next_event(first_ws, lambda e: e["type"] == "state" and e["state"] == "agent")

                # agent (B) -> customer (A): a reply and typing
                r = httpx.post(f"{b}/api/v1/agent/conversations/{first}/messages", json={"text": "您好，请讲"},
                               headers=bearer(agent), timeout=30)
                assert r.status_code == 200, r.text
                next_event(first_ws, lambda e: e["type"] == "message" and e["message"]["text"] == "您好，请讲")
                r = httpx.post(f"{b}/api/v1/agent/conversations/{first}/typing", headers=bearer(agent), timeout=30)
                assert r.status_code == 204, r.text
                next_event(first_ws, lambda e: e["type"] == "typing")

                # customer (A) -> agent (B): typing over the socket, a message over HTTP
                first_ws.send(json.dumps({"type": "typing"}))
                typing = next_event(agent_ws, lambda e: e["type"] == "typing")
                assert typing["conversation_id"] == first
                say(a, first, first_token, "我的卡被吞了")
                got = next_event(agent_ws, lambda e: e["type"] == "message" and "吞" in e["message"]["text"])
                assert got["conversation_id"] == first

                # a second customer, socket on B, handed off through A: queued behind the full agent
                second, second_token = new_customer(b)
                with socket(b, f"/api/v1/conversations/{second}/ws", second_token) as second_ws:
                    say(a, second, second_token, "转人工")
                    next_event(second_ws, lambda e: e["type"] == "queue" and e["position"] == 1)
                    next_event(agent_ws, lambda e: e["type"] == "queue" and e["length"] == 1)

                    # the agent (B) ends the first chat: the first customer (A) is back with the bot, the
                    # second (B) is assigned by the dispatch that follows
                    r = httpx.post(f"{b}/api/v1/agent/conversations/{first}/close",
                                   json={"disposition": "resolved", "note": ""}, headers=bearer(agent), timeout=30)
                    assert r.status_code == 200, r.text
                    next_event(first_ws, lambda e: e["type"] == "state" and e["state"] == "bot")
                    next_event(second_ws, lambda e: e["type"] == "state" and e["state"] == "agent")
                    assert next_event(agent_ws, lambda e: e["type"] == "assigned")["conversation"]["id"] == second
                    r = httpx.post(f"{a}/api/v1/agent/conversations/{second}/close",  # through A this time
                                   json={"disposition": "resolved", "note": ""}, headers=bearer(agent), timeout=30)
                    assert r.status_code == 200, r.text
                    next_event(second_ws, lambda e: e["type"] == "state" and e["state"] == "bot")

            # logging out through A closes the agent's socket held by B
            r = httpx.post(f"{a}/api/v1/auth/logout", headers=bearer(agent), timeout=30)
            assert r.status_code == 204
            with pytest.raises(ConnectionClosed) as closed:
                next_event(agent_ws, lambda e: False, seconds=15)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    finally:
        with contextlib.suppress(Exception):
            set_agent(b, login(b, "agent0"), status="offline", capacity=5)


def check_capacity(cluster: Cluster) -> tuple[int, int]:
    """No agent over capacity (read from the database); (chats being served, the online agents' capacity — the
    surge plan may raise it while 50 wait)."""
    with cluster.engine.connect() as conn:
        loads = dict(conn.execute(select(Conversation.agent_id, func.count()).where(Conversation.state == "agent")
                                  .group_by(Conversation.agent_id)).all())
        users = conn.execute(select(User.id, User.capacity, User.status)).all()
    capacity = {u.id: u.capacity for u in users}
    over = {agent: (load, capacity[agent]) for agent, load in loads.items() if load > capacity[agent]}
    assert not over, f"agents over capacity (load, capacity): {over}"
    return sum(loads.values()), sum(u.capacity for u in users if u.status == "online")


def test_fifty_customers_through_two_bridges_each_served_once(cluster: Cluster) -> None:
    bridges = [cluster.a, cluster.b]
    agents = {f"agent{i}": login(bridges[i % 2], f"agent{i}") for i in range(4)}
    customers = [new_customer(bridges[i % 2]) for i in range(50)]
    for i, token in enumerate(agents.values()):
        set_agent(bridges[i % 2], token, status="online", capacity=5)
    try:
        with ThreadPoolExecutor(16) as pool:  # all at once, alternating bridges
            list(pool.map(lambda i: say(bridges[i % 2], *customers[i], "转人工"), range(50)))
        ids = {conv for conv, _ in customers}
        served: set[str] = set()
        rounds = 0
        while served != ids:
            rounds += 1
            assert rounds < 60, f"not everyone served: {len(ids - served)} left"
            def filled() -> bool:
                serving, capacity = check_capacity(cluster)
                return serving == min(capacity, len(ids - served))
            wait_until(filled, 60, f"round {rounds}: the agents filled up to capacity {check_capacity(cluster)}")
            for i, token in enumerate(agents.values()):
                url = bridges[(i + rounds) % 2]
                r = httpx.get(f"{url}/api/v1/agent/conversations", headers=bearer(token), timeout=30)
                assert r.status_code == 200, r.text
                for chat in r.json():
                    assert chat["id"] not in served, f"{chat['id']} served twice"
                    r = httpx.post(f"{url}/api/v1/agent/conversations/{chat['id']}/close",
                                   json={"disposition": "resolved", "note": ""}, headers=bearer(token), timeout=30)
                    assert r.status_code == 200, r.text
                    served.add(chat["id"])
                check_capacity(cluster)
        with cluster.engine.connect() as conn:
            handoffs = conn.execute(select(Handoff.conversation_id, Handoff.assigned_at, Handoff.outcome)
                                    .where(Handoff.conversation_id.in_(ids))).all()
            joined = dict(conn.execute(select(Message.conversation_id, func.count())
                                       .where(Message.conversation_id.in_(ids), Message.sender == "system",
                                              Message.text.like("%为您服务%"))
                                       .group_by(Message.conversation_id)).all())
        assert sorted(h.conversation_id for h in handoffs) == sorted(ids)  # one handoff each
        assert all(h.assigned_at is not None and h.outcome == "served" for h in handoffs)
        assert joined == {conv: 1 for conv in ids}  # one "agent joined" notice each: assigned once
    finally:
        for i, token in enumerate(agents.values()):
            with contextlib.suppress(Exception):
                set_agent(bridges[i % 2], token, status="offline")

