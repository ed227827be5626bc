"""Benchmark: start-up time, REST-webhook latency and throughput of the bot, chosen pipeline vs baselines.

Run with ``make bench`` (or ``.venvs/app/bin/python bench/bot_latency.py``). For each pipeline it trains a
model on the same data (nlu_data/, domain.yml), evaluates held-out intent accuracy and off-topic rejection
(bot.evaluate), starts the real servers with scripts/run_services.sh, and measures:
  * start-up: launch -> Rasa /status ready -> first webhook reply;
  * sequential webhook latency p50/p99 over held-out messages;
  * throughput and p95 with 8 and 32 concurrent clients.
Pipelines, all derived from config.yml so only the classifier/policies differ:
  * chosen   - config.yml (TF-IDF logistic regression, rules + memoization, no TensorFlow model)
  * no-support - chosen without the bot/KB arbitration's support check (support_check 0: a confident intent
               is not compared with the KB's question by the action server)
  * rasa-lr  - Rasa's stock LogisticRegressionClassifier (raw counts, C=1) in its place
  * diet-ted - Rasa's default TensorFlow setup: DIETClassifier + ResponseSelector + TED + UnexpecTED (rasa init)
Prints a side-by-side table and writes var/bench/bot_latency.json.
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import os
import statistics
import subprocess
import threading
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any, Callable

import yaml
from harness import (  # noqa: E402
    BENCH_DIR,
    ENV,
    RASA_VENV,
    ROOT,
    Servers,
    copy_kb_index,
    heldout_messages,
    percentile,
    run_threads,
)


def _replace(pipeline: list[dict[str, Any]], name_part: str, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for component in pipeline:
        out += new if name_part in component["name"] else [component]
    return out


def chosen(config: dict[str, Any]) -> dict[str, Any]:
    return config


def rasa_lr(config: dict[str, Any]) -> dict[str, Any]:
    config["pipeline"] = _replace(
        config["pipeline"], "intent_classifier", [{"name": "LogisticRegressionClassifier", "max_iter": 1000}]
    )
    return config


def diet_ted(config: dict[str, Any]) -> dict[str, Any]:
    pipeline = _replace(config["pipeline"], "intent_classifier",
                        [{"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True}])
    pipeline = _replace(pipeline, "RegexFeaturizer",
                        [{"name": "RegexFeaturizer", "use_word_boundaries": False},
                         {"name": "LexicalSyntacticFeaturizer"}])
    pipeline = _replace(pipeline, "FallbackClassifier",
                        [{"name": "ResponseSelector", "epochs": 100, "constrain_similarities": True},
                         {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1}])
    config["pipeline"] = pipeline
    config["policies"] = [
        {"name": "MemoizationPolicy"},
        {"name": "RulePolicy"},
        {"name": "UnexpecTEDIntentPolicy", "max_history": 5, "epochs": 100},
        {"name": "TEDPolicy", "max_history": 5, "epochs": 100, "constrain_similarities": True},
    ]
    return config


def no_support(config: dict[str, Any]) -> dict[str, Any]:
    """The chosen pipeline without the arbitration's support check (issue 13): a confident intent is never sent
    to the action server to be compared with the KB's question, as before the seventh pass."""
    for policy in config["policies"]:
        if str(policy.get("name", "")).endswith("KbArbitrationPolicy"):
            policy["support_check"] = 0.0
    return config


VARIANTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "chosen": chosen, "no-support": no_support, "rasa-lr": rasa_lr, "diet-ted": diet_ted,
}


