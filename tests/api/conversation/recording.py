"""What the engine pushed to agents' consoles, recorded at the hub (the one place events reach sockets), so a
test can check an event without blocking on a socket: a WebSocket test session's receive has no timeout, and an
event that never comes would hang the run instead of failing it."""

from __future__ import annotations

import time
from typing import Any, Callable

from fastapi.testclient import TestClient

Recorded = list[tuple[int, dict[str, Any]]]


def record_agent_events(client: TestClient) -> Recorded:
    """(agent id, event) for every push to an agent from now on (the sockets still get them)."""
    hub = client.app.state.chat.hub  # type: ignore[attr-defined]
    sent: Recorded = []
    original = hub.to_agent

    async def to_agent(user_id: int, event: dict[str, Any]) -> None:
        sent.append((user_id, event))
        await original(user_id, event)
    hub.to_agent = to_agent
    return sent


def events_of(sent: Recorded, kind: str) -> list[dict[str, Any]]:
    return [event for _, event in sent if event.get("type") == kind]


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    """``check()`` becomes true within ``seconds`` (a socket's close is handled by the server a moment later)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
