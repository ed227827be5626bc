"""The benchmarks keep working (no timing is asserted): every script starts, the contention benchmark runs end to
end at a tiny size, the pure parts (workloads, stage attribution, lost/duplicate checks, tables) are checked
against hand-made cases, and — marked slow, with the real services — mixed traffic and the per-stage profile
run for a few seconds."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
DATA = Path(os.environ.get("DATA_DIR", ROOT / "var"))
sys.path.insert(0, str(BENCH))

import bridge_load  # noqa: E402
import message_cost  # noqa: E402
import mixed_traffic  # noqa: E402
from profile_stages import StageClock  # noqa: E402


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without thread settings (a benchmark child sets its own), plus ``extra``."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "KB_", "GOMP_", "OPENBLAS_", "MKL_"))}
    return {**keep, "PYTHONPATH": str(ROOT), **extra}


@pytest.mark.parametrize("script", ["kb_contention.py", "mixed_traffic.py", "message_cost.py", "bridge_load.py",
                                    "soak.py", "bot_latency.py"])
def test_every_benchmark_starts(script: str) -> None:
    done = subprocess.run([sys.executable, str(BENCH / script), "--help"], cwd=ROOT, env=clean_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


# ------------------------------------------------------------------ stage clock (oracle: a scripted clock)
def test_the_outermost_stage_owns_nested_work_and_nothing_counts_twice() -> None:
    now = [0.0]
    clock = StageClock(lambda: now[0])

    def tick(seconds: float) -> None:
        now[0] += seconds

    mask = clock.wrap("masking", lambda: tick(1))

    def save() -> None:  # a database call that masks inside: all of it is the database's
        tick(2)
        mask()

    db = clock.wrap("database", save)

    async def ask() -> None:  # an async stage; its span is its own work in a sequential workload
        tick(4)
        db()

    rasa = clock.wrap("rasa", ask)
    mask()
    db()
    asyncio.run(rasa())
    clock.enabled = False
    db()  # not counted: outside the measured messages
    assert dict(clock.seconds) == {"masking": 1, "database": 3, "rasa": 7}
    assert clock.ms_per(2) == [("rasa", 3500.0), ("database", 1500.0), ("masking", 500.0)]


def test_patching_wraps_methods_static_methods_and_module_functions() -> None:
    now = [0.0]
    clock = StageClock(lambda: now[0])

    class Store:
        def save(self, n: float) -> float:
            now[0] += n
            return n

        @staticmethod
        def load(n: float) -> float:
            now[0] += n
            return n

    clock.patch("db", Store, "save", "load", "missing")
    assert Store().save(2) == 2 and Store.load(3) == 3
    assert clock.seconds["db"] == 5 and clock.calls["db"] == 2


# ------------------------------------------------------------------ mixed traffic and message cost: pure parts
def test_conversation_scripts_follow_their_kind() -> None:
    rng, intents, kb = random.Random(1), ["怎么查余额"], ["怎么设置水电费自动扣款"]
    assert [p for p, _ in mixed_traffic.script("intent", rng, intents, kb)] == ["intent"] * 3
    assert [p for p, _ in mixed_traffic.script("kb", rng, intents, kb)] == ["intent", "kb", "intent"]
    assert [t for _, t in mixed_traffic.script("form", rng, intents, kb)] in [list(f) for f in mixed_traffic.FORMS]
    turns = message_cost.workload(40, intents, kb)
    assert len(turns) == 40 and all(turns)
    assert {p for conv in turns for p, _ in conv} == {"intent", "kb", "form", "handoff"}


def test_lost_and_duplicated_messages_are_counted_against_what_was_sent(tmp_path: Path) -> None:
    db = tmp_path / "bridge.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id TEXT, sender TEXT, text TEXT)")
        rows = [("c1", "customer", "a"), ("c1", "bot", "x"), ("c1", "customer", "b"),
                ("c2", "customer", "a"), ("c2", "customer", "a"), ("c3", "customer", "b")]
        conn.executemany("INSERT INTO messages (conversation_id, sender, text) VALUES (?, ?, ?)", rows)
    assert bridge_load.check_database(db, {"c1": ["a", "b"]}) == (0, 0)
    assert bridge_load.check_database(db, {"c2": ["a"]}) == (0, 1)
    assert bridge_load.check_database(db, {"c3": ["a", "b"]}) == (2, 0)  # one missing, and out of order


def test_the_tables_print_from_results(capsys: pytest.CaptureFixture[str]) -> None:
    path = {"n": 10, "p50": 100.0, "mean": 120.0, "p95": 150.0, "p99": 200.0}
    common = {"errors": {}, "kb_lookups": 4, "kb_degraded": 1, "bot_msg_per_s": 12.5}
    results = {"rasa x1": {"paths": {"intent": path, "bot (all four paths)": path}, **common},
               "bridge x1": {"paths": {"intent": {**path, "p50": 110.0},
                                       "bot (all four paths)": {**path, "mean": 132.0}},
                             **common, "lost": 0, "duplicated": 0, "agent_reply_duplicates": 0, "served": 3}}
    mixed_traffic.print_tables(results)
    out = capsys.readouterr().out
    assert "| intent | 100 / 150 / 200 (10) | 110 / 150 / 200 (10) |" in out
    assert "intent +10 ms (+10 %)" in out and "| KB lookups degraded | 1 / 4 | 1 / 4 |" in out
    assert "| bot messages / s | 12.5 | 12.5 |" in out and "mean +10 %" in out
    bridge = {"stages": [("bridge: whole request (FastAPI app)", 5.0), ("database", 2.0)], "wall_p50": 30.0,
              "rasa_wall_p50": 20.0,
              "process_cpu": {"rasa": {"intent": 10.0, "all": 10.0}, "actions": {"kb": 20.0, "all": 5.0}},
              "process_cpu_mean": 6.0}
    rasa = {"stages": [("Rasa: whole message", 9.0)], "components": [("run_bot.tokenizer.ChineseTokenizer0", 1.0)],
            "wall_ms": 15.0}
    message_cost.print_report(bridge, rasa, {"cpu_mean": 12.0, "wall_p50": 14.0, "n": 5.0})
    out = capsys.readouterr().out
    assert "|   database | 2.00 |" in out and "per path: kb 20.0" in out and "ChineseTokenizer0" in out


# ------------------------------------------------------------------ the contention benchmark, end to end, tiny
@pytest.fixture()
def tiny_kb(tmp_path: Path) -> Iterator[Path]:
    """A six-entry e5-sym index (no re-ranker), built by the CLI as `make` builds the real one."""
    faq = tmp_path / "faq"
    faq.mkdir()
    source = yaml.safe_load((ROOT / "kb_index" / "faq" / "service_general.yml").read_text(encoding="utf-8"))
    source["entries"] = source["entries"][:6]
    (faq / "service_general.yml").write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    workdir = tmp_path / "bench" / "e5-sym"
    subprocess.run([sys.executable, "-m", "kb_index", "build", "--encoder", "e5-sym"], cwd=ROOT, check=True,
                   env=clean_env(DATA_DIR=str(workdir), KB_FAQ_DIR=str(faq), KB_RERANKER="0"),
                   capture_output=True, timeout=300)
    yield tmp_path


def test_the_contention_benchmark_runs_at_a_tiny_size(tiny_kb: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "kb_contention.py"), "--encoders", "e5-sym", "--scenarios", "idle",
         "--modes", "before,after", "--queries", "3", "--gap-ms", "0", "--workdir", str(tiny_kb / "bench")],
        cwd=ROOT, env=clean_env(BENCH_DIR=str(tiny_kb / "out"), KB_RERANKER="0"), capture_output=True, text=True,
        timeout=300)
    assert done.returncode == 0, done.stderr
    assert "### e5-sym" in done.stdout and "| idle |" in done.stdout
    results = json.loads((tiny_kb / "out" / "kb_contention.json").read_text())
    assert set(results) == {"e5-sym idle before", "e5-sym idle after"}
    assert results["e5-sym idle before"]["threads"] is None and results["e5-sym idle after"]["threads"] >= 1
    assert all(r["n"] == 3 for r in results.values())


# ------------------------------------------------------------------ with the real services (slow)
def _services_ready() -> bool:
    return (DATA / "models" / "bot.tar.gz").exists() and (DATA / "kb" / "current").exists()


@pytest.mark.slow
@pytest.mark.skipif(not _services_ready(), reason="needs the trained model and the KB index (make)")
def test_mixed_traffic_and_message_cost_run_for_seconds(tmp_path: Path) -> None:
    env = clean_env(BENCH_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, str(BENCH / "mixed_traffic.py"), "--clients", "2", "--seconds", "3",
                           "--agents", "1", "--think-ms", "0", "--rebuild-clients", "0"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results: dict[str, Any] = json.loads((tmp_path / "mixed_traffic.json").read_text())
    assert set(results) == {"rasa x2", "bridge x2"}
    assert results["bridge x2"]["lost"] == 0 and results["bridge x2"]["duplicated"] == 0
    assert "bridge p50 over Rasa-direct" in done.stdout
    done = subprocess.run([sys.executable, str(BENCH / "message_cost.py"), "--conversations", "2"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "bridge: whole request" in done.stdout and "Rasa server process" in done.stdout
