"""Benchmark: where one customer message's milliseconds go, stage by stage, on a fixed sequential workload.

    .venvs/app/bin/python bench/message_cost.py [--conversations 30]

Starts the real services (scripts/run_services.sh) in a fresh data directory; the workload is mixed_traffic's
conversations (standard questions, long-tail KB questions, forms, 转人工), seeded, sent one message at a time:
  1. the bridge in this process (create_app on the running Rasa, driven through its ASGI interface) under
     cProfile with a CPU timer: guards, masking, word filter, database, Rasa client, WebSocket hub, metrics,
     serialisation, the rest; meanwhile the Rasa and action-server processes' CPU is read from /proc around every
     message, per path;
  2. Rasa in-process in its own venv (bench/rasa_cost.py): NLU pipeline by component, policies, tracker store,
     the action call, responses;
  3. the KB lookup (encode + search + ranking) in this process with the serving thread configuration.
Prints CPU ms per message per stage (the physical cost: what a core spends, waiting excluded) and wall times,
and writes var/bench/message_cost.json. Run on an otherwise idle machine (the /proc figures count all work).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from harness import BENCH_DIR, ENV, RASA_VENV, ROOT, Servers, cpu_seconds, heldout_messages, prepare_workdir
from mixed_traffic import MIX, NOT_PLAIN, long_tail, script
from profile_stages import StageClock

sys.path.insert(0, str(ROOT))  # the bridge and the KB run in this process

BRIDGE_TOTAL = "bridge: whole request (the ASGI app, event-loop thread)"


def instrument_bridge(clock: StageClock) -> None:
    """Wrap the bridge's stage entry points; before ``api`` is imported, so names it imports from common.pii
    are the wrapped ones."""
    import fastapi.routing
    import sqlalchemy.orm.session as orm
    from starlette.responses import JSONResponse

    import common.pii

    clock.patch("PII masking (common.pii)", common.pii, "mask_pii", "mask_escaped", "mask_with_context",
                "mask_data", "find_pii")
    clock.patch("database (SQLAlchemy ORM + SQLite)", orm.Session, "execute", "scalars", "scalar", "get", "flush",
                "commit", "rollback", "close", "merge", "refresh", "begin")
    clock.patch("database (SQLAlchemy ORM + SQLite)", orm.SessionTransaction, "commit", "rollback", "close",
                "__exit__")
    clock.patch("response validation + JSON", fastapi.routing, "serialize_response")
    clock.patch("response validation + JSON", JSONResponse, "render")
    from api.compliance.guards import Guard
    from api.compliance.sensitive_words import SensitiveWords
    from api.conversation.hub import Hub
    from api.rasa_client import RasaClient
    from api.reports.prometheus import Registry

    clock.patch("guards (size, rate limits, headers)", Guard, "_refusal")
    clock.patch("sensitive-word filter", SensitiveWords, "find")
    clock.patch("Rasa client (HTTP + JSON; the wait is not CPU)", RasaClient, "send")
    clock.patch("WebSocket pushes", Hub, "to_customer", "to_agent", "to_all_agents")
    clock.patch("metrics", Registry, "inc", "observe")


def workload(conversations: int, intents: list[str], kb: list[str]) -> list[list[tuple[str, str]]]:
    """Seeded conversations in mixed_traffic's proportions; a handoff ends at 转人工 (no agent is online)."""
    rng = random.Random(7)
    out = []
    for _ in range(conversations):
        kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
        out.append(script(kind, rng, intents, kb) + ([("handoff", "转人工")] if kind == "handoff" else []))
    return out


