"""WebSocket fan-out inside one bridge process: customer sockets by conversation, agent sockets by user."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from fastapi import WebSocket

log = logging.getLogger(__name__)


class Hub:
    def __init__(self) -> None:
        self._customers: dict[str, set[WebSocket]] = defaultdict(set)
        self._agents: dict[int, set[WebSocket]] = defaultdict(set)

    def add_customer(self, conversation_id: str, ws: WebSocket) -> None:
        self._customers[conversation_id].add(ws)

    def remove_customer(self, conversation_id: str, ws: WebSocket) -> None:
        self._customers[conversation_id].discard(ws)

    def add_agent(self, user_id: int, ws: WebSocket) -> None:
        self._agents[user_id].add(ws)

    def remove_agent(self, user_id: int, ws: WebSocket) -> None:
        self._agents[user_id].discard(ws)

    def agent_connected(self, user_id: int) -> bool:
        return bool(self._agents.get(user_id))

    def customer_connected(self, conversation_id: str) -> bool:
        """The customer's widget has a socket open (their presence)."""
        return bool(self._customers.get(conversation_id))

    async def _send(self, sockets: set[WebSocket], event: dict[str, Any]) -> None:
        dead = []
        for ws in list(sockets):
            try:
                await asyncio.wait_for(ws.send_json(event), timeout=5)
            except Exception:  # noqa: BLE001 - a broken socket is dropped, never fails the sender
                dead.append(ws)
        for ws in dead:
            sockets.discard(ws)

    async def to_customer(self, conversation_id: str, event: dict[str, Any]) -> None:
        await self._send(self._customers.get(conversation_id, set()), event)

    async def to_agent(self, user_id: int, event: dict[str, Any]) -> None:
        await self._send(self._agents.get(user_id, set()), event)

    async def to_all_agents(self, event: dict[str, Any]) -> None:
        for user_id in list(self._agents):
            await self.to_agent(user_id, event)
