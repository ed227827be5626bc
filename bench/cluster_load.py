"""Benchmark (issue 17): the embedded single node (`make run`) against the cluster (`make cluster`) on this machine,
in one run, and the per-message cost of the cluster's shared pieces.

    .venvs/app/bin/python bench/cluster_load.py [--clients 50,200] [--seconds 30] [--rasa 2 --actions 2 --bridges 2]

1. The single node: scripts/run_services.sh (SQLite, one Rasa, one action server, one bridge) on spare ports.
2. The cluster: scripts/cluster.py (PostgreSQL, Redis, N Rasa workers, M action servers, K bridges behind HAProxy)
   in a scratch data directory under /tmp, on spare ports.
Each gets the same closed-loop load as bench/bridge_load.py (its customers, reused): N simulated customers through
the bridge's customer API, held-out questions one after another, a new conversation every 5 messages, no think
time. Per level: messages/s, p50/p99 reply latency, errors, and lost / duplicated customer messages checked in the
database afterwards (SQLite for the single node, PostgreSQL for the cluster); plus the CPU seconds all the
processes of the deployment used per message.
3. Per message cost of what the cluster adds, measured on its running servers while idle: a Redis PUBLISH of a
typical event (what each push to a socket costs), a PostgreSQL transaction inserting one message row, against the
same transaction on SQLite (WAL, synchronous=NORMAL, as the bridge configures it).
Writes $BENCH_DIR/cluster_load.json and prints the tables for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import requests
from bridge_load import HANDOFF_INTENTS, check_database, run
from harness import BENCH_DIR, ENV, ROOT, Servers, cpu_seconds, heldout_messages, percentile, prepare_workdir

APP_PY = str(ROOT / ".venvs" / "app" / "bin" / "python")
LOAD_ENV = {"AGENT_KB_SUGGESTIONS": "0", "RATE_LIMIT_IP_PER_MIN": "0"}  # every simulated customer is on loopback
EVENT = json.dumps({"type": "message", "conversation": "c" * 22, "message": {
    "id": 123456, "from": "bot", "text": "您好，我行营业时间为周一至周五 9:00-17:00，周末部分网点营业。" * 2,
    "buttons": [{"title": "有帮助", "payload": "/kb_helpful"}], "created_at": "2026-12-01T08:00:00Z"}},
    ensure_ascii=False)


def spare_base() -> tuple[int, int]:
    def free(port: int) -> bool:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return True
            except OSError:
                return False

    while True:
        base, public = random.randrange(20000, 40000, 100), random.randrange(40000, 50000)
        if free(public) and all(free(base + i) for i in range(0, 60)):
            return base, public


class ClusterRun:
    """scripts/cluster.py start in a scratch data directory; stop() is `cluster.py stop`."""

    def __init__(self, rasa: int, actions: int, bridges: int) -> None:
        self.data = Path(tempfile.mkdtemp(prefix="bench-cluster-", dir="/tmp"))
        os.chmod(self.data, 0o711)
        prepare_workdir(self.data)
        self.base, public = spare_base()
        self.url = f"http://127.0.0.1:{public}"
        self.env = {**{k: v for k, v in ENV.items() if k not in ("RASA_JWT_SECRET", "RASA_CHANNEL_SECRET",
                                                                 "ACTIONS_SECRET", "APP_ENV")},
                    "DATA_DIR": str(self.data), **LOAD_ENV}
        self.log = open(self.data / "cluster.out", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [APP_PY, str(ROOT / "scripts/cluster.py"), "start", "--rasa", str(rasa), "--actions", str(actions),
             "--bridges", str(bridges), "--port", str(public), "--base-port", str(self.base)],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while b"ready. Ctrl-C stops everything." not in (self.data / "cluster.out").read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((self.data / "cluster.out").read_text(errors="replace")[-3000:])
            time.sleep(1)
        conv = requests.post(f"{self.url}/api/v1/conversations", json={"channel": "web"}, timeout=60).json()
        requests.post(f"{self.url}/api/v1/conversations/{conv['id']}/messages", json={"text": "你好"},
                      headers={"Authorization": f"Bearer {conv['token']}"}, timeout=60).raise_for_status()

    def secrets(self) -> dict[str, str]:
        lines = (self.data / "cluster" / "secrets.env").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def supervisor(self) -> int:
        return int((self.data / "cluster" / "supervisor.pid").read_text())

    def stop(self) -> None:
        subprocess.run([APP_PY, str(ROOT / "scripts/cluster.py"), "stop"], cwd=ROOT, env=self.env, timeout=180,
                       capture_output=True)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


def check_postgres(secrets: dict[str, str], port: int, sent: dict[str, list[str]]) -> tuple[int, int]:
    """bridge_load.check_database's rule, on the cluster's PostgreSQL."""
    import psycopg

    lost = duplicated = 0
    with psycopg.connect(host="127.0.0.1", port=port, user="bank", dbname="bridge",
                         password=secrets["PG_PASSWORD"]) as conn:
        for conv, texts in sent.items():
            stored = [t for (t,) in conn.execute("SELECT text FROM messages WHERE conversation_id = %s AND "
                                                 "sender = 'customer' ORDER BY id", (conv,))]
            lost += max(0, len(texts) - len(stored))
            duplicated += max(0, len(stored) - len(texts))
            if stored[: len(texts)] != texts[: len(stored)]:
                lost += 1
    return lost, duplicated


def timed(operation: Callable[[], Any], count: int) -> dict[str, float]:
    for _ in range(min(50, count)):
        operation()  # warm connections and caches
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - started) * 1e6)
    return {"p50_us": statistics.median(samples), "p99_us": percentile(samples, 0.99),
            "mean_us": statistics.fmean(samples)}


def shared_piece_costs(secrets: dict[str, str], base: int, scratch: Path, count: int = 2000) -> dict[str, Any]:
    """One Redis publish, one PostgreSQL insert+commit, one SQLite insert+commit (µs, client-side wall time)."""
    import psycopg
    import redis

    results: dict[str, Any] = {}
    client = redis.Redis(host="127.0.0.1", port=base + 1, password=secrets["REDIS_PASSWORD"], db=0)
    results[f"Redis PUBLISH (one event, {len(EVENT.encode())} bytes)"] = timed(
        lambda: client.publish("bench:events", EVENT), count)
    client.close()
    row = ("c" * 22, "customer", "我的信用卡年费怎么收", "2026-12-01 08:00:00")
    with psycopg.connect(host="127.0.0.1", port=base, user="bank", dbname="bridge",
                         password=secrets["PG_PASSWORD"]) as conn:
        conn.execute("CREATE TEMP TABLE bench_messages (id serial PRIMARY KEY, conversation_id text, sender text, "
                     "text text, created_at timestamp)")
        conn.commit()

        def pg_insert() -> None:
            conn.execute("INSERT INTO bench_messages (conversation_id, sender, text, created_at) "
                         "VALUES (%s, %s, %s, %s)", row)
            conn.commit()

        results["PostgreSQL transaction (insert one message, commit)"] = timed(pg_insert, count)
    db = sqlite3.connect(scratch / "bench.db")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE bench_messages (id INTEGER PRIMARY KEY, conversation_id TEXT, sender TEXT, text TEXT, "
               "created_at TEXT)")

    def sqlite_insert() -> None:
        db.execute("INSERT INTO bench_messages (conversation_id, sender, text, created_at) VALUES (?, ?, ?, ?)", row)
        db.commit()

    results["SQLite transaction (insert one message, commit; WAL, synchronous=NORMAL)"] = timed(sqlite_insert, count)
    db.close()
    return results


def measure(name: str, url: str, pid: int, clients: int, seconds: float, messages: list[str],
            check: Callable[[dict[str, list[str]]], tuple[int, int]]) -> dict[str, float]:
    print(f"{name}: {clients} customers for {seconds:.0f} s ...", flush=True)
    cpu_before = cpu_seconds(pid)
    stats, load = run("bridge", url, messages, clients, seconds)
    cpu = cpu_seconds(pid) - cpu_before
    lost, duplicated = check(load.sent)
    stats.update(lost=float(lost), duplicated=float(duplicated),
                 cpu_ms_per_message=1000 * cpu / max(1.0, stats["messages"]))
    return stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", default="50,200")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--rasa", type=int, default=2)
    ap.add_argument("--actions", type=int, default=2)
    ap.add_argument("--bridges", type=int, default=2)
    args = ap.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    messages = [m for m in heldout_messages(HANDOFF_INTENTS) if not any(ch.isdigit() for ch in m)]
    results: dict[str, Any] = {}

    workdir = BENCH_DIR / "cluster_load_single"
    shutil.rmtree(workdir, ignore_errors=True)
    prepare_workdir(workdir)
    single = Servers(workdir, LOAD_ENV)
    try:
        single.wait_ready()
        for clients in levels:
            results[f"single x{clients}"] = measure(
                "single node", single.bridge_url, single.process.pid, clients, args.seconds, messages,
                lambda sent: check_database(workdir / "bridge" / "bridge.db", sent))
    finally:
        single.stop()

    cluster = ClusterRun(args.rasa, args.actions, args.bridges)
    try:
        cluster.wait_ready()
        secrets = cluster.secrets()
        results["costs"] = shared_piece_costs(secrets, cluster.base, cluster.data)
        for clients in levels:
            results[f"cluster x{clients}"] = measure(
                f"cluster ({args.rasa} Rasa, {args.actions} actions, {args.bridges} bridges)", cluster.url,
                cluster.supervisor(), clients, args.seconds, messages,
                lambda sent: check_postgres(secrets, cluster.base, sent))
    finally:
        cluster.stop()

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / "cluster_load.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    names = [f"{kind} x{c}" for c in levels for kind in ("single", "cluster")]
    print(f"\n{len(messages)} held-out messages, {args.seconds:.0f} s per column, closed loop (no think time); "
          f"cluster = {args.rasa} Rasa + {args.actions} action servers + {args.bridges} bridges + PostgreSQL + "
          f"Redis + HAProxy")
    print("| metric | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for key, fmt in (("msg_per_s", "{:.1f}"), ("p50_ms", "{:.0f}"), ("p99_ms", "{:.0f}"), ("messages", "{:.0f}"),
                     ("errors", "{:.0f}"), ("lost", "{:.0f}"), ("duplicated", "{:.0f}"),
                     ("cpu_ms_per_message", "{:.1f}")):
        print(f"| {key} | " + " | ".join(fmt.format(results[n][key]) for n in names) + " |")
    print("\n| shared piece, per operation | p50 µs | p99 µs | mean µs |\n|---|---|---|---|")
    for name, cost in results["costs"].items():
        print(f"| {name} | {cost['p50_us']:.0f} | {cost['p99_us']:.0f} | {cost['mean_us']:.0f} |")


if __name__ == "__main__":
    main()