async def bridge_profile(servers: Servers, convs: list[list[tuple[str, str]]]) -> dict[str, Any]:
    """Drive an in-process bridge (on the running Rasa) through the workload: CPU per stage of the measured
    messages, their wall time, the Rasa round trip, and the Rasa and action-server processes' CPU per path."""
    import httpx

    clock = StageClock()
    instrument_bridge(clock)
    from api.app import create_app
    from api.rasa_client import RasaClient

    rasa_ms: list[float] = []
    send = RasaClient.send

    async def timed_send(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await send(self, *args, **kwargs)
        finally:
            rasa_ms.append((time.perf_counter() - started) * 1000)

    RasaClient.send = timed_send  # type: ignore[method-assign]
    app = create_app()
    total: list[float] = []

    async def whole_app(scope: Any, receive: Any, send: Any) -> None:
        started = time.thread_time()
        await app(scope, receive, send)
        if clock.enabled:
            total.append((time.thread_time() - started) * 1000)

    pids = servers.service_pids()
    wall: list[float] = []
    process: list[float] = []  # the whole bridge process (threads too: sync dependencies run on a thread pool)
    cpu: dict[str, dict[str, list[float]]] = {"rasa": defaultdict(list), "actions": defaultdict(list)}
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=whole_app), base_url="http://bridge") as client:
        for round_ in ("warm-up", "measured"):
            for turns in convs:
                clock.enabled = False
                created = (await client.post("/api/v1/conversations", json={"channel": "web"})).json()
                auth = {"Authorization": f"Bearer {created['token']}"}
                for path, text in turns:
                    before = {name: cpu_seconds(pids[name]) for name in cpu}
                    started, started_cpu = time.perf_counter(), time.process_time()
                    clock.enabled = round_ == "measured"
                    reply = await client.post(f"/api/v1/conversations/{created['id']}/messages", json={"text": text},
                                              headers=auth)
                    clock.enabled = False
                    if reply.status_code != 200:
                        raise RuntimeError(f"bridge answered {reply.status_code}: {reply.text[:200]}")
                    if round_ == "measured":
                        wall.append((time.perf_counter() - started) * 1000)
                        process.append((time.process_time() - started_cpu) * 1000)
                        time.sleep(0.05)  # let the action server's and Rasa's tails land in their counters
                        for name in cpu:
                            cpu[name][path].append((cpu_seconds(pids[name]) - before[name]) * 1000)
            if round_ == "warm-up":
                rasa_ms.clear()
    RasaClient.send = send  # type: ignore[method-assign]
    messages = len(wall)
    app_ms = sum(total) / messages
    stages = clock.ms_per(messages)
    rest = ("rest: routing, dependencies, conversation logic, pydantic models",
            max(0.0, app_ms - sum(ms for _, ms in stages)))
    return {"messages": messages, "wall_p50": statistics.median(wall), "rasa_wall_p50": statistics.median(rasa_ms),
            "process_cpu_mean": statistics.mean(process), "stages": [(BRIDGE_TOTAL, app_ms), *stages, rest],
            "process_cpu": {name: {path: sum(v) / len(v) for path, v in by_path.items()} | {
                "all": sum(sum(v) for v in by_path.values()) / messages} for name, by_path in cpu.items()}}


