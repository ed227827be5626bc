"""WebSocket credentials (issue 11, "no credential in a URL"): both sockets authenticate with the
``Sec-WebSocket-Protocol`` header and refuse a token in the query string; an agent's open socket is closed on
logout, on token expiry and on a role change (and the agent stops getting assignments); a customer's socket is
closed when their conversation is erased."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from api.settings import Settings
from api.staff.accounts import change_role
from api.staff.sockets import (
    CLOSE_BAD_REQUEST,
    CLOSE_ERASED,
    CLOSE_LOGGED_OUT,
    SUBPROTOCOL,
)
from tests.api.conftest import Customer, ScriptedRasa, Staff


def bearer(token: str) -> list[str]:
    return [SUBPROTOCOL, f"bearer.{token}"]


def _app_client(tmp_path: Path, **overrides: Any) -> TestClient:
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass", **overrides)
    return TestClient(create_app(settings, ScriptedRasa()))  # type: ignore[arg-type]


def _closed_with(ws: Any, timeout_s: float = 5.0) -> int:
    """Read frames until the server closes the socket; its close code."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            ws.receive_json()
        except WebSocketDisconnect as exc:
            return int(exc.code)
    raise AssertionError("the socket stayed open")


def test_both_sockets_take_the_token_from_the_subprotocol_and_never_echo_it(client: TestClient) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    with client.websocket_connect("/api/v1/agent/ws", subprotocols=bearer(agent.token)) as ws:
        assert ws.accepted_subprotocol == SUBPROTOCOL
        c = Customer(client)
        with client.websocket_connect(f"/api/v1/conversations/{c.id}/ws", subprotocols=bearer(c.token)) as cws:
            assert cws.accepted_subprotocol == SUBPROTOCOL
            c.say("转人工")
            assert {"assigned", "queue"} >= {ws.receive_json()["type"] for _ in range(2)}
            cws.send_json({"type": "typing"})


@pytest.mark.parametrize("which", ["agent", "customer"])
def test_a_token_in_the_url_is_refused(client: TestClient, which: str) -> None:
    agent, c = Staff(client, "agent"), Customer(client)
    url = f"/api/v1/agent/ws?token={agent.token}" if which == "agent" else \
        f"/api/v1/conversations/{c.id}/ws?token={c.token}"
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(url):
        pass
    assert refused.value.code == CLOSE_BAD_REQUEST
    with pytest.raises(WebSocketDisconnect), client.websocket_connect(url.split("?")[0], subprotocols=bearer("x")):
        pass  # a wrong token in the header: refused too


def test_logout_closes_the_agent_s_socket_and_stops_assignments(client: TestClient) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    with client.websocket_connect("/api/v1/agent/ws", subprotocols=bearer(agent.token)) as ws:
        assert client.post("/api/v1/auth/logout", headers=agent.auth).status_code == 204
        assert _closed_with(ws) == CLOSE_LOGGED_OUT
    c = Customer(client)
    c.say("转人工")
    assert c.history()["state"] == "queued"  # nobody is serving: the logged-out agent got nothing
    agents = {a["username"]: a for a in Staff(client, "supervisor").get("/api/v1/supervisor/overview")["agents"]}
    assert agents["agent"]["status"] == "offline"


def test_an_expired_token_closes_the_open_socket(tmp_path: Path) -> None:
    with _app_client(tmp_path, token_ttl_s=1, ws_recheck_s=60) as client:
        agent = Staff(client, "agent")
        with client.websocket_connect("/api/v1/agent/ws", subprotocols=bearer(agent.token)) as ws:
            started = time.monotonic()
            assert _closed_with(ws, 5) == CLOSE_LOGGED_OUT
            assert time.monotonic() - started < 4  # at the expiry, not at the next minute's check


def test_a_role_change_closes_the_socket(tmp_path: Path) -> None:
    with _app_client(tmp_path, ws_recheck_s=0.3) as client:
        agent = Staff(client, "agent")
        with client.websocket_connect("/api/v1/agent/ws", subprotocols=bearer(agent.token)) as ws:
            change_role(client.app.state.sessions, "agent", "trainer", "test")  # type: ignore[attr-defined]
            assert _closed_with(ws) == CLOSE_LOGGED_OUT
        assert client.get("/api/v1/agent/me", headers=agent.auth).status_code == 401
        audit = Staff(client, "supervisor").get("/api/v1/supervisor/audit", action="change_role")
        assert audit and audit[0]["detail"] == {"previous": "agent", "role": "trainer"}


def test_a_deletion_request_closes_the_customer_s_socket(client: TestClient) -> None:
    c = Customer(client, "cust-99")
    with client.websocket_connect(f"/api/v1/conversations/{c.id}/ws", subprotocols=bearer(c.token)) as cws:
        boss = Staff(client, "supervisor")
        assert client.delete("/api/v1/supervisor/customers/cust-99", headers=boss.auth).status_code == 200
        assert _closed_with(cws) == CLOSE_ERASED
