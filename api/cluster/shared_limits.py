"""The edge's counters in Redis, shared by every bridge process, with the semantics of the in-memory ones in
``api.compliance.limits`` (same methods, same answers for the same sequence of calls and clock readings; the
tests run one table against both).

Each check is one Lua script, so a read-modify-write is atomic across processes. Time is the caller's clock
(``time.time`` by default: processes on several hosts agree on wall-clock time within NTP's error, which is
far below the windows here) and is injectable for tests. Idle keys expire in Redis once they would read as
new (a full bucket, no failures), which replaces the in-memory "forget idle keys" rule.

Open sockets are counted per address and per process, and only live processes count (``ClusterPresence``'s
heartbeat keeps the list), so the sockets of a process that died stop counting once its heartbeat lapses.

When Redis does not answer, a check allows (fail open, logged at most every 30 s): refusing every customer
because the counter store is away would be worse than a minute without rate limits.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from typing import Any, Callable, cast

import redis

from api.cluster.connection import PREFIX, RedisLink
from api.cluster.presence import PROCESSES

log = logging.getLogger(__name__)
Clock = Callable[[], float]
_last_warning = [0.0]

BUCKET = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local s = redis.call('HMGET', KEYS[1], 't', 'l')
local tokens, last = tonumber(s[1]), tonumber(s[2])
if tokens == nil or last == nil then tokens, last = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
local spent = 0
if ARGV[4] == '1' then
  if tokens >= 1 then tokens, spent = tokens - 1, 1 end
  redis.call('HSET', KEYS[1], 't', tostring(tokens), 'l', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
return {spent, tostring(tokens)}
"""

FAILURE = """
local now, window, max, lockout = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tostring(now - window))
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
if redis.call('ZCARD', KEYS[1]) >= max then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], tostring(now + lockout), 'PX', math.max(1, math.ceil(lockout * 1000)))
  return 1
end
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(window * 1000)))
return 0
"""

OPEN = """
local alive = {}
for _, p in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[3], '+inf')) do alive[p] = true end
alive[ARGV[1]] = true
local all, total = redis.call('HGETALL', KEYS[1]), 0
for i = 1, #all, 2 do
  if alive[all[i]] then total = total + tonumber(all[i + 1]) else redis.call('HDEL', KEYS[1], all[i]) end
end
if ARGV[4] == 'count' then return total end
local limit = tonumber(ARGV[2])
if limit > 0 and total >= limit then return -1 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], 86400000)
return total + 1
"""

CLOSE = """
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return n
"""


def _redis_down(exc: Exception) -> None:
    now = time.monotonic()
    if now - _last_warning[0] > 30:
        _last_warning[0] = now
        log.warning("rate limits: Redis unreachable (%s); allowing until it answers", exc.__class__.__name__)


class RedisTokenBuckets:
    """:class:`api.compliance.limits.TokenBuckets` in Redis (``name`` keeps the counter kinds apart)."""

    def __init__(self, link: RedisLink, name: str, rate_per_min: float, burst: int, now: Clock = time.time) -> None:
        self.link, self.prefix = link, f"{PREFIX}rate:{name}:"
        self.rate = rate_per_min / 60.0
        self.burst = float(burst)
        self.now = now
        self._script = link.sync.register_script(BUCKET)

    def _call(self, key: str, spend: bool) -> tuple[bool, float] | None:
        """(a token was spent, tokens left) after refilling; None when Redis does not answer."""
        refill_ms = math.ceil(self.burst / self.rate * 1000) + 1000
        try:
            spent, tokens = self._script(keys=[self.prefix + key],
                                         args=[repr(self.rate), repr(self.burst), repr(self.now()),
                                               "1" if spend else "0", refill_ms])
        except redis.RedisError as exc:
            _redis_down(exc)
            return None
        return bool(int(spent)), float(tokens)

    def take(self, key: str) -> float:
        """0 when allowed (a token is spent), else the seconds until a token is available."""
        if self.rate <= 0:
            return 0.0
        answer = self._call(key, spend=True)
        if answer is None or answer[0]:
            return 0.0
        return (1 - answer[1]) / self.rate

    def wait(self, key: str) -> float:
        """Like :meth:`take` without spending: 0 when a token is available."""
        if self.rate <= 0:
            return 0.0
        answer = self._call(key, spend=False)
        return 0.0 if answer is None or answer[1] >= 1 else (1 - answer[1]) / self.rate


class RedisLockouts:
    """:class:`api.compliance.limits.Lockouts` in Redis."""

    def __init__(self, link: RedisLink, name: str, max_failures: int, window_s: float, lockout_s: float,
                 now: Clock = time.time) -> None:
        self.link, self.prefix = link, f"{PREFIX}lockout:{name}:"
        self.max_failures, self.window_s, self.lockout_s, self.now = max_failures, window_s, lockout_s, now
        self._failure = link.sync.register_script(FAILURE)

    def locked_for(self, key: str) -> float:
        """Seconds the key stays locked (0 when it is not)."""
        try:
            until = cast(Any, self.link.sync.get(self.prefix + "locked:" + key))
        except redis.RedisError as exc:
            _redis_down(exc)
            return 0.0
        return max(0.0, float(until) - self.now()) if until is not None else 0.0

    def failure(self, key: str) -> bool:
        """Count a failure; True when it starts a lockout."""
        if self.max_failures <= 0:
            return False
        now = self.now()
        try:
            return bool(self._failure(keys=[self.prefix + "failures:" + key, self.prefix + "locked:" + key],
                                      args=[repr(now), repr(self.window_s), self.max_failures,
                                            repr(self.lockout_s), f"{now!r}:{uuid.uuid4().hex[:8]}"]))
        except redis.RedisError as exc:
            _redis_down(exc)
            return False

    def success(self, key: str) -> None:
        try:
            self.link.sync.delete(self.prefix + "failures:" + key)
        except redis.RedisError as exc:
            _redis_down(exc)


class RedisConnectionCounts:
    """:class:`api.compliance.limits.ConnectionCounts` across processes: open connections per key, at most
    ``limit`` each (0: no limit), counting only the processes still alive."""

    def __init__(self, link: RedisLink, name: str, limit: int) -> None:
        self.link, self.prefix, self.limit = link, f"{PREFIX}open:{name}:", limit
        self._open = link.sync.register_script(OPEN)
        self._close = link.sync.register_script(CLOSE)

    def _run(self, key: str, mode: str) -> int | None:
        try:
            return int(self._open(keys=[self.prefix + key, PROCESSES],
                                  args=[self.link.process_id, self.limit, int(time.time() * 1000), mode]))
        except redis.RedisError as exc:
            _redis_down(exc)
            return None

    def open(self, key: str) -> bool:
        """Count one more connection; False (nothing counted) when the key is at its limit."""
        answer = self._run(key, "open")
        return answer is None or answer >= 0

    def close(self, key: str) -> None:
        try:
            self._close(keys=[self.prefix + key], args=[self.link.process_id])
        except redis.RedisError as exc:
            _redis_down(exc)

    def count(self, key: str) -> int:
        return self._run(key, "count") or 0
