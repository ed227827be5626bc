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

The parts, one job a module beside this entry point: supervise_services.py (the service list, starting one with
the deployed model, its health check, killing its process group), supervise_ports.py (the stale-port check),
supervise_proc.py (what /proc says, stopping a process group), supervise_log.py (supervisor.log, restarts.json).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

if (_here := str(Path(__file__).resolve().parent)) not in sys.path:  # the parts beside this file, however loaded
    sys.path.insert(0, _here)

from supervise_log import record, say  # noqa: E402
from supervise_ports import clear_ports  # noqa: E402
from supervise_proc import holders, listening_inodes, parent, wait_free  # noqa: E402
from supervise_services import Service, active_model, healthy, kill, services, start  # noqa: E402

# what tests/e2e load from this entry point (test_cluster.py: the port holders; test_supervise_model.py)
__all__ = ["active_model", "holders", "listening_inodes", "main", "parent", "run"]

HEALTH_FAILURES = 8  # checks in a row: 16 s refused, about a minute timing out (a busy Rasa is not restarted)
CHECK_EVERY_S = 2.0
START_TIMEOUT_S = 180.0
RESTART_LIMIT = 5
RESTART_WINDOW_S = 600.0
MAX_BACKOFF_S = 30.0


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
