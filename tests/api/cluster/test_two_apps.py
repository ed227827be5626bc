"""Two bridge apps in one test process (each its own event loop, as two processes have) on one PostgreSQL and one
Redis: pushes cross between them through the bus, presence is seen from the other app, a logout on one closes
the agent's socket on the other, and only one of them holds the periodic jobs' lease. The same with real
uvicorn processes: tests/e2e/test_two_bridges.py."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import Customer, ScriptedRasa, Staff
from tests.api.conversation.recording import eventually


@pytest.fixture()
def apps(tmp_path: Path, pg_url: str, redis_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass", database_url=pg_url,
                        redis_url=redis_url, cluster_lease_s=1.0, tick_interval_s=0.5)
    with contextlib.ExitStack() as stack:
        a = stack.enter_context(TestClient(create_app(settings, ScriptedRasa())))  # type: ignore[arg-type]
        b = stack.enter_context(TestClient(create_app(settings, ScriptedRasa())))  # type: ignore[arg-type]
        yield a, b


def receive(ws: Any, kind: str, text: str | None = None, limit: int = 20) -> dict[str, Any]:
    """The next event of this type (and message text), skipping others; each push named here is one the app
    sends, so a missing one shows as the wrong event or a stalled receive."""
    for _ in range(limit):
        event = ws.receive_json()
        if event["type"] == kind and (text is None or event["message"]["text"] == text):
            return dict(event)
    raise AssertionError(f"no {kind} event in {limit}")


def test_pushes_presence_and_logout_cross_between_apps(apps: tuple[TestClient, TestClient]) -> None:
    a, b = apps
    agent = Staff(b, "agent")
    agent.patch_me(status="online", capacity=2)
    with b.websocket_connect("/api/v1/agent/ws", subprotocols=["bankcs.v1", f"bearer.{agent.token}"]) as agent_ws:
        hub_a = a.app.state.chat.hub  # type: ignore[attr-defined]
        assert eventually(lambda: hub_a.agent_connected(agent_id(b)), 5), "A does not see the agent's console on B"
        customer = Customer(a)
        with a.websocket_connect(f"/api/v1/conversations/{customer.id}/ws",
                                 subprotocols=["bankcs.v1", f"bearer.{customer.token}"]) as customer_ws:
            hub_b = b.app.state.chat.hub  # type: ignore[attr-defined]
            assert eventually(lambda: hub_b.customer_connected(customer.id), 5)
            customer.say("转人工")  # through A: assigned to the agent whose socket is on B
            assert receive(agent_ws, "assigned")["conversation"]["id"] == customer.id
            assert receive(customer_ws, "state")["state"] == "agent"
            agent.post(f"/api/v1/agent/conversations/{customer.id}/messages", {"text": "您好"})  # on B
            receive(customer_ws, "message", "您好")
            customer.say("谢谢")  # on A, to the agent on B
            assert receive(agent_ws, "message", "谢谢")["conversation_id"] == customer.id
        assert eventually(lambda: not hub_b.customer_connected(customer.id), 5), "presence outlived the socket"
        r = a.post("/api/v1/auth/logout", headers=agent.auth)  # on A: the socket on B closes
        assert r.status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(20):
                agent_ws.receive_json()
        assert closed.value.code == 4401
    leases = [c.app.state.cluster.lease for c in (a, b)]  # type: ignore[attr-defined]
    assert eventually(lambda: sum(lease.held for lease in leases) == 1, 5)


def agent_id(client: TestClient) -> int:
    from api.store.models import User

    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        return int(next(u.id for u in db.query(User).filter(User.username == "agent")))
