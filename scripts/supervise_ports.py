"""The supervisor's port check (scripts/supervise.py, and ``supervise.py check-ports PORT...`` alone): before a
start, a process holding one of our ports is told apart. A stale process of *this* project (its working
directory is this repository, it runs one of our virtualenvs' interpreters, and it is an orphan: nothing of ours
above it and adopted by PID 1 or a subreaper) is reported and stopped, its whole process group; a foreign one,
or one of ours that a live supervisor or a terminal (`make actions`) still owns, is reported and never touched
(the start is refused)."""

from __future__ import annotations

import os
from pathlib import Path

from supervise_log import say
from supervise_proc import cmdline, holders, listening_inodes, parent, stop_group, wait_free

ROOT = Path(__file__).resolve().parents[1]
VENVS = ROOT / ".venvs"
ADOPTERS = {"init", "systemd", "tini", "dumb-init"}  # who adopts an orphan (PID 1 or a subreaper)


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
