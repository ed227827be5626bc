"""The rate limits in Redis give the answers the in-memory ones give (one table of calls and clock moves, run
against both), are shared by every process using the same Redis, count only live processes' sockets, and
allow (fail open) while Redis is unreachable."""

from __future__ import annotations

import time
from typing import Any, Iterator

import pytest

from api.cluster.connection import RedisLink
from api.cluster.presence import ClusterPresence
from api.cluster.shared_limits import RedisConnectionCounts, RedisLockouts, RedisTokenBuckets
from api.compliance.limits import ConnectionCounts, EdgeLimits, Lockouts, TokenBuckets
from tests.servers import free_port


class Clock:
    def __init__(self) -> None:
        self.t = 1_764_590_000.25  # wall-clock sized, as the Redis counters see it

    def __call__(self) -> float:
        return self.t


@pytest.fixture()
def link(redis_url: str) -> Iterator[RedisLink]:
    made = RedisLink(redis_url)
    yield made
    made.sync.close()


def play(counter: Any, clock: Clock, script: list[tuple[Any, ...]]) -> list[Any]:
    answers = []
    for step in script:
        if step[0] == "advance":
            clock.t += step[1]
        else:
            answers.append(getattr(counter, step[0])(*step[1:]))
    return answers


BUCKET_SCRIPT: list[tuple[Any, ...]] = (
    [("take", "1.2.3.4")] * 12 + [("wait", "1.2.3.4"), ("take", "5.6.7.8"), ("advance", 0.5), ("take", "1.2.3.4"),
                                  ("advance", 2.0), ("wait", "1.2.3.4"), ("take", "1.2.3.4"), ("take", "1.2.3.4"),
                                  ("advance", 600), ("take", "1.2.3.4"), ("wait", "1.2.3.4")]
    + [("take", "c1")] * 3 + [("advance", 0.01), ("take", "c1")])


@pytest.mark.parametrize("rate_per_min, burst", [(60, 10), (30, 5), (600, 3), (0, 5)])
def test_token_buckets_answer_as_the_memory_ones(link: RedisLink, rate_per_min: float, burst: int) -> None:
    memory_clock, redis_clock = Clock(), Clock()
    memory = play(TokenBuckets(rate_per_min, burst, now=memory_clock), memory_clock, BUCKET_SCRIPT)
    shared = play(RedisTokenBuckets(link, "t", rate_per_min, burst, now=redis_clock), redis_clock, BUCKET_SCRIPT)
    assert shared == pytest.approx(memory, abs=1e-6)
    if rate_per_min:
        assert any(a > 0 for a in memory), "the table must reach a refusal"
        assert memory[13] == 0  # another key is not charged for the first one's requests


LOCKOUT_SCRIPT: list[tuple[Any, ...]] = [
    ("failure", "alice"), ("failure", "alice"), ("locked_for", "alice"), ("success", "alice"),
    ("failure", "alice"), ("failure", "alice"), ("advance", 50), ("failure", "alice"), ("locked_for", "alice"),
    ("advance", 100), ("failure", "alice"), ("failure", "alice"), ("locked_for", "alice"), ("locked_for", "bob"),
    ("advance", 30), ("locked_for", "alice"), ("failure", "bob"), ("advance", 300), ("locked_for", "alice"),
    ("failure", "alice")]


@pytest.mark.parametrize("max_failures, window_s, lockout_s", [(3, 120, 200), (2, 10, 60), (0, 60, 60)])
def test_lockouts_answer_as_the_memory_ones(link: RedisLink, max_failures: int, window_s: float,
                                            lockout_s: float) -> None:
    memory_clock, redis_clock = Clock(), Clock()
    memory = play(Lockouts(max_failures, window_s, lockout_s, memory_clock), memory_clock, LOCKOUT_SCRIPT)
    shared = play(RedisLockouts(link, "l", max_failures, window_s, lockout_s, redis_clock), redis_clock,
                  LOCKOUT_SCRIPT)
    assert shared == pytest.approx(memory, abs=1e-6)
    if max_failures:
        assert True in memory and any(isinstance(a, float) and a > 0 for a in memory)


def test_socket_counts_answer_as_the_memory_ones(link: RedisLink) -> None:
    ClusterPresence(link, ttl_s=30).heartbeat()  # this process is live
    script: list[tuple[Any, ...]] = ([("open", "a")] * 4 + [("count", "a"), ("close", "a"), ("open", "a"),
                                                            ("open", "b"), ("close", "b"), ("close", "b"),
                                                            ("count", "b"), ("count", "a")])
    clock = Clock()
    assert play(RedisConnectionCounts(link, "s", 3), clock, script) == play(ConnectionCounts(3), clock, script)


def test_every_process_meets_one_limit(redis_url: str) -> None:
    """Two bridge processes' limits on one Redis: a client alternating between them gets one budget."""
    first, second = RedisLink(redis_url), RedisLink(redis_url)
    clock = Clock()
    try:
        a = EdgeLimits.create(60, 30, 30, 3, 5, 20, 900, 900, now=clock, shared=first)
        b = EdgeLimits.create(60, 30, 30, 3, 5, 20, 900, 900, now=clock, shared=second)
        answers = [(a if i % 2 else b).by_address.take("9.9.9.9") for i in range(12)]
        assert answers[:10] == [0.0] * 10 and answers[10] > 0 and answers[11] > 0
        for _ in range(4):
            a.login_users.failure("alice")
        assert b.login_users.failure("alice") is True  # the fifth failure, on the other process, locks
        assert a.login_users.locked_for("alice") == pytest.approx(900)
        ClusterPresence(first, 30).heartbeat()
        ClusterPresence(second, 30).heartbeat()
        assert a.sockets.open("ip") and b.sockets.open("ip") and a.sockets.open("ip")
        assert not b.sockets.open("ip")  # three open across both processes: the limit
        a.sockets.close("ip")
        assert b.sockets.open("ip")
        assert a.sockets.count("ip") == 3
    finally:
        first.sync.close()
        second.sync.close()


def test_a_dead_processs_sockets_stop_counting(redis_url: str) -> None:
    alive, dying = RedisLink(redis_url), RedisLink(redis_url)
    try:
        ClusterPresence(alive, 30).heartbeat()
        ClusterPresence(dying, 0.5).heartbeat()  # beats once, then "dies"
        mine, theirs = RedisConnectionCounts(alive, "s", 2), RedisConnectionCounts(dying, "s", 2)
        assert theirs.open("ip") and theirs.open("ip")
        assert not mine.open("ip")
        deadline = time.monotonic() + 10
        while not mine.open("ip"):  # its heartbeat lapsed after 0.5 s: its sockets no longer count
            assert time.monotonic() < deadline, "a dead process's sockets still counted after 10 s"
            time.sleep(0.1)
        assert mine.count("ip") == 1
    finally:
        alive.sync.close()
        dying.sync.close()


def test_unreachable_redis_allows() -> None:
    """Fail open: a Redis that does not answer must not refuse every customer."""
    down = RedisLink(f"redis://:pw@127.0.0.1:{free_port()}/0")
    try:
        limits = EdgeLimits.create(1, 1, 1, 1, 1, 1, 900, 900, shared=down)
        assert limits.by_address.take("x") == 0.0 and limits.by_address.take("x") == 0.0
        assert limits.guesses.wait("x") == 0.0
        assert limits.login_users.failure("u") is False and limits.login_users.locked_for("u") == 0.0
        assert limits.sockets.open("x") and limits.sockets.open("x")
    finally:
        down.sync.close()
