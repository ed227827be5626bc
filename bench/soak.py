"""Soak benchmark: many customers and a few agents at once through the bridge, then a longer run for memory.

    .venvs/app/bin/python bench/soak.py [--customers 200] [--agents 5] [--seconds 60] [--soak-minutes 10]

Phase 1: N customers for a fixed time, each asking held-out questions in conversations of 5 messages; one
conversation in 10 ends with 转人工 and one more message for the human. Agents (created for the run) are
online and serve what is routed to them: a reply, then close. Reported: customer reply latency p50/p99,
errors, handoffs served, and — checked against the bridge database — customer messages lost or duplicated.
Phase 2: a lighter load (20 customers) for --soak-minutes while the bridge's resident memory is sampled
every 10 s; reported: start, end, growth.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bridge_load import HANDOFF_INTENTS, Connection, Load, check_database
from harness import BENCH_DIR, ENV, ROOT, Servers, heldout_messages, percentile, prepare_workdir, run_threads

PASSWORD = "soak-pass-1"


def customer(url: str, messages: list[str], k: int, deadline: float, load: Load, handoffs: list[int]) -> None:
    conn = Connection(url)
    i, conversation_no = k, 0
    while time.monotonic() < deadline:
        status, body = conn.post("/api/v1/conversations", {"channel": "web"})
        if status != 201:
            load.record(False, 0)
            time.sleep(0.5)
            continue
        conv, token = body["id"], body["token"]
        conversation_no += 1
        wants_human = (k + conversation_no) % 10 == 0
        texts = [messages[(i + j) % len(messages)] for j in range(4)] + (["转人工", "请帮我看一下"] if wants_human
                                                                         else [messages[(i + 4) % len(messages)]])
        i += 7
        for text in texts:
            if time.monotonic() >= deadline:
                break
            started = time.perf_counter()
            status, body = conn.post(f"/api/v1/conversations/{conv}/messages", {"text": text}, token)
            ms = (time.perf_counter() - started) * 1000
            load.record(status == 200, ms)
            if status == 200:
                with load.lock:
                    load.sent[conv].append(text)
                if text == "转人工":
                    with load.lock:
                        handoffs.append(1)


def agent(url: str, username: str, stop: threading.Event, served: list[int]) -> None:
    conn = Connection(url)
    _, body = conn.post("/api/v1/auth/login", {"username": username, "password": PASSWORD})
    token = body["token"]
    import json
    import urllib.request

    def call(method: str, path: str, payload: dict | None = None) -> Any:
        req = urllib.request.Request(f"{url}{path}", method=method, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            data=json.dumps(payload or {}).encode() if method != "GET" else None)
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.loads(response.read() or b"null")

    call("PATCH", "/api/v1/agent/me", {"status": "online", "capacity": 5})
    while not stop.is_set():
        try:
            for conv in call("GET", "/api/v1/agent/conversations") or []:
                call("POST", f"/api/v1/agent/conversations/{conv['id']}/messages", {"text": "您好，已为您处理。"})
                call("POST", f"/api/v1/agent/conversations/{conv['id']}/close",  # with the 服务小结
                     {"disposition": "resolved", "note": "soak"})
                served.append(1)
        except OSError:
            pass
        stop.wait(0.5)
    call("PATCH", "/api/v1/agent/me", {"status": "offline"})


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bridge_pid(port: int) -> int:
    out = subprocess.run(["pgrep", "-f", f"api serve --port {port}"], capture_output=True, text=True).stdout.split()
    return int(out[0])


def phase(url: str, messages: list[str], customers: int, agents: int, seconds: float) -> tuple[Load, int, int]:
    load, handoffs, served = Load(), list[int](), list[int]()
    stop = threading.Event()
    staff = [threading.Thread(target=agent, args=(url, f"soak{a}", stop, served)) for a in range(agents)]
    for t in staff:
        t.start()
    time.sleep(1)
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=customer, args=(url, messages, k, deadline, load, handoffs))
               for k in range(customers)]
    run_threads(threads)
    time.sleep(3)  # let agents finish what is routed to them
    stop.set()
    for t in staff:
        t.join()
    return load, len(handoffs), len(served)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=200)
    ap.add_argument("--agents", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--soak-minutes", type=float, default=10)
    args = ap.parse_args()
    messages = [m for m in heldout_messages(HANDOFF_INTENTS) if not any(ch.isdigit() for ch in m)]
    workdir = BENCH_DIR / "soak"
    shutil.rmtree(workdir, ignore_errors=True)
    prepare_workdir(workdir)
    env = {**ENV, "DATA_DIR": str(workdir), "NEW_USER_PASSWORD": PASSWORD}
    for a in range(args.agents):
        subprocess.run([sys.executable, "-m", "api", "create-user", f"soak{a}", "--role", "agent", "--capacity", "5",
                        "--skills", "通用,信用卡,理财,证券"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    servers = Servers(workdir, {"AGENT_KB_SUGGESTIONS": "0", "RATE_LIMIT_IP_PER_MIN": "0"})
    try:
        servers.wait_ready()
        url = servers.bridge_url
        print(f"phase 1: {args.customers} customers + {args.agents} agents for {args.seconds:.0f} s ...", flush=True)
        load, handoffs, served = phase(url, messages, args.customers, args.agents, args.seconds)
        lost, duplicated = check_database(workdir / "bridge" / "bridge.db", load.sent)
        print("| customers | messages | errors | p50 ms | p99 ms | handoffs | served by agents | lost | duplicated |")
        print("|---|---|---|---|---|---|---|---|---|")
        print(f"| {args.customers} | {len(load.latencies)} | {load.errors} | "
              f"{statistics.median(load.latencies):.0f} | {percentile(load.latencies, 0.99):.0f} | {handoffs} | "
              f"{served} | {lost} | {duplicated} |", flush=True)
        if args.soak_minutes > 0:
            pid = bridge_pid(servers.bridge_port)
            samples = [rss_mb(pid)]
            print(f"phase 2: 20 customers for {args.soak_minutes:g} min, bridge RSS sampled every 10 s ...", flush=True)
            end = time.monotonic() + args.soak_minutes * 60
            result: list[tuple[Load, int, int]] = []
            runner = threading.Thread(target=lambda: result.append(
                phase(url, messages, 20, 1, args.soak_minutes * 60)))
            runner.start()
            while time.monotonic() < end:
                time.sleep(10)
                samples.append(rss_mb(pid))
            runner.join()
            soak = result[0][0]
            print(f"phase 2: {len(soak.latencies)} messages, {soak.errors} errors, bridge pid {pid}")
            warm = samples[min(3, len(samples) - 1)]
            print(f"bridge RSS: start {samples[0]:.0f} MB, end {samples[-1]:.0f} MB, max {max(samples):.0f} MB, "
                  f"growth {samples[-1] - samples[0]:+.0f} MB over {args.soak_minutes:g} min "
                  f"({len(samples)} samples; after the first 30 s: {samples[-1] - warm:+.0f} MB)")
    finally:
        servers.stop()


if __name__ == "__main__":
    main()
