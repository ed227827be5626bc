"""The edge's counters, pure and thread-safe with an injectable clock: token buckets (requests per address and
per conversation, credential guesses per address), lockouts after repeated failures (logins per user and per
address) and open connections per key (WebSockets per address). One :class:`EdgeLimits` per bridge process holds
them all, sized from the settings; the guard middleware and the routes read it from ``app.state.limits``.

Counters live in the process's memory: a restart forgets them (a lockout ends early, never late). Keys are
forgotten once idle, so an attacker rotating keys cannot grow them without bound. With several bridge
processes (``REDIS_URL``) the same counters live in Redis instead (``api.cluster.shared_limits``: same methods,
same semantics), so a client spreading its requests over the processes meets one limit, not one per process.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Protocol

if TYPE_CHECKING:
    from api.cluster.connection import RedisLink

Clock = Callable[[], float]
_FORGET_AFTER = 100_000  # keys kept before idle ones are dropped


class Buckets(Protocol):
    def take(self, key: str) -> float: ...
    def wait(self, key: str) -> float: ...


class FailureLockouts(Protocol):
    def locked_for(self, key: str) -> float: ...
    def failure(self, key: str) -> bool: ...
    def success(self, key: str) -> None: ...


class OpenConnections(Protocol):
    def open(self, key: str) -> bool: ...
    def close(self, key: str) -> None: ...
    def count(self, key: str) -> int: ...


class TokenBuckets:
    """``rate_per_min`` tokens a minute, at most ``burst`` at once, per key; thread-safe; ``now`` injectable."""

    def __init__(self, rate_per_min: float, burst: int, now: Clock = time.monotonic) -> None:
        self.rate = rate_per_min / 60.0
        self.burst = float(burst)
        self.now = now
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _refilled(self, key: str, now: float) -> float:
        tokens, last = self._state.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def take(self, key: str) -> float:
        """0 when allowed (a token is spent), else the seconds until a token is available."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self.now()
            tokens = self._refilled(key, now)
            if tokens >= 1:
                self._state[key] = (tokens - 1, now)
                if len(self._state) > _FORGET_AFTER:  # forget idle keys
                    self._state = {k: v for k, v in self._state.items() if now - v[1] < 600}
                return 0.0
            self._state[key] = (tokens, now)
            return (1 - tokens) / self.rate

    def wait(self, key: str) -> float:
        """Like :meth:`take` without spending: 0 when a token is available."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            tokens = self._refilled(key, self.now())
            return 0.0 if tokens >= 1 else (1 - tokens) / self.rate


class Lockouts:
    """``max_failures`` failures of a key within ``window_s`` lock it for ``lockout_s``; a success clears it."""

    def __init__(self, max_failures: int, window_s: float, lockout_s: float, now: Clock = time.monotonic) -> None:
        self.max_failures, self.window_s, self.lockout_s, self.now = max_failures, window_s, lockout_s, now
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def locked_for(self, key: str) -> float:
        """Seconds the key stays locked (0 when it is not)."""
        with self._lock:
            return max(0.0, self._locked_until.get(key, 0.0) - self.now())

    def failure(self, key: str) -> bool:
        """Count a failure; True when it starts a lockout."""
        if self.max_failures <= 0:
            return False
        with self._lock:
            now = self.now()
            recent = [t for t in self._failures.get(key, []) if now - t < self.window_s] + [now]
            if len(recent) >= self.max_failures:
                self._failures.pop(key, None)
                self._locked_until[key] = now + self.lockout_s
                return True
            self._failures[key] = recent
            if len(self._failures) > _FORGET_AFTER:
                self._failures = {k: v for k, v in self._failures.items() if now - v[-1] < self.window_s}
                self._locked_until = {k: v for k, v in self._locked_until.items() if v > now}
            return False

    def success(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


class ConnectionCounts:
    """Open connections per key, at most ``limit`` each (0: no limit)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def open(self, key: str) -> bool:
        """Count one more connection; False (nothing counted) when the key is at its limit."""
        with self._lock:
            count = self._open.get(key, 0)
            if self.limit and count >= self.limit:
                return False
            self._open[key] = count + 1
            return True

    def close(self, key: str) -> None:
        with self._lock:
            count = self._open.get(key, 0) - 1
            if count > 0:
                self._open[key] = count
            else:
                self._open.pop(key, None)

    def count(self, key: str) -> int:
        return self._open.get(key, 0)


def retry_after(seconds: float) -> str:
    """The ``Retry-After`` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


@dataclass
class EdgeLimits:
    """Every counter of one bridge process (see the module docstring)."""

    by_address: Buckets
    by_conversation: Buckets
    guesses: Buckets  # failed credentials (401, a socket refused) per address
    sockets: OpenConnections  # open WebSockets per address
    login_users: FailureLockouts
    login_addresses: FailureLockouts

    @classmethod
    def create(cls, address_per_min: float, conversation_per_min: float, guesses_per_min: float,
               sockets_per_address: int, login_failures_per_user: int, login_failures_per_address: int,
               login_window_s: float, login_lockout_s: float, now: Clock | None = None,
               shared: RedisLink | None = None) -> EdgeLimits:
        """In this process's memory, or in Redis when ``shared`` (every bridge process then counts together);
        ``now`` defaults to the monotonic clock in memory and to wall-clock time in Redis."""
        if shared is not None:
            from api.cluster.shared_limits import RedisConnectionCounts, RedisLockouts, RedisTokenBuckets

            wall = now or time.time
            return cls(
                by_address=RedisTokenBuckets(shared, "address", address_per_min,
                                             burst=max(10, int(address_per_min / 6)), now=wall),
                by_conversation=RedisTokenBuckets(shared, "conversation", conversation_per_min, burst=10, now=wall),
                guesses=RedisTokenBuckets(shared, "guesses", guesses_per_min, burst=max(5, int(guesses_per_min / 2)),
                                          now=wall),
                sockets=RedisConnectionCounts(shared, "sockets", sockets_per_address),
                login_users=RedisLockouts(shared, "login-user", login_failures_per_user, login_window_s,
                                          login_lockout_s, wall),
                login_addresses=RedisLockouts(shared, "login-address", login_failures_per_address, login_window_s,
                                              login_lockout_s, wall))
        now = now or time.monotonic
        return cls(
            by_address=TokenBuckets(address_per_min, burst=max(10, int(address_per_min / 6)), now=now),
            by_conversation=TokenBuckets(conversation_per_min, burst=10, now=now),
            guesses=TokenBuckets(guesses_per_min, burst=max(5, int(guesses_per_min / 2)), now=now),
            sockets=ConnectionCounts(sockets_per_address),
            login_users=Lockouts(login_failures_per_user, login_window_s, login_lockout_s, now),
            login_addresses=Lockouts(login_failures_per_address, login_window_s, login_lockout_s, now))
