"""The services the supervisor (scripts/supervise.py) runs, and one service's life: the list (`make run`'s three,
or ``SUPERVISE_SERVICES=<file.json>``: name, argv, log, port, health, optional env and user, written by
scripts/cluster.py), starting one in a session of its own that dies with the supervisor (``PR_SET_PDEATHSIG``,
set in the child between fork and exec) and serving the model the trainer last deployed, its health check, and
killing its whole process group."""

from __future__ import annotations

import ctypes
import json
import os
import pwd
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from supervise_ports import ROOT
from supervise_proc import stop_group

PR_SET_PDEATHSIG = 1
HEALTH_TIMEOUT_S = 5.0
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP proxy


@dataclass
class Service:
    name: str
    argv: list[str]
    log: Path
    port: int
    health_url: str  # http(s)://… answered 2xx, or tcp://host:port accepting a connection
    env: dict[str, str] = field(default_factory=dict)  # on top of the supervisor's environment
    user: str | None = None  # run as this user (PostgreSQL refuses root); the supervisor must be root then
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    ready: bool = False
    failures: int = 0
    restarts: list[float] = field(default_factory=list)
    restart_at: float | None = None
    given_up: bool = False


def services() -> list[Service]:
    if listed := os.environ.get("SUPERVISE_SERVICES"):
        return [Service(s["name"], list(s["argv"]), Path(s["log"]), int(s["port"]), s["health"],
                        dict(s.get("env") or {}), s.get("user"))
                for s in json.loads(Path(listed).read_text(encoding="utf-8"))]
    data = Path(os.environ["DATA_DIR"])
    logs = data / "logs"
    rasa, actions, bridge = (int(os.environ[k]) for k in ("RASA_PORT", "ACTIONS_PORT", "BRIDGE_PORT"))
    app_py, rasa_py = ".venvs/app/bin/python", ".venvs/rasa/bin/python"
    return [
        Service("action server", [app_py, "-m", "actions.server"], logs / "actions.log", actions,
                f"http://127.0.0.1:{actions}/health"),
        # bot.serve: `rasa run` with the JWT secret passed in-process (not on the command line), output masked
        Service("rasa server", [rasa_py, "-m", "bot.serve", "--model", str(data / "models" / "bot.tar.gz"),
                                "--enable-api", "-i", "127.0.0.1", "-p", str(rasa), "--endpoints",
                                "bot/endpoints.yml", "--credentials", "bot/credentials.yml",
                                "--log-file", str(logs / "rasa.log")],
                logs / "rasa.out", rasa, f"http://127.0.0.1:{rasa}/webhooks/rest/"),
        Service("bridge (API)", [app_py, "-m", "api", "serve", "--port", str(bridge)], logs / "bridge.log", bridge,
                f"http://127.0.0.1:{bridge}/healthz"),
    ]


def active_model(argv: list[str]) -> list[str]:
    """``argv`` with its ``--model .../bot.tar.gz`` replaced by the model the trainer's workbench last deployed
    (``registry.json`` beside it: ``active`` and that model's ``path``), so a Rasa that is restarted serves what
    customers were getting, not the model `make train` wrote; ``argv`` unchanged when there is no registry, no
    active model or its file is gone (pure but for reading the registry)."""
    if "--model" not in argv[:-1]:
        return argv
    at = argv.index("--model") + 1
    try:
        registry = json.loads((Path(argv[at]).parent / "registry.json").read_text(encoding="utf-8"))
        active = next(m for m in registry["models"] if m["name"] == registry["active"])
        path = Path(active["path"])
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return argv
    return [*argv[:at], str(path), *argv[at + 1:]] if path.is_file() else argv


def die_with_parent() -> None:
    """In the child, before exec: a session of its own (Ctrl-C reaches only the supervisor, Sanic's shutdown
    cannot signal us) and SIGTERM when the supervisor dies, however it dies."""
    os.setsid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(service: Service) -> None:
    with open(service.log, "ab") as log:
        # user/group are switched before preexec_fn runs, so the parent-death signal it sets survives the switch
        service.process = subprocess.Popen(active_model(service.argv), cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                           stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
                                           env={**os.environ, **service.env} if service.env else None,
                                           user=service.user, group=service.user and pwd.getpwnam(service.user).pw_gid,
                                           extra_groups=[] if service.user else None)
    service.started_at, service.ready, service.failures = time.monotonic(), False, 0


def healthy(service: Service) -> bool:
    if service.health_url.startswith("tcp://"):
        host, port = service.health_url.removeprefix("tcp://").rsplit(":", 1)
        try:
            socket.create_connection((host, int(port)), timeout=HEALTH_TIMEOUT_S).close()
            return True
        except OSError:
            return False
    try:
        with LOOPBACK.open(service.health_url, timeout=HEALTH_TIMEOUT_S) as response:
            return bool(200 <= response.status < 300)
    except OSError:
        return False


def kill(service: Service, grace: float = 3.0) -> None:
    if service.process is not None:
        stop_group(service.process.pid, grace)
        service.process.poll()
