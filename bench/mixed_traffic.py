"""Benchmark: mixed customer traffic through the bridge, with simulated agents, beside the same bot traffic sent
straight to Rasa, at several concurrency levels and think times, then during a KB rebuild, in one run.

    .venvs/app/bin/python bench/mixed_traffic.py [--clients 1,50,200] [--think-ms 0,3000] [--seconds 30]
        [--agents 8] [--rebuild-clients 50]

Starts the real services (scripts/run_services.sh) in a fresh data directory and creates agent accounts. Each
simulated customer holds one conversation after another, for a fixed time, with no think time (closed loop:
as many messages as the services serve) or an exponential think time between messages (``--think-ms``), each
conversation one of (weights in MIX):
  * intent  - three standard questions (held-out utterances of intents with a plain answer);
  * kb      - a standard question, then a long-tail question answered from the KB (FAQ questions the NLU does
              not cover: checked at start-up to reach the KB action), then another standard question;
  * form    - a multi-turn form (card loss, branch finder, transfer limit), three turns;
  * handoff - a standard question, then 转人工; an agent (over the agent WebSocket, as the console) takes the chat,
              loads the KB suggestions, greets the customer; the customer answers, the agent closes (with the
              服务小结), and the customer gives the survey's NPS score.
Agents are online with capacity 5 and react to `assigned` and `message` events. The Rasa-direct run sends the
bot's part of the same conversations to the REST webhook (a handoff ends at the handoff signal).

Reported per target and concurrency: p50/p95/p99 per path (intent, kb, form, handoff = the 转人工 round trip,
to_agent = from 转人工 until the agent's first reply reaches the customer's WebSocket, agent_msg = a message to
the agent; the four bot paths together, with their mean and rate; the KB lookup's own time in the action server,
from the KB context it returns), errors, KB lookups answered by the lexical stand-in (kb_index.budget), and,
checked against the bridge database, customer messages lost or duplicated, and agent replies received twice.
Then the bridge's p50 overhead over Rasa-direct per bot path. Under a closed loop past saturation, p50s compare
queueing orders more than costs (Rasa alone serves some paths first), so the mean of all bot messages is printed
too: by Little's law it is customers / throughput. Writes var/bench/mixed_traffic.json. The load generator runs
on the same cores.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml
from bridge_load import HANDOFF_INTENTS, Connection, check_database
from harness import BENCH_DIR, ENV, ROOT, Servers, heldout_messages, percentile, prepare_workdir, run_threads

MIX = {"intent": 0.55, "kb": 0.2, "form": 0.15, "handoff": 0.1}
FORMS = (("我的银行卡丢了怎么办", "借记卡", "尾号1234"), ("附近有没有网点", "杭州", "大额取现"),
         ("我想调整转账限额", "手机银行", "20万"))
NOT_PLAIN = (*HANDOFF_INTENTS, "card_report_loss", "branch_locator", "transfer_limit_change", "affirm", "deny",
             "inform", "kb_select", "kb_helpful", "kb_unhelpful", "nlu_fallback", "goodbye")
BOT_PATHS = ("intent", "kb", "form", "handoff")
PATHS = (*BOT_PATHS, "to_agent", "agent_msg", "bot (all four paths)", "KB lookup in the action server")
PASSWORD = "mixed-pass-1"
GREETING = "您好，我是人工客服，请问有什么可以帮您？"


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.sent: dict[str, list[str]] = defaultdict(list)  # conversation -> customer texts as the bridge stored them
        self.agent_replies: dict[int, int] = defaultdict(int)  # agent message id -> times a customer received it
        self.kb_degraded = self.kb_seen = self.served = 0
        self.kb_lookup_ms: list[float] = []  # the action server's own lookup time (its KB context says it)

    def record(self, path: str, ok: bool, ms: float) -> None:
        with self.lock:
            if ok:
                self.ms[path].append(ms)
            else:
                self.errors[path] += 1


def kb_questions() -> list[str]:
    """Every question of the FAQ sources (standard and similar)."""
    out = []
    for path in sorted((ROOT / "kb_index" / "faq").glob("*.yml")):
        for entry in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("entries", []):
            out += [str(entry["question"]), *[str(q) for q in entry.get("similar") or []]]
    return out


def long_tail(rasa_url: str, headers: dict[str, str], limit: int = 60) -> list[str]:
    """FAQ questions the bot answers from the KB (its reply carries the KB context), found by asking Rasa."""
    conn, found = Connection(rasa_url, headers), []
    candidates = kb_questions()
    random.Random(0).shuffle(candidates)
    for i, text in enumerate(candidates[:limit * 4]):
        status, body = conn.post("/webhooks/rest/webhook", {"sender": f"probe-{i}", "message": text})
        if status == 200 and any("kb" in (r.get("custom") or {}) for r in body or []):
            found.append(text)
        if len(found) >= limit:
            break
    return found


def script(kind: str, rng: random.Random, intents: list[str], kb: list[str]) -> list[tuple[str, str]]:
    """(path, text) turns of a conversation of this kind (the handoff's part before 转人工)."""
    if kind == "intent":
        return [("intent", rng.choice(intents)) for _ in range(3)]
    if kind == "kb":
        return [("intent", rng.choice(intents)), ("kb", rng.choice(kb)), ("intent", rng.choice(intents))]
    if kind == "form":
        return [("form", text) for text in rng.choice(FORMS)]
    return [("intent", rng.choice(intents))]


def think(rng: random.Random, mean_s: float, deadline: float) -> None:
    """A customer reading and typing: exponential with mean ``mean_s`` (0: none, a closed loop)."""
    if mean_s > 0:
        time.sleep(max(0.0, min(rng.expovariate(1 / mean_s), deadline - time.monotonic())))


def bot_replied(body: Any) -> bool:
    return isinstance(body, dict) and any(m["from"] in ("bot", "system") for m in body.get("messages", []))


class Chat:
    """One customer conversation through the bridge's customer API."""

    def __init__(self, conn: Connection, conv: str, token: str, stats: Stats) -> None:
        self.conn, self.conv, self.token, self.stats = conn, conv, token, stats

    def say(self, path: str, text: str | None = None, payload: str | None = None, bot: bool = True) -> Any:
        """Send; record the latency under ``path`` (an error when ``bot`` and no bot/system reply came back)
        and the customer's message as the bridge stored it."""
        started = time.perf_counter()
        status, body = self.conn.post(f"/api/v1/conversations/{self.conv}/messages",
                                      {"text": text} if payload is None else {"payload": payload}, self.token)
        ms = (time.perf_counter() - started) * 1000
        self.stats.record(path, status == 200 and (bot_replied(body) or not bot), ms)
        if status == 200 and body["messages"] and body["messages"][0]["from"] == "customer":
            with self.stats.lock:
                self.stats.sent[self.conv].append(body["messages"][0]["text"])
        return body if status == 200 else None


def open_socket(url: str, path: str, token: str) -> Any:
    """A bridge WebSocket, the token offered as a subprotocol (``bankcs.v1, bearer.<token>``; api/staff/sockets.py),
    never in the URL."""
    from websockets.sync.client import connect
    from websockets.typing import Subprotocol

    return connect(url.replace("http://", "ws://") + path, open_timeout=30,
                   subprotocols=[Subprotocol("bankcs.v1"), Subprotocol(f"bearer.{token}")])


def bridge_customer(url: str, k: int, deadline: float, stats: Stats, intents: list[str], kb: list[str],
                    think_s: float = 0.0) -> None:
    conn, rng = Connection(url), random.Random(k)
    while time.monotonic() < deadline:
        status, body = conn.post("/api/v1/conversations", {"channel": "web"})
        if status != 201:
            stats.record("start", False, 0)
            time.sleep(0.2)
            continue
        chat = Chat(conn, body["id"], body["token"], stats)
        kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if kind != "handoff":
            for path, text in script(kind, rng, intents, kb):
                if time.monotonic() >= deadline:
                    break
                chat.say(path, text)
                think(rng, think_s, deadline)
            continue
        try:
            handoff(url, chat, script(kind, rng, intents, kb), stats)
        except Exception as exc:  # noqa: BLE001 - a refused or dropped socket is an error, not the end of the run
            stats.record("to_agent", False, 0)
            print(f"customer {k}: handoff failed: {exc.__class__.__name__}: {exc}", flush=True)
            time.sleep(0.5)


def handoff(url: str, chat: Chat, before: list[tuple[str, str]], stats: Stats) -> None:
    """A question, 转人工, the agent's greeting on the customer's socket, a reply to the agent, the agent closes,
    the customer gives the NPS score."""
    with open_socket(url, f"/api/v1/conversations/{chat.conv}/ws", chat.token) as ws:
        for path, text in before:
            chat.say(path, text)
        started = time.perf_counter()
        if chat.say("handoff", "转人工") is None:
            return
        greeted = wait_for(ws, lambda e: e["type"] == "message" and e["message"]["from"] == "agent", 60, stats)
        stats.record("to_agent", greeted, (time.perf_counter() - started) * 1000)
        if not greeted:
            return
        chat.say("agent_msg", "好的，谢谢", bot=False)
        if wait_for(ws, lambda e: e["type"] == "state" and e["state"] == "bot", 30, stats):
            chat.say("survey", "10")  # a typed NPS score (the survey's buttons would do the same)


def wait_for(ws: Any, wanted: Any, timeout: float, stats: Stats) -> bool:
    """Read customer events until ``wanted(event)``; counts each agent reply received (duplicates show)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            event = json.loads(ws.recv(timeout=max(0.01, end - time.monotonic())))
        except TimeoutError:
            return False
        if event.get("type") == "message" and event["message"]["from"] == "agent":
            with stats.lock:
                stats.agent_replies[event["message"]["id"]] += 1
        if wanted(event):
            return True
    return False


def agent(url: str, username: str, stop: threading.Event, stats: Stats) -> None:
    """A console user: online, greets what is assigned (after loading KB suggestions), closes once answered."""
    conn = Connection(url)
    _, body = conn.post("/api/v1/auth/login", {"username": username, "password": PASSWORD})
    token = body["token"]
    mine: set[str] = set()
    with open_socket(url, "/api/v1/agent/ws", token) as ws:
        conn.request("PATCH", "/api/v1/agent/me", {"status": "online", "capacity": 5}, token)
        while not stop.is_set():
            try:
                event = json.loads(ws.recv(timeout=0.5))
            except TimeoutError:
                continue
            if event["type"] == "assigned":
                conv = event["conversation"]["id"]
                mine.add(conv)
                conn.request("GET", f"/api/v1/agent/kb-suggestions?conversation_id={conv}", None, token)
                conn.post(f"/api/v1/agent/conversations/{conv}/messages", {"text": GREETING}, token)
            elif event["type"] == "message" and event.get("conversation_id") in mine:
                conv = event["conversation_id"]
                status, reply = conn.post(f"/api/v1/agent/conversations/{conv}/close",  # with the 服务小结
                                          {"disposition": "resolved", "note": "bench"}, token)
                mine.discard(conv)
                if status == 200:
                    with stats.lock:
                        stats.served += 1
                else:
                    stats.record("agent_close", False, 0)
                    print(f"{username}: close refused ({status}): {str(reply)[:200]}", flush=True)
        conn.request("PATCH", "/api/v1/agent/me", {"status": "offline"}, token)


def warm_agent_suggestions(url: str) -> None:
    """The bridge loads its KB (for agents' suggestions) on first use: load it before measuring, as a bridge that
    has served an agent already has."""
    conn = Connection(url)
    _, body = conn.post("/api/v1/auth/login", {"username": "agent0", "password": PASSWORD})
    conn.request("GET", "/api/v1/agent/kb-suggestions?q=%E8%BD%AC%E8%B4%A6%E9%99%90%E9%A2%9D", None, body["token"])


def rasa_customer(url: str, headers: dict[str, str], k: int, deadline: float, stats: Stats, intents: list[str],
                  kb: list[str], think_s: float = 0.0) -> None:
    conn, rng, n = Connection(url, headers), random.Random(k), 0
    while time.monotonic() < deadline:
        n += 1
        sender = f"mixed-{k}-{n}"
        kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
        turns = script(kind, rng, intents, kb) + ([("handoff", "转人工")] if kind == "handoff" else [])
        for path, text in turns:
            if time.monotonic() >= deadline:
                break
            started = time.perf_counter()
            status, body = conn.post("/webhooks/rest/webhook", {"sender": sender, "message": text})
            stats.record(path, status == 200 and bool(body), (time.perf_counter() - started) * 1000)
            kb_context = next((r["custom"]["kb"] for r in body or [] if "kb" in (r.get("custom") or {})), None)
            if kb_context is not None:
                with stats.lock:
                    stats.kb_seen += 1
                    stats.kb_degraded += "degraded" in kb_context
                    if "lookup_ms" in kb_context:
                        stats.kb_lookup_ms.append(float(kb_context["lookup_ms"]))
            think(rng, think_s, deadline)


def bridge_kb_contexts(db_path: Path, since_id: int) -> list[dict[str, Any]]:
    """The KB contexts the bridge stored after message ``since_id`` (message meta): one per KB lookup."""
    with sqlite3.connect(db_path) as db:
        metas = [json.loads(m) for (m,) in db.execute(
            "SELECT meta_json FROM messages WHERE id > ? AND meta_json IS NOT NULL", (since_id,))]
    return [m["kb"] for m in metas if isinstance(m, dict) and isinstance(m.get("kb"), dict)]


def last_message_id(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()[0])


class Rebuilding:
    """``python -m kb_index build`` in the services' data directory from an empty vector cache, restarted as it
    ends (a trainer's KB edit; the action server hot-swaps each new version), until the block ends."""

    def __init__(self, workdir: Path) -> None:
        self.workdir, self.stop, self.builds = workdir, threading.Event(), 0
        self.process: subprocess.Popen[bytes] | None = None
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self.stop.is_set():
            shutil.rmtree(self.workdir / "kb" / "cache", ignore_errors=True)
            self.process = subprocess.Popen([sys.executable, "-m", "kb_index", "build"], cwd=ROOT,
                                            env={**ENV, "DATA_DIR": str(self.workdir)},
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.process.wait()
            self.builds += 1

    def __enter__(self) -> Rebuilding:
        self.thread.start()
        time.sleep(3)  # the build is encoding before the customers start
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        self.thread.join()


def run_level(servers: Servers, workdir: Path, target: str, clients: int, seconds: float, agents: int,
              intents: list[str], kb: list[str], think_s: float = 0.0, rebuild: bool = False) -> dict[str, Any]:
    if rebuild:
        with Rebuilding(workdir) as rebuilding:
            during = run_level(servers, workdir, target, clients, seconds, agents, intents, kb, think_s)
        return {**during, "rebuilds_finished": rebuilding.builds}
    stats, stop = Stats(), threading.Event()
    deadline = time.monotonic() + seconds
    staff: list[threading.Thread] = []
    db = workdir / "bridge" / "bridge.db"
    if target == "bridge":
        since = last_message_id(db)
        staff = [threading.Thread(target=agent, args=(servers.bridge_url, f"agent{a}", stop, stats))
                 for a in range(agents)]
        for t in staff:
            t.start()
        time.sleep(1)
        threads = [threading.Thread(target=bridge_customer,
                                    args=(servers.bridge_url, k, deadline, stats, intents, kb, think_s))
                   for k in range(clients)]
    else:
        threads = [threading.Thread(target=rasa_customer,
                                    args=(servers.url, servers.rasa_headers, k, deadline, stats, intents, kb, think_s))
                   for k in range(clients)]
    elapsed = run_threads(threads)
    stop.set()
    for t in staff:
        t.join()
    if target == "bridge":
        contexts = bridge_kb_contexts(db, since)
        stats.kb_seen, stats.kb_degraded = len(contexts), sum("degraded" in c for c in contexts)
        stats.kb_lookup_ms = [float(c["lookup_ms"]) for c in contexts if "lookup_ms" in c]
    series = {**stats.ms, "bot (all four paths)": [ms for p in BOT_PATHS for ms in stats.ms.get(p, [])],
              "KB lookup in the action server": stats.kb_lookup_ms}
    result: dict[str, Any] = {"elapsed_s": elapsed, "errors": dict(stats.errors), "paths": {},
                              "bot_msg_per_s": len(series["bot (all four paths)"]) / elapsed,
                              "kb_lookups": stats.kb_seen, "kb_degraded": stats.kb_degraded}
    for path, values in series.items():
        if values:
            result["paths"][path] = {"n": len(values), "p50": statistics.median(values),
                                     "mean": statistics.mean(values), "p95": percentile(values, 0.95),
                                     "p99": percentile(values, 0.99)}
    if target == "bridge":
        result["lost"], result["duplicated"] = check_database(db, stats.sent)
        result["agent_reply_duplicates"] = sum(n - 1 for n in stats.agent_replies.values() if n > 1)
        result["served"] = stats.served
    return result


def print_tables(results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    print("\n| path: p50 / p95 / p99 ms (n) | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for path in PATHS:
        cells = []
        for name in names:
            p = results[name]["paths"].get(path)
            cells.append(f"{p['p50']:.0f} / {p['p95']:.0f} / {p['p99']:.0f} ({p['n']})" if p else "-")
        print(f"| {path} | " + " | ".join(cells) + " |")
    for key, label in (("bot_msg_per_s", "bot messages / s"), ("bot_mean", "bot mean ms (Little: customers / rate)"),
                       ("errors", "errors"), ("kb_degraded", "KB lookups degraded"), ("lost", "lost"),
                       ("duplicated", "duplicated"), ("agent_reply_duplicates", "agent replies received twice"),
                       ("served", "handoffs served")):
        cells = []
        for name in names:
            value = results[name].get(key)
            if key == "bot_msg_per_s":
                value = f"{value:.1f}"
            elif key == "bot_mean":
                bot = results[name]["paths"].get("bot (all four paths)")
                value = f"{bot['mean']:.0f}" if bot else None
            elif key == "errors":
                value = sum(value.values()) if value else 0
            elif key == "kb_degraded":
                value = f"{value} / {results[name]['kb_lookups']}"
            cells.append("-" if value is None else str(value))
        print(f"| {label} | " + " | ".join(cells) + " |")
    print()
    for name in names:
        if not name.startswith("bridge"):
            continue
        direct = results.get(name.replace("bridge", "rasa"))
        if not direct:
            continue
        parts = []
        for path in (*BOT_PATHS, "bot (all four paths)"):
            b, r = results[name]["paths"].get(path), direct["paths"].get(path)
            if b and r:
                parts.append(f"{path} {b['p50'] - r['p50']:+.0f} ms ({(b['p50'] / r['p50'] - 1) * 100:+.0f} %)")
        b, r = results[name]["paths"].get("bot (all four paths)"), direct["paths"].get("bot (all four paths)")
        mean = f"; mean {(b['mean'] / r['mean'] - 1) * 100:+.0f} %" if b and r else ""
        print(f"bridge p50 over Rasa-direct, {name.removeprefix('bridge ')}: " + ", ".join(parts) + mean)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", default="1,50,200")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--agents", type=int, default=8)
    ap.add_argument("--targets", default="rasa,bridge")
    ap.add_argument("--rebuild-clients", type=int, default=50,
                    help="then this many customers (with the last think time) during a KB rebuild; 0: skip")
    ap.add_argument("--think-ms", default="0,3000", help="mean think time between a customer's messages (exponential); "
                    "a list runs every level with each, e.g. 0,3000 (0: closed loop, as many messages as served)")
    args = ap.parse_args()
    intents = [m for m in heldout_messages(NOT_PLAIN) if not any(ch.isdigit() for ch in m)]
    workdir = BENCH_DIR / "mixed_traffic"
    shutil.rmtree(workdir, ignore_errors=True)
    prepare_workdir(workdir)
    env = {**ENV, "DATA_DIR": str(workdir), "NEW_USER_PASSWORD": PASSWORD}
    for a in range(args.agents):
        subprocess.run([sys.executable, "-m", "api", "create-user", f"agent{a}", "--role", "agent", "--capacity", "5",
                        "--skills", "通用,信用卡,理财,证券"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    servers = Servers(workdir, {"RATE_LIMIT_IP_PER_MIN": "0"})  # every customer comes from loopback
    results: dict[str, dict[str, Any]] = {}
    try:
        servers.wait_ready()
        kb = long_tail(servers.url, servers.rasa_headers)
        if not kb:
            raise SystemExit("no FAQ question reached the KB action: is the KB index built?")
        print(f"{len(intents)} standard questions, {len(kb)} long-tail questions that reach the KB", flush=True)
        warm_agent_suggestions(servers.bridge_url)
        for think_ms in (float(t) for t in args.think_ms.split(",")):
            for clients in (int(c) for c in args.clients.split(",")):
                for target in args.targets.split(","):
                    name = f"{target} x{clients}" + (f" think {think_ms / 1000:g}s" if think_ms else "")
                    print(f"{name}: {args.seconds:.0f} s ...", flush=True)
                    results[name] = run_level(servers, workdir, target, clients, args.seconds, args.agents, intents,
                                              kb, think_ms / 1000)
        if args.rebuild_clients:
            think_ms = float(args.think_ms.split(",")[-1])
            for target in args.targets.split(","):
                name = (f"{target} x{args.rebuild_clients}" + (f" think {think_ms / 1000:g}s" if think_ms else "")
                        + " + KB rebuild")
                print(f"{name}: {args.seconds:.0f} s ...", flush=True)
                results[name] = run_level(servers, workdir, target, args.rebuild_clients, args.seconds, args.agents,
                                          intents, kb, think_ms / 1000, rebuild=True)
    finally:
        servers.stop()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / "mixed_traffic.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print_tables(results)
    print(f"\nmix {MIX}; {args.seconds:.0f} s per run; think time {args.think_ms} ms (0: closed loop); "
          f"{args.agents} agents (capacity 5)")


if __name__ == "__main__":
    main()
