"""Shared by the benchmarks: start the real services with scripts/run_services.sh on spare ports, held-out
customer messages, percentiles."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
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
BENCH_DIR = Path(os.environ.get("BENCH_DIR", DATA / "bench"))  # results and scratch data directories
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
       "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
CHANNEL_SECRET_HEADER = "X-Channel-Secret"  # common/service_auth.py: what the customer channel of Rasa requires


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_workdir(workdir: Path) -> None:
    """A data directory with the trained model and the KB index built by `make` (rebuilt there, from its vector
    cache, when this code can no longer load it)."""
    (workdir / "models").mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "models" / "bot.tar.gz", workdir / "models" / "bot.tar.gz")
    copy_kb_index(workdir)
    ensure_loadable_index(workdir)


LOADS = "from pathlib import Path; from kb_index.index import KbIndex; KbIndex.load_current(Path('{kb}'))"


def ensure_loadable_index(workdir: Path, encoder: str | None = None) -> None:
    """Build the KB index in ``workdir`` unless the one there loads (and uses ``encoder``, when given): the
    services would otherwise answer KB questions with nothing, and the benchmark would measure that."""
    env = {**ENV, "DATA_DIR": str(workdir)}
    kb = workdir / "kb"
    if (kb / "current").exists():
        versions = kb / "versions" / (kb / "current").read_text(encoding="utf-8").strip()
        manifest = json.loads((versions / "manifest.json").read_text(encoding="utf-8"))
        if encoder in (None, manifest["encoder"]) and subprocess.run(
                [str(ROOT / ".venvs" / "app" / "bin" / "python"), "-c", LOADS.format(kb=kb)], cwd=ROOT, env=env,
                capture_output=True).returncode == 0:
            return
    print(f"building the KB index in {workdir} (the copied one does not load or is for another encoder) ...",
          flush=True)
    subprocess.run([str(ROOT / ".venvs" / "app" / "bin" / "python"), "-m", "kb_index", "build",
                    *(["--encoder", encoder] if encoder else [])], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


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
        # the services' shared secrets for this run, so a benchmark can call Rasa's customer channel directly
        self.secrets = {name: secrets.token_hex(32) for name in ("RASA_JWT_SECRET", "RASA_CHANNEL_SECRET",
                                                                 "ACTIONS_SECRET")}
        self.rasa_headers = {CHANNEL_SECRET_HEADER: self.secrets["RASA_CHANNEL_SECRET"]}
        env = {**ENV, **self.secrets, "DATA_DIR": str(workdir), "RASA_PORT": str(self.rasa_port),
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
                if status_s is None and requests.get(f"{self.url}/status", headers=self.api_headers(), timeout=1).ok:
                    status_s = time.monotonic() - self.started
                if status_s is not None and requests.get(f"{self.bridge_url}/healthz", timeout=1).ok:
                    reply = requests.post(f"{self.url}/webhooks/rest/webhook", headers=self.rasa_headers,
                                          json={"sender": "warmup", "message": "你好"}, timeout=30)
                    if reply.ok and reply.json():
                        return status_s, time.monotonic() - self.started
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("servers did not start")

    def api_headers(self) -> dict[str, str]:
        """A JWT for Rasa's HTTP API (``/status``), signed with this run's secret (bot/serve.py checks it)."""
        return {"Authorization": f"Bearer {rasa_jwt(self.secrets['RASA_JWT_SECRET'])}"}

    def service_pids(self) -> dict[str, int]:
        """The action server's, Rasa's and the bridge's process ids (children of the run script)."""
        found = {}
        for pid, ppid in _processes().items():
            if ppid != self.process.pid:
                continue
            command = _command_line(pid)
            name = ("actions" if "actions.server" in command else "bridge" if "api serve" in command
                    else "rasa" if "rasa" in command or "bot.serve" in command else None)
            if name:
                found[name] = pid
        return found

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rasa_jwt(secret: str, ttl_s: int = 3600) -> str:
    """An HS256 JWT with the admin role, as Rasa's ``requires_auth`` reads it."""
    issued = int(time.time())
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64(json.dumps({"user": {"username": "bench", "role": "admin"}, "iat": issued, "exp": issued + ttl_s},
                              separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _processes() -> dict[int, int]:
    """pid -> parent pid of every process (Linux /proc)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return parents


def _command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (a Sanic server runs in a child)."""
    parents = _processes()
    tree, frontier = {pid}, [pid]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier and p not in tree]
        tree.update(children)
        frontier = children
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in tree:
        try:
            fields = (Path("/proc") / str(p) / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, ValueError, IndexError):
            continue
    return total


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
    for path in sorted((ROOT / "nlu_eval" / "nlu_heldout").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if block.get("intent") in excluded:
                continue
            for line in str(block.get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    texts.append(ANNOTATION.sub(r"\1", line.strip()[2:]))
    return texts
