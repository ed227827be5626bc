"""The cluster's shared Rasa stores against real servers (tests/servers.py: a throwaway PostgreSQL and a Redis with
a password): bot/endpoints.cluster.yml read by Rasa itself builds the masking tracker store on PostgreSQL and the
atomic Redis lock store; two stores standing for two workers see one conversation in order, with nothing personal
in the database, and erase it; tickets taken at once by two workers are all different and served in order (Rasa's
own RedisLockStore hands out duplicates under the same race, which this test also shows)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import sqlalchemy as sa
from rasa.core.lock_store import LockError, LockStore, RedisLockStore
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.lock_store import AtomicRedisLockStore
from bot.tracker_store import MaskingSQLTrackerStore
from tests.servers import PostgresServer, RedisServer, ServerMissing, running_postgres, running_redis

ROOT = Path(__file__).resolve().parents[2]
CARD = "6212261202011234565"
DOMAIN = Domain.empty()


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    try:
        with running_postgres() as server:
            with sa.create_engine(pg_url(server, "postgres"), isolation_level="AUTOCOMMIT").connect() as conn:
                conn.exec_driver_sql("CREATE DATABASE rasa")
            yield server
    except ServerMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    try:
        with running_redis() as server:
            yield server
    except ServerMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture()
def endpoints(postgres: PostgresServer, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
              ) -> AvailableEndpoints:
    redis_server.flush()
    for name, value in {"ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook", "ACTIONS_SECRET": "x" * 32,
                        "TRACKER_DB_HOST": f"127.0.0.1:{postgres.port}", "TRACKER_DB_NAME": "rasa",
                        "TRACKER_DB_USER": postgres.user, "TRACKER_DB_PASSWORD": "unused-trust-auth",
                        "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_server.port),
                        "REDIS_PASSWORD": redis_server.password}.items():
        monkeypatch.setenv(name, value)
    return AvailableEndpoints.read_endpoints(str(ROOT / "bot" / "endpoints.cluster.yml"))


def pg_url(server: PostgresServer, db: str) -> str:
    return f"postgresql://{server.user}@127.0.0.1:{server.port}/{db}"  # psycopg2, Rasa's driver


def rows(postgres: PostgresServer, sender: str) -> List[str]:
    engine = sa.create_engine(pg_url(postgres, "rasa"))
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                             {"s": sender}).all()
    engine.dispose()
    return [f"{type_name} {data}" for type_name, data in found]


def test_the_cluster_endpoints_build_the_masking_store_on_postgresql_and_the_atomic_lock_store(
        endpoints: AvailableEndpoints, redis_server: RedisServer) -> None:
    store = TrackerStore.create(endpoints.tracker_store, domain=DOMAIN)
    inner = getattr(store, "_tracker_store", store)  # Rasa wraps it for its own fail-safety
    assert isinstance(inner, MaskingSQLTrackerStore) and inner.engine.dialect.name == "postgresql"
    lock_store = LockStore.create(endpoints.lock_store)
    assert isinstance(lock_store, AtomicRedisLockStore)
    assert lock_store.issue_ticket("c-auth") == 0
    with contextlib.closing(redis_server.client()) as client:
        client.execute_command("SELECT", 1)  # the lock store's database (the bridge has 0)
        assert any(key.endswith(b"c-auth") for key in client.scan_iter())
    os.environ["REDIS_PASSWORD"] = "wrong-password"
    # Redis refuses a wrong password: the lock store is authenticated
    with pytest.raises(LockError, match="(?i)auth|password"):
        LockStore.create(AvailableEndpoints.read_endpoints(str(ROOT / "bot" / "endpoints.cluster.yml"))
                         .lock_store).issue_ticket("c-auth")


def test_two_workers_share_one_conversation_in_order_masked_and_erased(
        endpoints: AvailableEndpoints, postgres: PostgresServer) -> None:
    first = MaskingSQLTrackerStore(domain=DOMAIN, host=endpoints.tracker_store.url, **endpoints.tracker_store.kwargs)
    second = MaskingSQLTrackerStore(domain=DOMAIN, host=endpoints.tracker_store.url, **endpoints.tracker_store.kwargs)
    sender = "cluster-order-1"

    async def conversation() -> DialogueStateTracker:
        tracker = DialogueStateTracker.from_events(sender, [UserUttered("你好", {"name": "greet"})])
        await first.save(tracker)
        for n, store in enumerate([second, first, second, first], 1):  # the workers alternate
            tracker = await store.retrieve(sender)
            assert tracker is not None
            tracker.update(ActionExecuted("action_listen"))
            tracker.update(UserUttered(f"第{n}句 卡号{CARD}", {"name": "inform"}))
            tracker.update(BotUttered(f"回复{n}"))
            await store.save(tracker)
        final = await first.retrieve(sender)
        assert final is not None
        return final

    final = asyncio.run(conversation())
    texts = [e.text for e in final.events if isinstance(e, (UserUttered, BotUttered))]
    assert [t.split(" ")[0] for t in texts] == ["你好", "第1句", "回复1", "第2句", "回复2", "第3句", "回复3", "第4句",
                                                "回复4"]
    stored = rows(postgres, sender)
    assert len(stored) == len(final.events) and not any(CARD in row for row in stored)
    assert sum(row.startswith("user ") for row in stored) == 5
    asyncio.run(second.save(DialogueStateTracker.from_events(sender, [])))  # the bridge's erasure, via the other
    assert rows(postgres, sender) == []


def take_tickets_at_once(stores: List[Any], conversation: str, per_store: int) -> List[int]:
    barrier = threading.Barrier(len(stores))
    tickets: List[int] = []
    guard = threading.Lock()

    def take(store: Any) -> None:
        barrier.wait()
        for _ in range(per_store):
            ticket = store.issue_ticket(conversation, 30)
            with guard:
                tickets.append(ticket)

    threads = [threading.Thread(target=take, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return tickets


def lock_stores(cls: Any, redis_server: RedisServer, count: int) -> List[Any]:
    return [cls(host="127.0.0.1", port=redis_server.port, password=redis_server.password, db=1)
            for _ in range(count)]


def test_tickets_taken_at_once_by_several_workers_are_all_different(redis_server: RedisServer) -> None:
    redis_server.flush()
    tickets = take_tickets_at_once(lock_stores(AtomicRedisLockStore, redis_server, 4), "c-race", 50)
    assert sorted(tickets) == list(range(200))


def test_rasas_own_redis_lock_store_hands_out_duplicate_tickets_under_the_same_race(
        redis_server: RedisServer) -> None:
    redis_server.flush()
    for _attempt in range(5):  # a race: very likely on the first attempt, certain over five
        tickets = take_tickets_at_once(lock_stores(RedisLockStore, redis_server, 4), f"c-stock-{_attempt}", 50)
        if len(set(tickets)) < len(tickets):
            return
    pytest.fail("Rasa's RedisLockStore gave 200 distinct tickets five times: the race this store fixes is gone")


def test_messages_of_one_conversation_on_two_workers_run_one_at_a_time_in_ticket_order(
        redis_server: RedisServer) -> None:
    redis_server.flush()
    workers = lock_stores(AtomicRedisLockStore, redis_server, 2)
    events: List[str] = []
    taken: Dict[int, int] = {}

    async def message(n: int) -> None:
        async with workers[n % 2].lock("c-serial", lock_lifetime=30, wait_time_in_seconds=0.01) as lock:
            taken[n] = lock.now_serving or 0
            events.append(f"start {n}")
            await asyncio.sleep(0.02)
            events.append(f"end {n}")

    async def all_messages() -> None:
        tasks = []
        for n in range(10):
            tasks.append(asyncio.create_task(message(n)))
            await asyncio.sleep(0)  # each takes its ticket in turn
        await asyncio.gather(*tasks)

    asyncio.run(all_messages())
    assert events == [f"{what} {n}" for n in range(10) for what in ("start", "end")]
    with contextlib.closing(redis_server.client()) as client:
        client.execute_command("SELECT", 1)
        assert not [k for k in client.scan_iter() if b"c-serial" in k]  # the lock is deleted once nobody waits


def test_endpoints_file_needs_every_variable() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_DB_", "REDIS_"))}
    out = subprocess.run([str(ROOT / ".venvs/rasa/bin/python"), "-c",
                          "from rasa.core.utils import AvailableEndpoints as A; "
                          "A.read_endpoints('bot/endpoints.cluster.yml')"],
                         cwd=ROOT, env={**env, "ACTION_ENDPOINT_URL": "x", "ACTIONS_SECRET": "y"},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "TRACKER_DB_HOST" in out.stderr + out.stdout
