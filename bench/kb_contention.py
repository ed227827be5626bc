"""Benchmark: KB query latency when the cores are shared, before and after the thread configuration.

    .venvs/app/bin/python bench/kb_contention.py [--encoders e5-sym,use] [--queries 150] [--gap-ms 50]
        [--scenarios idle,busy,rebuild,second] [--modes before,after]

A probe process loads the KB index as the action server does and sends held-out customer questions one at a
time (``--gap-ms`` apart, as queries arrive at a server), measuring each lookup (encode + search + ranking),
in four situations:
  * idle     - nothing else running (on a shared machine: whatever else is);
  * busy     - beside two busy pure-Python processes (Rasa and the bridge serving other customers);
  * rebuild  - beside ``python -m kb_index build`` from an empty vector cache, restarted as it ends (a
               trainer's KB edit; it trains the re-ranker too when the index has one);
  * second   - beside a second process sending queries ten times as often (a busy second action server).
Modes (every process of a run, load included, gets the same):
  * before   - ``KB_THREAD_CONFIG=0``: library defaults, lookups called directly (what shipped before);
  * after    - kb_index.threads (explicit counts, passive OpenMP waits, builds niced) and lookups through
               kb_index.budget (worker pool, ``KB_QUERY_BUDGET_MS``): ``lookup`` is the encoder's own time,
               ``wait`` what the customer waited, ``degraded`` the share answered by the lexical stand-in;
  * after-2t - the same with ``KB_THREADS=2`` (two threads per lookup; the default is a quarter of the cores,
               at least one).
Prints one table per encoder (p50/p99 per scenario and mode, and the ratio to that mode's idle) and writes
var/bench/kb_contention.json. Roles ``--role probe|spin|hammer|rebuild`` are the child processes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import BENCH_DIR, DATA, ENV, ROOT, ensure_loadable_index, heldout_messages, percentile

MODES: dict[str, dict[str, str]] = {
    "before": {"KB_THREAD_CONFIG": "0"},
    "after": {"KB_THREAD_CONFIG": "1"},
    "after-2t": {"KB_THREAD_CONFIG": "1", "KB_THREADS": "2"},
}
SCENARIOS = ("idle", "busy", "rebuild", "second")
WARMUP = 10


# ---------------------------------------------------------------------------------------------- child roles
@dataclass
class TimingService:
    """The KB service, timing each lookup's own work (which may go on after the budget stopped waiting)."""

    service: Any
    times_ms: list[float] = field(default_factory=list)

    def lookup(self, text: str, channel: str | None = None, k: int = 5, today: Any = None) -> Any:
        started = time.perf_counter()
        try:
            return self.service.lookup(text, channel, k, today)
        finally:
            self.times_ms.append((time.perf_counter() - started) * 1000)

    def loaded_index(self) -> Any:
        return self.service.loaded_index()


def _queries(seed: int) -> list[str]:
    messages = heldout_messages()
    random.Random(seed).shuffle(messages)
    return messages


def probe(count: int, gap_s: float, seed: int, forever: bool) -> dict[str, Any]:
    """Send ``count`` queries (or loop until killed) the way the action server of this mode would."""
    from kb_index.threads import configure_process

    plan = configure_process()  # first, as actions/server.py does (None: KB_THREAD_CONFIG=0)
    from kb_index.budget import open_budgeted
    from kb_index.policy import Thresholds
    from kb_index.service import KbService
    from kb_index.settings import KbSettings

    settings = KbSettings()
    service = KbService(settings.kb_dir, Thresholds(settings.answer_threshold, settings.suggest_threshold))
    if not service.reload_if_changed():
        raise SystemExit(f"no KB index under {settings.kb_dir}: {service.last_error}")
    timing = TimingService(service)
    budgeted = open_budgeted(lambda: timing, settings) if plan is not None else None
    if budgeted is not None:
        budgeted.warm()
    texts = _queries(seed)
    waits: list[float] = []
    paths: list[str] = []
    i = 0
    while forever or i < count + WARMUP:
        text = texts[i % len(texts)]
        started = time.perf_counter()
        if budgeted is not None:
            paths.append(budgeted.lookup_blocking(text).path)
        else:
            timing.lookup(text)
            paths.append("dense")
        waits.append((time.perf_counter() - started) * 1000)
        i += 1
        time.sleep(gap_s)
    time.sleep(1.0)  # lookups that overran the budget finish and are timed
    return {"lookup_ms": timing.times_ms[WARMUP:], "wait_ms": waits[WARMUP:], "paths": paths[WARMUP:],
            "threads": plan.threads if plan else None, "workers": plan.workers if plan else None}


def spin() -> None:
    while True:
        pass