def train(name: str, workdir: Path, reuse: bool) -> float | None:
    model = workdir / "models" / "bot.tar.gz"
    if reuse and model.exists():
        return None
    config = VARIANTS[name](copy.deepcopy(yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))))
    config_path = workdir / "config.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    started = time.monotonic()
    subprocess.run(
        [str(RASA_VENV / "rasa"), "train", "--config", str(config_path), "--domain", "domain.yml", "--data",
         "nlu_data", "--out", str(workdir / "models"), "--fixed-model-name", "bot", "--quiet"],
        cwd=ROOT, env={**ENV, "RASA_CACHE_DIRECTORY": str(workdir / "cache")}, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def evaluate(workdir: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [str(RASA_VENV / "python"), "-m", "bot.evaluate", "--json", "--model", str(workdir / "models" / "bot.tar.gz")],
        cwd=ROOT, env=ENV, check=True, capture_output=True, text=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


class Client:
    """One keep-alive HTTP connection (stdlib http.client: a load generator must not eat the CPU it measures)."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.headers = {"Content-Type": "application/json", **(headers or {})}  # with Rasa's channel secret
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def post(self, text: str, sender: str) -> tuple[bool, float]:
        body = json.dumps({"sender": sender, "message": text}, ensure_ascii=False).encode()
        started = time.perf_counter()
        try:
            self.conn.request("POST", "/webhooks/rest/webhook", body, self.headers)
            response = self.conn.getresponse()
            replies = json.loads(response.read())
            ok = response.status == 200 and isinstance(replies, list) and len(replies) > 0  # every turn answers
        except (OSError, http.client.HTTPException, ValueError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            ok = False
        return ok, (time.perf_counter() - started) * 1000


CONVERSATION_LENGTH = 5  # messages per simulated customer before a new one arrives


def sequential(url: str, messages: list[str], n: int, headers: dict[str, str]) -> dict[str, float]:
    client = Client(url, headers)
    latencies = []
    run = uuid.uuid4().hex[:6]
    for i in range(n):
        ok, ms = client.post(messages[i % len(messages)], f"seq-{run}-{i // CONVERSATION_LENGTH}")
        if ok:
            latencies.append(ms)
    return {"p50_ms": statistics.median(latencies), "p99_ms": percentile(latencies, 0.99), "errors": n - len(latencies)}


def concurrent(url: str, messages: list[str], clients: int, seconds: float,
               headers: dict[str, str]) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(k: int) -> None:
        client = Client(url, headers)
        i, sent, sender = k, 0, ""
        while time.monotonic() < deadline:
            if sent % CONVERSATION_LENGTH == 0:
                sender = f"c{clients}-{k}-{uuid.uuid4().hex[:6]}"
            sent += 1
            ok, ms = client.post(messages[i % len(messages)], sender)
            with lock:
                if ok:
                    latencies.append(ms)
                else:
                    errors[0] += 1
            i += clients

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    elapsed = run_threads(threads)
    return {"msg_per_s": len(latencies) / elapsed, "p95_ms": percentile(latencies, 0.95), "errors": errors[0]}


def run_variant(name: str, args: argparse.Namespace, messages: list[str]) -> dict[str, Any]:
    workdir = BENCH_DIR / name
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"[{name}] training ...", flush=True)
    train_s = train(name, workdir, args.reuse)
    print(f"[{name}] evaluating ...", flush=True)
    quality = evaluate(workdir)
    print(f"[{name}] starting servers ...", flush=True)
    for old in (workdir / "rasa").glob("tracker.db*"):
        old.unlink()  # every run starts from an empty conversation store
    copy_kb_index(workdir)
    servers = Servers(workdir)
    try:
        status_s, first_reply_s = servers.wait_ready()
        seq = sequential(servers.url, messages, args.sequential, servers.rasa_headers)
        load = {c: concurrent(servers.url, messages, c, args.seconds, servers.rasa_headers) for c in (8, 32)}
    finally:
        servers.stop()
    return {
        "train_s": train_s, "startup_status_s": status_s, "startup_first_reply_s": first_reply_s,
        "accuracy": quality["accuracy"], "macro_f1": quality["macro_f1"], "oos_rejected": quality["oos_rejected_rate"],
        **{f"seq_{k}": v for k, v in seq.items()},
        **{f"c{c}_{k}": v for c, r in load.items() for k, v in r.items()},
    }


ROWS = [
    ("train time (s)", "train_s", "{:.0f}"), ("start-up to /status (s)", "startup_status_s", "{:.1f}"),
    ("start-up to first reply (s)", "startup_first_reply_s", "{:.1f}"),
    ("held-out intent accuracy", "accuracy", "{:.3f}"), ("held-out macro-F1", "macro_f1", "{:.3f}"),
    ("off-topic rejected", "oos_rejected", "{:.3f}"), ("webhook p50, sequential (ms)", "seq_p50_ms", "{:.1f}"),
    ("webhook p99, sequential (ms)", "seq_p99_ms", "{:.1f}"), ("msg/s, 8 clients", "c8_msg_per_s", "{:.1f}"),
    ("p95 ms, 8 clients", "c8_p95_ms", "{:.0f}"), ("msg/s, 32 clients", "c32_msg_per_s", "{:.1f}"),
    ("p95 ms, 32 clients", "c32_p95_ms", "{:.0f}"),
    ("errors", "errors_total", "{:.0f}"),
]


def table(results: dict[str, dict[str, Any]]) -> str:
    names = list(results)
    for r in results.values():
        r["errors_total"] = r["seq_errors"] + r["c8_errors"] + r["c32_errors"]
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for label, key, fmt in ROWS:
        cells = [fmt.format(results[n][key]) if results[n].get(key) is not None else "(reused)" for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset of " + ",".join(VARIANTS))
    ap.add_argument("--sequential", type=int, default=300, help="sequential requests")
    ap.add_argument("--seconds", type=float, default=20, help="seconds per concurrency level")
    ap.add_argument("--reuse", action="store_true", help="reuse models trained by an earlier run")
    args = ap.parse_args()
    messages = heldout_messages()
    results = {name: run_variant(name, args, messages) for name in args.variants.split(",")}
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / "bot_latency.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"\n{os.cpu_count()} CPUs, {len(messages)} held-out messages")
    print(table(results))


if __name__ == "__main__":
    main()
