"""WebSocket fan-out: this process's customer sockets by conversation and agent sockets by user, and who is
connected.

With several bridge processes (``REDIS_URL``) the hub also has the cluster's ``presence`` (a customer or an
agent counts as connected while any live process holds a socket of theirs) and the event ``bus``
(``api.conversation.events.publish`` hands each batch to it; every process delivers the pushes whose sockets
it holds through :meth:`Hub.deliver`). Without them everything here is this process alone, as in the embedded
mode.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from fastapi import WebSocket

from api.cluster.bus import Delivery, EventBus
from api.cluster.presence import ClusterPresence

log = logging.getLogger(__name__)


class Hub:
    def __init__(self, presence: ClusterPresence | None = None, bus: EventBus | None = None) -> None:
        self._customers: dict[str, set[WebSocket]] = defaultdict(set)
        self._agents: dict[int, set[WebSocket]] = defaultdict(set)
        self._agent_tokens: dict[WebSocket, str] = {}  # every agent socket added: the login it was opened with
        self._customer_sockets: set[WebSocket] = set()  # every customer socket added and not yet removed
        self.presence = presence
        self.bus = bus

    # ------------------------------------------------------------------ this process's sockets
    def add_customer(self, conversation_id: str, ws: WebSocket) -> None:
        self._customers[conversation_id].add(ws)
        if self.presence is not None and ws not in self._customer_sockets:
            self.presence.add_customer(conversation_id)
        self._customer_sockets.add(ws)

    def remove_customer(self, conversation_id: str, ws: WebSocket) -> None:
        self._customers.get(conversation_id, set()).discard(ws)
        if not self._customers.get(conversation_id, True):
            del self._customers[conversation_id]
        if ws in self._customer_sockets:  # (a socket found dead while sending already left the set above)
            self._customer_sockets.discard(ws)
            if self.presence is not None:
                self.presence.remove_customer(conversation_id)

    def add_agent(self, user_id: int, ws: WebSocket, token_hash: str = "") -> None:
        self._agents[user_id].add(ws)
        if self.presence is not None and ws not in self._agent_tokens:
            self.presence.add_agent(user_id, token_hash)
        self._agent_tokens[ws] = token_hash

    def remove_agent(self, user_id: int, ws: WebSocket) -> None:
        self._agents.get(user_id, set()).discard(ws)
        if not self._agents.get(user_id, True):
            del self._agents[user_id]
        if ws in self._agent_tokens:
            token = self._agent_tokens.pop(ws)
            if self.presence is not None:
                self.presence.remove_agent(user_id, token)

    # ------------------------------------------------------------------ presence (any process)
    def agent_connected(self, user_id: int, except_token: str | None = None) -> bool:
        """A console of this agent is open (not counting those opened with the login ``except_token``)."""
        if any(self._agent_tokens.get(ws) != except_token for ws in self._agents.get(user_id, ())):
            return True
        return self.presence is not None and self.presence.agent_connected(user_id, except_token)

    def customer_connected(self, conversation_id: str) -> bool:
        """The customer's widget has a socket open (their presence)."""
        if self._customers.get(conversation_id):
            return True
        return self.presence is not None and self.presence.customer_connected(conversation_id)

    # ------------------------------------------------------------------ agents' grace periods
    def grace_started(self, user_id: int, deadline: float) -> None:
        """Record that the agent's last console closed (with several processes, so any can act at the deadline)."""
        if self.presence is not None:
            self.presence.grace_started(user_id, deadline)

    def due_graces(self) -> list[int]:
        return self.presence.due_graces() if self.presence is not None else []

    def grace_done(self, user_id: int) -> None:
        if self.presence is not None:
            self.presence.grace_done(user_id)

    # ------------------------------------------------------------------ sending
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

    async def deliver(self, pushes: list[Delivery]) -> None:
        """Send each push, in order, to this process's sockets of its target."""
        for push in pushes:
            if push.kind == "customer":
                await self.to_customer(push.key, push.frame)
            elif push.kind == "agent":
                await self.to_agent(int(push.key), push.frame)
            else:
                await self.to_all_agents(push.frame)
