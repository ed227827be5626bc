"""Shared by the benchmarks: start the real services with scripts/run_services.sh on spare ports, held-out
customer messages, percentiles."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterable

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
RASA_VENV = ROOT / ".venvs" / "rasa" / "bin"
DATA = Path(os.environ.get("DATA_DIR", ROOT / "var"))
BENCH_DIR = DATA / "bench"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
       "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_workdir(workdir: Path) -> None:
    """A data directory with the trained model and the KB index built by `make`."""
    (workdir / "models").mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "models" / "bot.tar.gz", workdir / "models" / "bot.tar.gz")
    copy_kb_index(workdir)


def copy_kb_index(workdir: Path) -> None:
    """The KB index built by `make` (versions, ``current``, vector cache), replacing any older copy, so start-up
    times measure the servers, not an index build; without one the run script builds it."""
    for part in ("cache", "versions", "current"):
        source, target = DATA / "kb" / part, workdir / "kb" / part
        if source.is_dir():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target)
        elif source.exists():
            shutil.copy(source, target)


class Servers:
    """scripts/run_services.sh on spare ports (Rasa, action server, bridge); stopped with SIGINT like Ctrl-C."""

    def __init__(self, workdir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.rasa_port, self.actions_port, self.bridge_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.rasa_port}"
        self.bridge_url = f"http://127.0.0.1:{self.bridge_port}"
        env = {**ENV, "DATA_DIR": str(workdir), "RASA_PORT": str(self.rasa_port),
               "ACTIONS_PORT": str(self.actions_port), "BRIDGE_PORT": str(self.bridge_port), **(extra_env or {})}
        self.started = time.monotonic()
        self.process = subprocess.Popen([str(ROOT / "scripts" / "run_services.sh")], cwd=ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                        # SIGINT as from a terminal (a background shell passes it ignored)
                                        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def wait_ready(self, timeout: float = 300) -> tuple[float, float]:
        """Seconds to Rasa's /status, and to the first webhook reply (with the bridge up)."""
        status_s = None
        while time.monotonic() - self.started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError("the run script exited during start-up")
            try:
                if status_s is None and requests.get(f"{self.url}/status", timeout=1).ok:
                    status_s = time.monotonic() - self.started
                if status_s is not None and requests.get(f"{self.bridge_url}/healthz", timeout=1).ok:
                    reply = requests.post(f"{self.url}/webhooks/rest/webhook",
                                          json={"sender": "warmup", "message": "你好"}, timeout=30)
                    if reply.ok and reply.json():
                        return status_s, time.monotonic() - self.started
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("servers did not start")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def run_threads(threads: list[threading.Thread]) -> float:
    """Start every thread, wait for all; the wall-clock seconds it took."""
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]+\)|\{[^}]+\})")  # [5万](amount) -> 5万


def heldout_messages(exclude_intents: Iterable[str] = ()) -> list[str]:
    """The held-out utterances as a customer types them (entity annotations removed, the rest kept)."""
    excluded = set(exclude_intents)
    texts = []
    for path in sorted((ROOT / "tests" / "data" / "nlu_heldout").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if block.get("intent") in excluded:
                continue
            for line in str(block.get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    texts.append(ANNOTATION.sub(r"\1", line.strip()[2:]))
    return texts
