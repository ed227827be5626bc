"""Supervise the three services of `make run` (action server, Rasa, bridge): start them, restart one that dies,
stop them all on Ctrl-C / TERM. Started by scripts/run_services.sh (``exec``, after secrets and the KB index).

Why a small Python supervisor rather than supervisord/circus/honcho: the single-machine default must stay
`make run` with nothing more to install or configure, and it needs three things a generic supervisor does not
give without as much glue as this file: (1) a service's *whole process group* is killed before it is restarted
or stopped (Sanic's worker outlives a SIGKILLed main process and keeps the port: a supervisor that only
restarts the PID it knows loops on "address in use"); (2) children die with the supervisor even when it is
SIGKILLed (``PR_SET_PDEATHSIG``, set in the child between fork and exec; the action server's main process then
stops its own workers), and what still survives is found at the next start by the port check; (3) that port
check tells a stale process of *this* project (its working directory is this repository, it runs one of our
virtualenvs' interpreters, and it is an orphan: nothing of ours above it and adopted by PID 1 or a subreaper)
from anybody else's: the stale one is reported and stopped; a foreign one, or one of ours that a live
supervisor or a terminal (`make actions`) still owns, is reported and never touched (the start is refused).
``SUPERVISE_SERVICES=<file.json>`` replaces the three with a list (name, argv, log, port, health, optional env
and user): `make cluster` (scripts/cluster.py) supervises PostgreSQL, Redis, N Rasa workers, M action servers,
K bridges and HAProxy with this same loop, for the same three reasons (supervisord restarts only the PID it
knows after a crash, its children outlive a SIGKILLed supervisord, and its restart counts would need an event
listener to reach /metrics); production on several machines uses systemd units (deploy/systemd/).

Restart policy: a service whose main process exits, or that stops answering its health URL for
``HEALTH_FAILURES`` checks in a row after it was ready, is killed (process group) and started again after a
back-off (1, 2, 4, … at most 30 s); more than ``RESTART_LIMIT`` restarts within ``RESTART_WINDOW_S`` and the
supervisor gives up on that service (logged; the others keep serving: the bridge apologises and offers a
human while Rasa or the actions are down). Every restart is one line on stdout and in
``$DATA_DIR/logs/supervisor.log``; the counts are in ``$DATA_DIR/logs/restarts.json``.

``supervise.py check-ports PORT...`` runs the port check alone (exit 1 when a foreign process holds one).
"""

from __future__ import annotations

import ctypes
import json
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENVS = ROOT / ".venvs"
PR_SET_PDEATHSIG = 1
HEALTH_FAILURES = 8  # checks in a row: 16 s refused, about a minute timing out (a busy Rasa is not restarted)
HEALTH_TIMEOUT_S = 5.0
CHECK_EVERY_S = 2.0
START_TIMEOUT_S = 180.0
RESTART_LIMIT = 5
RESTART_WINDOW_S = 600.0
MAX_BACKOFF_S = 30.0


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


def say(message: str) -> None:
    line = f"[supervisor {time.strftime('%H:%M:%S')}] {message}"
    print(line, flush=True)
    data_dir = Path(os.environ.get("DATA_DIR", "var"))
    try:
        with open(data_dir / "logs" / "supervisor.log", "a", encoding="utf-8") as log:
            log.write(line + "\n")
    except OSError:
        pass


# ---- stale processes holding our ports


def listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(cols[9])
    return inodes


def holders(port: int) -> list[int]:
    """PIDs with a listening socket on ``port`` open (those this user may inspect)."""
    inodes = {f"socket:[{inode}]" for inode in listening_inodes(port)}
    found: list[int] = []
    if not inodes:
        return found
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (proc / "fd").iterdir()):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def is_ours(pid: int) -> bool:
    """A process of this project: working directory this repository, interpreter from one of our venvs."""
    try:
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return False
    argv = cmdline(pid)
    if cwd != ROOT or not argv:
        return False
    interpreter = Path(os.path.abspath(cwd / argv[0]))
    return VENVS in interpreter.parents


ADOPTERS = {"init", "systemd", "tini", "dumb-init"}  # who adopts an orphan (PID 1 or a subreaper)


def launcher(pid: int) -> tuple[int, bool]:
    """Above ``pid``: (a live supervisor of ours, True) if one is; else (the first ancestor that is not of this
    project, False). An orphan's launcher is PID 1 or a subreaper such as ``systemd --user``."""
    while (pid := parent(pid)) > 1:
        argv = cmdline(pid)
        if any(arg.endswith("supervise.py") for arg in argv) and pid != os.getpid():
            return pid, True
        if not is_ours(pid):
            return pid, False
    return 1, False


def orphaned(pid: int) -> bool:
    return pid <= 1 or Path((cmdline(pid) or [""])[0]).name in ADOPTERS


def clear_ports(ports: list[int]) -> bool:
    """Stop stale processes of this project holding ``ports``; False (reported) when another holds one."""
    ok = True
    for port in ports:
        if not listening_inodes(port):
            continue
        pids = holders(port)
        if not pids:
            say(f"port {port} is in use by a process this user cannot see: not starting; free the port or choose "
                "another (RASA_PORT / ACTIONS_PORT / BRIDGE_PORT)")
            ok = False
        for pid in pids:
            described = f"pid {pid} ({' '.join(cmdline(pid))[:160]})"
            if not is_ours(pid):
                say(f"port {port} is held by a process that is not part of this project: {described}; left "
                    "alone, not starting; free the port or choose another (RASA_PORT / ACTIONS_PORT / BRIDGE_PORT)")
                ok = False
            elif (found := launcher(pid))[1]:
                say(f"port {port} is served by a run of this project still supervised by pid {found[0]}: "
                    f"{described}; stop that run first (Ctrl-C in its terminal)")
                ok = False
            elif not orphaned(found[0]):
                say(f"port {port} is held by a process of this project that pid {found[0]} "
                    f"({' '.join(cmdline(found[0]))[:80]}) started and still runs: {described}; left alone, not "
                    "starting; stop it first (e.g. the terminal running `make actions` or `make rasa`)")
                ok = False
            else:
                say(f"port {port} is held by a stale process of an earlier run of this project: {described}; "
                    "stopping it")
                stop_group(os.getpgid(pid))
        if ok and not wait_free(port, 10.0):
            say(f"port {port} is still in use after stopping the stale process")
            ok = False
    return ok


