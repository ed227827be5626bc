"""What /proc says about processes and listening ports, and stopping a whole process group: the ground the
supervisor (scripts/supervise.py) and its stale-port check (supervise_ports.py) stand on. Linux only; a process
this user may not inspect is simply not seen."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


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


def wait_free(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while listening_inodes(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def stat_fields(pid: int) -> list[str]:
    """``/proc/<pid>/stat`` after the command name (state, ppid, pgrp, …); [] when the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def parent(pid: int) -> int:
    try:
        return int(stat_fields(pid)[1])
    except (IndexError, ValueError):
        return 0


def alive(pid: int) -> bool:
    """Alive and not a zombie (an exited process stays in /proc until whoever started it reaps it)."""
    return stat_fields(pid)[:1] not in ([], ["Z"])


def group_members(pgid: int) -> list[int]:
    members = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            fields = stat_fields(int(proc.name))
            if fields and int(fields[2]) == pgid and fields[0] != "Z":
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
