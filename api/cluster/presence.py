"""Who has a socket open on any live bridge process, and the agents' grace deadlines.

Each customer or agent with a socket has a sorted set in Redis; its members are the processes (for an agent, the
process and the token the console logged in with) holding one, scored by when that claim expires. A process
adds its member when its first socket for the key opens, removes it when its last one closes, and refreshes all
of its members every third of ``ttl_s``; a process that dies stops refreshing and its claims lapse after
``ttl_s``. So "connected" is true while any process holds a socket, and false at most ``ttl_s`` after the
last holder died. The same heartbeat keeps this process in the set of live processes (the shared socket
counts ask it which processes still count).

An agent whose last console closed gets a grace deadline here (``grace_started``); whichever process runs the
periodic jobs acts on the due ones (``due_graces``), so the requeue happens even when the process that saw
the socket close died meanwhile.

A Redis error is logged and answered from this process's own sockets (the caller checks those first).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any, Callable, cast

import redis

from api.cluster.connection import PREFIX, RedisLink

log = logging.getLogger(__name__)
PROCESSES = PREFIX + "processes"
GRACE = PREFIX + "agent-grace"
SEP = "|"


def customer_key(conversation_id: str) -> str:
    return f"{PREFIX}presence:customer:{conversation_id}"


def agent_key(user_id: int) -> str:
    return f"{PREFIX}presence:agent:{user_id}"


class ClusterPresence:
    def __init__(self, link: RedisLink, ttl_s: float, now: Callable[[], float] = time.time) -> None:
        self.link = link
        self.ttl_s = ttl_s
        self.now = now
        self._held: dict[tuple[str, str], int] = {}  # (key, member) -> this process's open sockets
        self._lock = threading.Lock()

    def _expiry_ms(self) -> int:
        return int((self.now() + self.ttl_s) * 1000)

    def _claim(self, key: str, member: str) -> None:
        pipe = self.link.sync.pipeline(transaction=False)
        pipe.zadd(key, {member: self._expiry_ms()})
        pipe.pexpire(key, int(self.ttl_s * 2000))
        pipe.execute()

    # ------------------------------------------------------------------ this process's sockets
    def add(self, key: str, member: str) -> None:
        with self._lock:
            count = self._held.get((key, member), 0)
            self._held[(key, member)] = count + 1
        if count == 0:
            try:
                self._claim(key, member)
            except redis.RedisError as exc:
                log.warning("presence: claim not written (%s); the heartbeat retries", exc.__class__.__name__)

    def remove(self, key: str, member: str) -> None:
        with self._lock:
            count = self._held.get((key, member), 0) - 1
            if count > 0:
                self._held[(key, member)] = count
                return
            self._held.pop((key, member), None)
        try:
            self.link.sync.zrem(key, member)
        except redis.RedisError as exc:
            log.warning("presence: claim not removed (%s); it lapses in %.0f s", exc.__class__.__name__,
                        self.ttl_s)

    def add_customer(self, conversation_id: str) -> None:
        self.add(customer_key(conversation_id), self.link.process_id)

    def remove_customer(self, conversation_id: str) -> None:
        self.remove(customer_key(conversation_id), self.link.process_id)

    def add_agent(self, user_id: int, token_hash: str) -> None:
        self.add(agent_key(user_id), f"{self.link.process_id}{SEP}{token_hash}")

    def remove_agent(self, user_id: int, token_hash: str) -> None:
        self.remove(agent_key(user_id), f"{self.link.process_id}{SEP}{token_hash}")

    def heartbeat(self) -> None:
        """Refresh every claim of this process and the process itself (blocking: run it in a thread)."""
        with self._lock:
            held = list(self._held)
        expiry = self._expiry_ms()
        pipe = self.link.sync.pipeline(transaction=False)
        pipe.zadd(PROCESSES, {self.link.process_id: expiry})
        pipe.zremrangebyscore(PROCESSES, "-inf", int(self.now() * 1000))
        for key, member in held:
            pipe.zadd(key, {member: expiry})
            pipe.pexpire(key, int(self.ttl_s * 2000))
        pipe.execute()

    def leave(self) -> None:
        """A clean shutdown: this process's claims and its place among the live ones go at once."""
        with self._lock:
            held, self._held = list(self._held), {}
        pipe = self.link.sync.pipeline(transaction=False)
        for key, member in held:
            pipe.zrem(key, member)
        pipe.zrem(PROCESSES, self.link.process_id)
        pipe.execute()

    # ------------------------------------------------------------------ any process
    def _members(self, key: str) -> list[str]:
        try:
            raw = cast(Any, self.link.sync.zrangebyscore(key, int(self.now() * 1000), "+inf"))
        except redis.RedisError as exc:
            log.warning("presence: not readable (%s); answering from this process only", exc.__class__.__name__)
            return []
        return [m.decode() if isinstance(m, bytes) else str(m) for m in raw]

    def customer_connected(self, conversation_id: str) -> bool:
        return bool(self._members(customer_key(conversation_id)))

    def agent_connected(self, user_id: int, except_token: str | None = None) -> bool:
        """A console of this agent is open anywhere (not counting those logged in with ``except_token``)."""
        members = self._members(agent_key(user_id))
        if except_token is None:
            return bool(members)
        return any(m.rpartition(SEP)[2] != except_token for m in members)

    def live_processes(self) -> list[str]:
        return self._members(PROCESSES)

    # ------------------------------------------------------------------ agents' grace deadlines
    def grace_started(self, user_id: int, deadline: float) -> None:
        """The agent's last console closed: act at ``deadline`` (epoch seconds) unless one reopens."""
        try:
            self.link.sync.zadd(GRACE, {str(user_id): deadline})
        except redis.RedisError as exc:
            log.warning("presence: grace deadline not recorded (%s); this process's timer still runs",
                        exc.__class__.__name__)

    def due_graces(self) -> list[int]:
        try:
            raw = cast(Any, self.link.sync.zrangebyscore(GRACE, "-inf", self.now()))
        except redis.RedisError:
            return []
        return [int(m) for m in raw]

    def grace_done(self, user_id: int) -> None:
        with contextlib.suppress(redis.RedisError):
            self.link.sync.zrem(GRACE, str(user_id))
