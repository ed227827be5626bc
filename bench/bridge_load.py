"""Benchmark: the bridge under concurrent customers, side by side with the same load sent straight to Rasa.

    .venvs/app/bin/python bench/bridge_load.py [--clients 1,50,200] [--seconds 30]

Starts the real services (scripts/run_services.sh) on spare ports with a fresh data directory, then for each
concurrency level runs N simulated customers for a fixed time, each sending held-out questions one after
another (a new conversation every 5 messages):
  * bridge: POST /api/v1/conversations, then POST .../messages with the conversation token;
  * rasa:   POST /webhooks/rest/webhook (what the bridge itself calls).
Prints p50/p99 reply latency, throughput and errors for both, the bridge's p50 overhead, and checks the bridge
database afterwards: every message a customer sent is stored exactly once, in order (none lost or duplicated).
Messages that lead to a human (转人工, complaints, fraud) are left out: the load measures bot replies.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sqlite3
import statistics
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from harness import BENCH_DIR, Servers, heldout_messages, percentile, prepare_workdir, run_threads

CONVERSATION_LENGTH = 5
HANDOFF_INTENTS = ("human_handoff", "complaint", "fraud_alert", "out_of_scope", "kb_unhelpful",
                   "share_sensitive_info")


class Connection:
    """One keep-alive HTTP connection (stdlib http.client: a light load generator)."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.headers = headers or {}  # sent with every request (e.g. Rasa's channel secret)
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                token: str | None = None) -> tuple[int, Any]:
        """(status, JSON body); status 0 when the connection failed (it is reopened for the next call)."""
        headers = {"Content-Type": "application/json", **self.headers}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
            self.conn.request(method, path, data, headers)
            response = self.conn.getresponse()
            return response.status, json.loads(response.read() or b"null")
        except (OSError, http.client.HTTPException, ValueError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            return 0, None

    def post(self, path: str, body: dict[str, Any], token: str | None = None) -> tuple[int, Any]:
        return self.request("POST", path, body, token)


class Load:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors = 0
        self.sent: dict[str, list[str]] = defaultdict(list)  # bridge conversation -> texts accepted

    def record(self, ok: bool, ms: float) -> None:
        with self.lock:
            if ok:
                self.latencies.append(ms)
            else:
                self.errors += 1


def bridge_customer(url: str, messages: list[str], k: int, clients: int, deadline: float, load: Load) -> None:
    conn = Connection(url)
    i, sent, conv, token = k, 0, "", ""
    while time.monotonic() < deadline:
        if sent % CONVERSATION_LENGTH == 0:
            status, body = conn.post("/api/v1/conversations", {"channel": "web"})
            if status != 201:
                load.record(False, 0)
                continue
            conv, token = body["id"], body["token"]
        text = messages[i % len(messages)]
        started = time.perf_counter()
        status, body = conn.post(f"/api/v1/conversations/{conv}/messages", {"text": text}, token)
        ms = (time.perf_counter() - started) * 1000
        ok = status == 200 and any(m["from"] in ("bot", "system") for m in body["messages"])
        load.record(ok, ms)
        if status == 200:
            with load.lock:
                load.sent[conv].append(text)
        sent += 1
        i += clients


def rasa_customer(url: str, messages: list[str], k: int, clients: int, deadline: float, load: Load,
                  headers: dict[str, str] | None = None) -> None:
    conn = Connection(url, headers)
    i, sent, sender = k, 0, ""
    while time.monotonic() < deadline:
        if sent % CONVERSATION_LENGTH == 0:
            sender = f"load-{uuid.uuid4().hex[:10]}"
        started = time.perf_counter()
        status, body = conn.post("/webhooks/rest/webhook", {"sender": sender, "message": messages[i % len(messages)]})
        load.record(status == 200 and bool(body), (time.perf_counter() - started) * 1000)
        sent += 1
        i += clients


def run(target: str, url: str, messages: list[str], clients: int, seconds: float,
        rasa_headers: dict[str, str] | None = None) -> tuple[dict[str, float], Load]:
    load = Load()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=bridge_customer, args=(url, messages, k, clients, deadline, load))
               if target == "bridge" else
               threading.Thread(target=rasa_customer, args=(url, messages, k, clients, deadline, load, rasa_headers))
               for k in range(clients)]
    elapsed = run_threads(threads)
    stats = {"p50_ms": statistics.median(load.latencies) if load.latencies else 0.0,
             "p99_ms": percentile(load.latencies, 0.99), "msg_per_s": len(load.latencies) / elapsed,
             "errors": float(load.errors), "messages": float(len(load.latencies))}
    return stats, load


def check_database(db_path: Path, sent: dict[str, list[str]]) -> tuple[int, int]:
    """(lost, duplicated) customer messages: what each conversation stored against what its customer sent."""
    lost = duplicated = 0
    with sqlite3.connect(db_path) as db:
        for conv, texts in sent.items():
            stored = [t for (t,) in db.execute(
                "SELECT text FROM messages WHERE conversation_id = ? AND sender = 'customer' ORDER BY id", (conv,))]
            lost += max(0, len(texts) - len(stored))
            duplicated += max(0, len(stored) - len(texts))
            if stored[: len(texts)] != texts[: len(stored)]:
                lost += 1  # stored out of order or altered
    return lost, duplicated


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", default="1,50,200")
    ap.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()
    messages = [m for m in heldout_messages(HANDOFF_INTENTS) if not any(ch.isdigit() for ch in m)]
    workdir = BENCH_DIR / "bridge_load"
    if workdir.exists():
        import shutil

        shutil.rmtree(workdir)
    prepare_workdir(workdir)
    servers = Servers(workdir, {"AGENT_KB_SUGGESTIONS": "0", "RATE_LIMIT_IP_PER_MIN": "0"})  # all from loopback
    results: dict[str, dict[str, float]] = {}
    try:
        servers.wait_ready()
        for clients in (int(c) for c in args.clients.split(",")):
            for target, url in (("rasa", servers.url), ("bridge", servers.bridge_url)):
                print(f"{target}: {clients} customers for {args.seconds:.0f} s ...", flush=True)
                stats, load = run(target, url, messages, clients, args.seconds, servers.rasa_headers)
                if target == "bridge":
                    lost, duplicated = check_database(workdir / "bridge" / "bridge.db", load.sent)
                    stats.update(lost=float(lost), duplicated=float(duplicated))
                results[f"{target} x{clients}"] = stats
    finally:
        servers.stop()
    (BENCH_DIR / "bridge_load.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    names = list(results)
    print(f"\n{len(messages)} held-out messages, {args.seconds:.0f} s per run")
    print("| metric | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for key, fmt in (("p50_ms", "{:.1f}"), ("p99_ms", "{:.1f}"), ("msg_per_s", "{:.1f}"), ("messages", "{:.0f}"),
                     ("errors", "{:.0f}"), ("lost", "{:.0f}"), ("duplicated", "{:.0f}")):
        cells = [fmt.format(results[n][key]) if key in results[n] else "-" for n in names]
        print(f"| {key} | " + " | ".join(cells) + " |")
    for clients in args.clients.split(","):
        overhead = results[f"bridge x{clients}"]["p50_ms"] - results[f"rasa x{clients}"]["p50_ms"]
        print(f"bridge p50 overhead at {clients} customers: {overhead:.1f} ms")


if __name__ == "__main__":
    main()