def wait_free(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while listening_inodes(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def group_members(pgid: int) -> list[int]:
    members = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(proc.name))
    return members


def stop_group(pgid: int, grace: float = 10.0) -> None:
    """TERM the whole process group, KILL what is left after ``grace`` seconds (zombies do not count: the
    caller reaps its own child)."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + wait
        while group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not group_members(pgid):
            return


# ---- the services


def die_with_parent() -> None:
    """In the child, before exec: a session of its own (Ctrl-C reaches only the supervisor, Sanic's shutdown
    cannot signal us) and SIGTERM when the supervisor dies, however it dies."""
    os.setsid()
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


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


def start(service: Service) -> None:
    with open(service.log, "ab") as log:
        # user/group are switched before preexec_fn runs, so the parent-death signal it sets survives the switch
        service.process = subprocess.Popen(active_model(service.argv), cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                           stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
                                           env={**os.environ, **service.env} if service.env else None,
                                           user=service.user, group=service.user and pwd.getpwnam(service.user).pw_gid,
                                           extra_groups=[] if service.user else None)
    service.started_at, service.ready, service.failures = time.monotonic(), False, 0


LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP proxy


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


def record(all_services: list[Service]) -> None:
    path = Path(os.environ["DATA_DIR"]) / "logs" / "restarts.json"
    counts = {s.name: {"restarts": len(s.restarts), "given_up": s.given_up} for s in all_services}
    path.write_text(json.dumps(counts, ensure_ascii=False), encoding="utf-8")


def schedule_restart(service: Service, reason: str, all_services: list[Service]) -> None:
    kill(service)  # the whole group: an orphaned worker would keep the port
    now = time.monotonic()
    service.restarts = [t for t in service.restarts if now - t < RESTART_WINDOW_S]
    if len(service.restarts) >= RESTART_LIMIT:
        service.given_up = True
        say(f"{service.name} {reason}; {RESTART_LIMIT} restarts in {RESTART_WINDOW_S:.0f} s: GIVING UP on it "
            f"(the other services keep serving); see {service.log}")
    else:
        delay = min(MAX_BACKOFF_S, 2.0 ** len(service.restarts))
        service.restarts.append(now)
        service.restart_at = now + delay
        say(f"{service.name} {reason}; restarting in {delay:.0f} s (restart {len(service.restarts)} of at most "
            f"{RESTART_LIMIT} in {RESTART_WINDOW_S:.0f} s); see {service.log}")
    record(all_services)


def check(service: Service, all_services: list[Service]) -> None:
    if service.given_up:
        return
    if service.restart_at is not None:
        if time.monotonic() >= service.restart_at and wait_free(service.port, 10.0):
            service.restart_at = None
            start(service)
        return
    assert service.process is not None
    code = service.process.poll()
    if code is not None:
        schedule_restart(service, f"exited (code {code})", all_services)
    elif healthy(service):
        if not service.ready:
            service.ready = True
            if service.restarts:
                say(f"{service.name} is serving again")
        service.failures = 0
    elif service.ready:
        service.failures += 1
        if service.failures >= HEALTH_FAILURES:
            schedule_restart(service, f"stopped answering {service.health_url}", all_services)
    elif time.monotonic() - service.started_at > START_TIMEOUT_S:
        schedule_restart(service, f"not ready {START_TIMEOUT_S:.0f} s after start", all_services)


class Stop(Exception):
    pass


def on_signal(signum: int, _frame: object) -> None:
    raise Stop(signum)


def stop_all(all_services: list[Service]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("stopping services...", flush=True)
    for service in reversed(all_services):
        kill(service, grace=10.0)
    print("stopped.", flush=True)


def run() -> int:
    all_services = services()
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if not clear_ports([s.port for s in all_services]):
            return 1
        for service in all_services:
            start(service)
            print(f"{service.name:<14} -> http://127.0.0.1:{service.port} (log: {service.log})", flush=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not all(healthy(s) for s in all_services):
            if any(s.process is not None and s.process.poll() is not None for s in all_services):
                say(f"a service exited during start-up; see {os.environ['DATA_DIR']}/logs/")
                stop_all(all_services)
                return 1
            if time.monotonic() > deadline:
                say(f"the services did not become ready in {START_TIMEOUT_S:.0f} s; see {os.environ['DATA_DIR']}/logs/")
                stop_all(all_services)
                return 1
            time.sleep(0.5)
        for service in all_services:
            service.ready = True
        record(all_services)
        bridge = next((s for s in reversed(all_services) if s.name.startswith("bridge")), all_services[-1])
        bridge_log = bridge.log.read_text(encoding="utf-8", errors="replace").splitlines()
        print(next((line for line in reversed(bridge_log) if "demo accounts" in line), ""), flush=True)
        print("ready. Ctrl-C stops everything.", flush=True)
        while True:
            for service in all_services:
                check(service, all_services)
            time.sleep(CHECK_EVERY_S)
    except Stop:
        stop_all(all_services)
        return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["check-ports"]:
        return 0 if clear_ports([int(p) for p in argv[1:]]) else 1
    return run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