def rebuild_forever(workdir: Path) -> None:
    """Rebuild the index from an empty vector cache again and again (every question re-encoded)."""
    env = {**os.environ, "DATA_DIR": str(workdir)}
    while True:
        shutil.rmtree(workdir / "kb", ignore_errors=True)
        subprocess.run([sys.executable, "-m", "kb_index", "build"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)


# ---------------------------------------------------------------------------------------------- orchestration
def child(role: str, env: dict[str, str], *extra: str, capture: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--role", role, *extra], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL if not capture else None, text=True, start_new_session=True)


def stop(processes: list[subprocess.Popen[str]]) -> None:
    for p in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)  # a rebuild's own children too
        p.wait()


def ensure_index(workdir: Path, encoder: str) -> None:
    """An index of the project KB for ``encoder`` in ``workdir`` that this code loads: the one `make` built (and
    its vector cache) copied when it is for this encoder, rebuilt there when it does not load."""
    current = DATA / "kb" / "current"
    if not (workdir / "kb" / "current").exists() and current.exists():
        manifest = json.loads((DATA / "kb" / "versions" / current.read_text().strip() / "manifest.json").read_text())
        if manifest["encoder"] == encoder:
            shutil.copytree(DATA / "kb", workdir / "kb", ignore=shutil.ignore_patterns("unanswered.db*"))
    ensure_loadable_index(workdir, encoder)


def measure(encoder: str, mode: str, scenario: str, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    env = {**ENV, **MODES[mode], "DATA_DIR": str(workdir), "KB_ENCODER": encoder}
    load: list[subprocess.Popen[str]] = []
    if scenario == "busy":
        load = [child("spin", env) for _ in range(2)]
    elif scenario == "rebuild":
        load = [child("rebuild", {**env, "DATA_DIR": str(workdir / "rebuild")})]
    elif scenario == "second":
        load = [child("hammer", env, "--seed", "2", "--gap-ms", str(args.gap_ms / 10))]
    try:
        time.sleep(3 if scenario == "rebuild" else 1)  # the load is under way before the first query
        probe_process = child("probe", env, "--queries", str(args.queries), "--gap-ms", str(args.gap_ms),
                              capture=True)
        out, _ = probe_process.communicate(timeout=1800)
    finally:
        stop(load)
    if probe_process.returncode != 0:
        raise RuntimeError(f"probe failed ({encoder}, {mode}, {scenario})")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def summary(result: dict[str, Any]) -> dict[str, float]:
    lookups, waits, paths = result["lookup_ms"], result["wait_ms"], result["paths"]
    return {"lookup_p50": statistics.median(lookups), "lookup_p99": percentile(lookups, 0.99),
            "wait_p50": statistics.median(waits), "wait_p99": percentile(waits, 0.99),
            "degraded": sum(p != "dense" for p in paths) / max(1, len(paths)), "n": float(len(waits))}


def print_table(encoder: str, rows: dict[tuple[str, str], dict[str, float]], modes: list[str],
                scenarios: list[str]) -> None:
    print(f"\n### {encoder}: KB lookup ms (p50 / p99; ×idle of the same mode)")
    head = ["scenario"]
    for mode in modes:
        head += [f"{mode} lookup p50 / p99"] + ([f"{mode} wait p50 / p99", f"{mode} degraded"]
                                                if mode != "before" else [])
    print("| " + " | ".join(head) + " |")
    print("|---" * len(head) + "|")
    for scenario in scenarios:
        cells = [scenario]
        for mode in modes:
            r, idle = rows.get((mode, scenario)), rows.get((mode, "idle"))
            if r is None:
                cells += ["-"] * (1 if mode == "before" else 3)
                continue
            ratio = (f" ({r['lookup_p50'] / idle['lookup_p50']:.1f}× / {r['lookup_p99'] / idle['lookup_p99']:.1f}×)"
                     if idle and scenario != "idle" else "")
            cells.append(f"{r['lookup_p50']:.1f} / {r['lookup_p99']:.1f}{ratio}")
            if mode != "before":
                cells += [f"{r['wait_p50']:.1f} / {r['wait_p99']:.1f}", f"{r['degraded']:.0%}"]
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--role", choices=["main", "probe", "spin", "hammer", "rebuild"], default="main")
    ap.add_argument("--encoders", default="e5-sym,use")
    ap.add_argument("--modes", default="before,after")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--gap-ms", type=float, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=BENCH_DIR / "kb_contention")
    args = ap.parse_args()
    if args.role == "probe":
        print(json.dumps(probe(args.queries, args.gap_ms / 1000, args.seed, forever=False)))
        return
    if args.role == "hammer":
        probe(0, args.gap_ms / 1000, args.seed, forever=True)
        return
    if args.role == "spin":
        spin()
    if args.role == "rebuild":
        rebuild_forever(Path(os.environ["DATA_DIR"]))
    modes, scenarios = args.modes.split(","), args.scenarios.split(",")
    unknown = [m for m in modes if m not in MODES] + [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown mode/scenario: {', '.join(unknown)}")
    results: dict[str, dict[str, Any]] = {}
    started = time.monotonic()
    for encoder in args.encoders.split(","):
        workdir = args.workdir / encoder.replace(":", "_").replace("/", "_")
        ensure_index(workdir, encoder)
        rows: dict[tuple[str, str], dict[str, float]] = {}
        for scenario in scenarios:
            for mode in modes:
                print(f"{encoder} / {scenario} / {mode} ...", flush=True)
                result = measure(encoder, mode, scenario, workdir, args)
                rows[(mode, scenario)] = summary(result)
                results[f"{encoder} {scenario} {mode}"] = {**rows[(mode, scenario)], "threads": result["threads"],
                                                            "workers": result["workers"]}
        print_table(encoder, rows, modes, scenarios)
    load_avg = os.getloadavg()
    print(f"\n{args.queries} queries per cell, {args.gap_ms:g} ms apart; {len(os.sched_getaffinity(0))} cores; "
          f"load average at the end {load_avg[0]:.2f}; {time.monotonic() - started:.0f} s")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / "kb_contention.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    threading.current_thread().name = "kb-contention"
    main()