def rasa_profile(workdir: Path, servers: Servers, convs: list[list[tuple[str, str]]]) -> dict[str, Any]:
    spec = workdir / "rasa_workload.json"
    spec.write_text(json.dumps([[text for _, text in turns] for turns in convs], ensure_ascii=False),
                    encoding="utf-8")
    out = workdir / "rasa_cost.json"
    env = {**ENV, **servers.secrets, "DATA_DIR": str(workdir / "rasa-profile"),
           "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{servers.actions_port}/webhook"}
    (workdir / "rasa-profile" / "rasa").mkdir(parents=True, exist_ok=True)
    done = subprocess.run([str(RASA_VENV / "python"), str(Path(__file__).with_name("rasa_cost.py")), "--model",
                           str(workdir / "models" / "bot.tar.gz"), "--workload", str(spec), "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the Rasa profile failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def kb_floor(workdir: Path, texts: list[str]) -> dict[str, float]:
    """encode + search + ranking of the KB questions, in this process, serving thread configuration, idle."""
    from kb_index.policy import Thresholds
    from kb_index.service import KbService
    from kb_index.settings import KbSettings

    settings = KbSettings(data_dir=workdir)
    service = KbService(settings.kb_dir, Thresholds(settings.answer_threshold, settings.suggest_threshold))
    service.reload_if_changed()
    for text in texts[:5]:
        service.lookup(text)
    wall, cpu = [], []
    for text in texts:
        started, started_cpu = time.perf_counter(), time.process_time()
        service.lookup(text)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {"wall_p50": statistics.median(wall), "cpu_mean": statistics.mean(cpu), "n": float(len(texts))}


def print_report(bridge: dict[str, Any], rasa: dict[str, Any], kb: dict[str, float]) -> None:
    def row(label: str, ms: float, note: str = "") -> None:
        print(f"| {label} | {ms:.2f} | {note} |")

    print("\n| stage | CPU ms per message | note |\n|---|---|---|")
    for label, ms in bridge["stages"]:
        row(label if label.startswith("bridge") else f"  {label}", ms, "event-loop thread" if label.startswith(
            "bridge") else "")
    row("bridge process, all threads", bridge["process_cpu_mean"], "incl. the load generator's client (in-process)")
    for name, label in (("rasa", "Rasa server process (/proc)"), ("actions", "action server process (/proc)")):
        by_path = bridge["process_cpu"][name]
        paths = ", ".join(f"{p} {v:.1f}" for p, v in by_path.items() if p != "all")
        row(label, by_path["all"], f"per path: {paths}")
        if name == "rasa":
            for stage, ms in rasa["stages"]:
                row(f"  {stage}", ms, "in-process profile" if stage.startswith("Rasa") else "")
            for component, ms in rasa["components"][:8]:
                row(f"    {component}", ms)
    row("KB lookup: encode + search + ranking (in-process, idle)", kb["cpu_mean"], f"wall p50 {kb['wall_p50']:.1f} ms")
    print(f"\nwall: bridge p50 {bridge['wall_p50']:.1f} ms per message, of which the Rasa round trip p50 "
          f"{bridge['rasa_wall_p50']:.1f} ms; Rasa in-process {rasa['wall_ms']:.1f} ms per message (mean)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conversations", type=int, default=30)
    args = ap.parse_args()
    from kb_index.threads import configure_process

    configure_process()  # as the bridge and the action server do, before numeric libraries load
    workdir = BENCH_DIR / "message_cost"
    shutil.rmtree(workdir, ignore_errors=True)
    prepare_workdir(workdir)
    servers = Servers(workdir, {"AGENT_KB_SUGGESTIONS": "0"})
    try:
        servers.wait_ready()
        kb = long_tail(servers.url, servers.rasa_headers, limit=20)
        intents = [m for m in heldout_messages(NOT_PLAIN) if not any(ch.isdigit() for ch in m)]
        convs = workload(args.conversations, intents, kb)
        os.environ.update({**servers.secrets, "DATA_DIR": str(workdir / "bridge-profile"), "RASA_URL": servers.url,
                           "AGENT_KB_SUGGESTIONS": "0", "RATE_LIMIT_IP_PER_MIN": "0",
                           "RATE_LIMIT_CONVERSATION_PER_MIN": "0"})
        print(f"bridge in-process, {sum(len(c) for c in convs)} messages x 2 ...", flush=True)
        bridge = asyncio.run(bridge_profile(servers, convs))
        print("Rasa in-process ...", flush=True)
        rasa = rasa_profile(workdir, servers, convs)
    finally:
        servers.stop()
    print("KB lookups in-process ...", flush=True)
    floor = kb_floor(workdir, kb)
    (BENCH_DIR / "message_cost.json").write_text(json.dumps({"bridge": bridge, "rasa": rasa, "kb": floor},
                                                            ensure_ascii=False, indent=1), encoding="utf-8")
    print_report(bridge, rasa, floor)


if __name__ == "__main__":
    main()
