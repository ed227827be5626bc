"""Start the whole bot with the real run script (scripts/run_services.sh) on spare ports and a temporary data
directory; stop it with Ctrl-C (SIGINT) at the end, as a user would. The script generates the services' secrets
(development mode); the tests read them from the data directory and send them as the bridge does."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from common.service_auth import SECRET_NAMES, channel_headers, rasa_api_headers

ROOT = Path(__file__).resolve().parents[2]
MODEL = Path(os.environ.get("DATA_DIR", ROOT / "var")) / "models" / "bot.tar.gz"
VECTOR_CACHE = Path(os.environ.get("DATA_DIR", ROOT / "var")) / "kb" / "cache"


@contextlib.contextmanager
def serving(app: Any, start_timeout_s: float = 30) -> Iterator[str]:
    """``app`` on a free local port (uvicorn in a thread) for the browser; stopped on exit."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        assert time.monotonic() < deadline, "the bridge did not start"
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Bot:
    url: str
    data_dir: Path
    process: subprocess.Popen
    startup_s: float
    api_url: str
    secrets: dict[str, str]
    actions_url: str = ""

    def say(self, text: str, sender: str | None = None) -> list[dict[str, Any]]:
        body = {"sender": sender or f"e2e-{uuid.uuid4().hex[:8]}", "message": text}
        response = requests.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=30,
                                 headers=channel_headers(self.secrets["RASA_CHANNEL_SECRET"]))
        response.raise_for_status()
        return list(response.json())

    def rasa_headers(self) -> dict[str, str]:
        """A JWT for Rasa's HTTP API (tracker reads, /status), as the bridge's trainer sends it."""
        return rasa_api_headers(self.secrets["RASA_JWT_SECRET"])


def read_secrets(data_dir: Path) -> dict[str, str]:
    """The secrets the run script generated for this run ($DATA_DIR/secrets/services.env)."""
    lines = (data_dir / "secrets" / "services.env").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def replies_text(replies: list[dict[str, Any]]) -> str:
    return "\n".join(str(r.get("text") or "") for r in replies)


@pytest.fixture(scope="session")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    with running_bot(tmp_path_factory.mktemp("data")) as started:
        yield started


@contextlib.contextmanager
def running_bot(data_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[Bot]:
    """The whole stack on spare ports over ``data_dir``, with ``extra_env`` for the run script (e.g.
    ``MAKER_CHECKER=true``); every server killed afterwards."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it)")
    (data_dir / "models").mkdir()
    shutil.copy(MODEL, data_dir / "models" / "bot.tar.gz")
    project = data_dir / "project"  # the trainer workbench edits this copy, never the repository
    project.mkdir()
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "nlu_data", project / "nlu_data")
    shutil.copytree(ROOT / "kb_index" / "faq", project / "faq")
    if VECTOR_CACHE.exists():  # the run script builds the KB index; cached vectors make that a few seconds
        shutil.copytree(VECTOR_CACHE, data_dir / "kb" / "cache")
    rasa_port, actions_port, bridge_port = free_port(), free_port(), free_port()
    inherited = {k: v for k, v in os.environ.items() if k not in SECRET_NAMES and k != "APP_ENV"}  # generated
    env = {**inherited, "DATA_DIR": str(data_dir), "RASA_PORT": str(rasa_port), "ACTIONS_PORT": str(actions_port),
           "BRIDGE_PORT": str(bridge_port), "DEMO_PASSWORD": "e2e-demo", "TRAINER_PROJECT_DIR": str(project),
           "KB_FAQ_DIR": str(project / "faq"), **(extra_env or {})}
    started = time.monotonic()
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "run_services.sh")], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        # as from a terminal: a test runner started in the background inherits SIGINT ignored, and a shell
        # cannot trap a signal that was ignored when it started
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    url = f"http://127.0.0.1:{rasa_port}"
    deadline = started + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"run script exited: {process.stdout.read() if process.stdout else ''}")
        try:
            if all(requests.get(u, timeout=2).ok for u in (
                    f"{url}/webhooks/rest/", f"http://127.0.0.1:{actions_port}/health",
                    f"http://127.0.0.1:{bridge_port}/healthz")):
                break
        except requests.RequestException:
            pass
        time.sleep(0.5)
    else:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("bot did not start in 180 s")
    bot = Bot(url, data_dir, process, time.monotonic() - started, f"http://127.0.0.1:{bridge_port}",
              read_secrets(data_dir), f"http://127.0.0.1:{actions_port}")
    servers = descendants(process.pid)
    try:
        yield bot
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        for pid in servers:  # the servers run in sessions of their own
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        children = subprocess.run(["pgrep", "-P", str(todo.pop())], capture_output=True, text=True).stdout.split()
        found += [int(c) for c in children]
        todo += [int(c) for c in children]
    return found


def serving_versions(log: Path) -> dict[str, set[str]]:
    """KB versions the action server's log says are in service, by the pid of the process that loaded each."""
    found: dict[str, set[str]] = {}
    for match in re.finditer(r"^\S+ \S+ INFO (\d+) kb_index\.service KB index version (\S+) in service",
                             log.read_text(errors="replace"), re.M):
        found.setdefault(match[2], set()).add(match[1])
    return found


def worker_pids(log: Path) -> set[str]:
    """The pids of the Sanic workers (the processes that answer) an action server's log announces."""
    return set(re.findall(r"Worker ready \[(\d+)\]", log.read_text(errors="replace")))
