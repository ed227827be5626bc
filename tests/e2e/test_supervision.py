"""The run script keeps the bot up (scripts/supervise.py): SIGKILL of the action server's main process and its
Sanic worker while serving, then of the worker alone, then of the bridge, then of Rasa: customers are answered
again (the bridge apologising while Rasa is down) without anybody touching anything, while the other services
keep their processes; Ctrl-C then leaves nothing behind, the next start is clean even with a stale process of an
earlier run holding a port, and SIGKILL of the supervisor itself takes every service with it. A port held by a
process that is not ours, or by one of ours that a live terminal owns, is reported and left alone. The run here
is its own (not the session's `bot`, whose Ctrl-C test runs in another file), on spare ports and a temporary
data directory."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests

from tests.e2e.conftest import MODEL, ROOT, VECTOR_CACHE, Bot, descendants, free_port, read_secrets, replies_text

KB_BUILT = VECTOR_CACHE.parent
KB_QUESTION = "怎么设置水电费自动扣款"
RECOVERY_S = 150  # back-off (1 s, then 2 s) + Sanic start + the action server loading the KB index on 2 busy cores
APP_PY = str(ROOT / ".venvs" / "app" / "bin" / "python")
HOLD_PORT = "import socket, sys, time; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); " \
            "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); print('listening', flush=True); time.sleep(600)"


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def start_run(data_dir: Path, ports: dict[str, int]) -> Bot:
    env = {**{k: v for k, v in os.environ.items() if k not in ("APP_ENV", "RASA_JWT_SECRET", "RASA_CHANNEL_SECRET",
                                                             "ACTIONS_SECRET")},
           "DATA_DIR": str(data_dir), "DEMO_PASSWORD": "e2e-demo", **{k: str(v) for k, v in ports.items()}}
    started = time.monotonic()
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "run_services.sh")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    url = f"http://127.0.0.1:{ports['RASA_PORT']}"
    while time.monotonic() < started + 300:
        if process.poll() is not None:
            pytest.fail(f"run script exited: {process.stdout.read() if process.stdout else ''}")
        with contextlib.suppress(requests.RequestException):
            if all(requests.get(u, timeout=2).ok for u in (
                    f"{url}/webhooks/rest/", f"http://127.0.0.1:{ports['ACTIONS_PORT']}/health",
                    f"http://127.0.0.1:{ports['BRIDGE_PORT']}/healthz")):
                break
        time.sleep(0.5)
    else:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"bot did not start in 300 s: {supervisor_log_at(data_dir)}")
    return Bot(url, data_dir, process, time.monotonic() - started, f"http://127.0.0.1:{ports['BRIDGE_PORT']}",
               read_secrets(data_dir), f"http://127.0.0.1:{ports['ACTIONS_PORT']}")


def ctrl_c(bot: Bot) -> str:
    """SIGINT to the run script's process group, as a terminal does; its output; every service gone."""
    services = descendants(bot.process.pid)
    os.killpg(bot.process.pid, signal.SIGINT)
    output, _ = bot.process.communicate(timeout=60)
    assert bot.process.returncode == 0, output
    deadline = time.monotonic() + 15
    while (left := [pid for pid in services if running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"processes still running: {[(pid, cmdline(pid)) for pid in left]}"
    return str(output)


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    return {"RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "BRIDGE_PORT": free_port()}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, ports: dict[str, int]) -> Iterator[Bot]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it)")
    data_dir = tmp_path_factory.mktemp("supervised")
    (data_dir / "models").mkdir()
    shutil.copy(MODEL, data_dir / "models" / "bot.tar.gz")
    if (KB_BUILT / "current").exists():  # the index make run built: the start skips the build (minutes on 2 busy cores)
        shutil.copytree(KB_BUILT, data_dir / "kb")
    elif VECTOR_CACHE.exists():
        shutil.copytree(VECTOR_CACHE, data_dir / "kb" / "cache")
    bot = start_run(data_dir, ports)
    yield bot
    if bot.process.poll() is None:
        for pid in descendants(bot.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        os.killpg(bot.process.pid, signal.SIGKILL)


def service_pids(bot: Bot) -> dict[str, int]:
    """The supervisor's children by service: their main processes."""
    children = subprocess.run(["pgrep", "-P", str(bot.process.pid)], capture_output=True, text=True).stdout.split()
    found = {}
    for pid in map(int, children):
        line = cmdline(pid)
        for name, marker in (("actions", "actions.server"), ("rasa", "bot.serve"), ("bridge", "api serve")):
            if marker in line:
                found[name] = pid
    assert set(found) == {"actions", "rasa", "bridge"}, children
    return found


def answers_kb(bot: Bot) -> bool:
    with contextlib.suppress(requests.RequestException):
        return "生活缴费" in replies_text(bot.say(KB_QUESTION))
    return False


def wait_for_kb_answer(bot: Bot, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if answers_kb(bot):
            return time.monotonic() - started
        time.sleep(1)
    pytest.fail(f"no KB answer {timeout} s after the kill; supervisor log:\n{supervisor_log(bot)}")


def supervisor_log(bot: Bot) -> str:
    return supervisor_log_at(bot.data_dir)


def supervisor_log_at(data_dir: Path) -> str:
    path = data_dir / "logs" / "supervisor.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_a_killed_action_server_and_its_worker_come_back_while_the_others_keep_serving(run: Bot) -> None:
    assert answers_kb(run)
    before = service_pids(run)
    workers = descendants(before["actions"])
    assert workers, "the action server runs Sanic workers under its main process"
    for pid in [before["actions"], *workers]:
        os.kill(pid, signal.SIGKILL)
    took = wait_for_kb_answer(run, RECOVERY_S)
    after = service_pids(run)
    assert after["actions"] != before["actions"]
    assert (after["rasa"], after["bridge"]) == (before["rasa"], before["bridge"]), "the others kept serving"
    assert not any(running(pid) for pid in workers), "no orphaned worker"
    assert requests.get(f"{run.api_url}/healthz", timeout=5).ok
    log = supervisor_log(run)
    assert "action server exited (code -9); restarting in 1 s (restart 1 of at most" in log, log
    assert "action server is serving again" in log
    print(f"KB answers again {took:.1f} s after SIGKILL of the action server's main process and its worker")


def test_a_killed_worker_alone_is_noticed_and_the_action_server_restarted(run: Bot) -> None:
    before = service_pids(run)
    workers = descendants(before["actions"])
    assert workers
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    wait_for_kb_answer(run, RECOVERY_S + 15)  # Sanic's main process exits, or the health check notices
    after = service_pids(run)
    assert (after["rasa"], after["bridge"]) == (before["rasa"], before["bridge"])
    assert not any(running(pid) for pid in workers)


class Customer:
    """A customer of the bridge's API (the chat widget's calls)."""

    def __init__(self, bot: Bot) -> None:
        r = requests.post(f"{bot.api_url}/api/v1/conversations", json={"channel": "web"}, timeout=30)
        assert r.status_code == 201, r.text
        self.url = f"{bot.api_url}/api/v1/conversations/{r.json()['id']}/messages"
        self.auth = {"Authorization": f"Bearer {r.json()['token']}"}

    def say(self, text: str) -> str:
        r = requests.post(self.url, json={"text": text}, headers=self.auth, timeout=60)
        assert r.status_code == 200, r.text
        return "\n".join(m["text"] for m in r.json()["messages"])

    def history(self) -> list[str]:
        r = requests.get(self.url, headers=self.auth, timeout=30)
        assert r.status_code == 200, r.text
        return [m["text"] for m in r.json()["messages"]]


def test_b_a_killed_bridge_comes_back_with_its_conversations(run: Bot) -> None:
    customer = Customer(run)
    assert "生活缴费" in customer.say(KB_QUESTION)
    before = service_pids(run)
    for pid in [before["bridge"], *descendants(before["bridge"])]:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + RECOVERY_S
    while not answers_bridge(run) and time.monotonic() < deadline:
        time.sleep(1)
    assert KB_QUESTION in customer.history(), "the conversation survived the bridge's death (its database)"
    assert "生活缴费" in customer.say(KB_QUESTION)
    after = service_pids(run)
    assert after["bridge"] != before["bridge"]
    assert (after["rasa"], after["actions"]) == (before["rasa"], before["actions"])


def answers_bridge(bot: Bot) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"{bot.api_url}/healthz", timeout=5).ok
    return False


def test_c_while_a_killed_rasa_restarts_customers_get_the_apology_then_answers(run: Bot) -> None:
    customer = Customer(run)
    before = service_pids(run)
    os.kill(before["rasa"], signal.SIGKILL)
    assert "智能客服暂时无法响应" in customer.say("你好")  # the bridge's apology, with 转人工 offered
    deadline = time.monotonic() + 300  # Rasa loads its model again: a minute or more on 2 busy cores
    while time.monotonic() < deadline:
        if "生活缴费" in customer.say(KB_QUESTION):
            break
        time.sleep(3)
    else:
        pytest.fail(f"Rasa not back in 300 s; supervisor log:\n{supervisor_log(run)}")
    after = service_pids(run)
    assert after["rasa"] != before["rasa"]
    assert (after["bridge"], after["actions"]) == (before["bridge"], before["actions"])
    assert "rasa server exited (code -9); restarting in 1 s" in supervisor_log(run)


def test_z_ctrl_c_stops_all_and_the_next_start_clears_a_stale_process_of_ours(run: Bot, ports: dict[str, int],
                                                                             tmp_path: Path) -> None:
    ctrl_c(run)
    for port in ports.values():
        with contextlib.suppress(requests.RequestException):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
            pytest.fail(f"port {port} still answers after Ctrl-C")
    # an orphan of an earlier run of this project (our venv's interpreter, cwd the repository, its parent gone:
    # adopted by PID 1 or a subreaper) keeps a port, as the Sanic worker did
    stale = orphan(ROOT, APP_PY, ports["ACTIONS_PORT"])
    second = start_run(run.data_dir, ports)
    try:
        assert not running(stale), "the stale process was stopped"
        assert answers_kb(second)
        log = supervisor_log(second)
        assert f"port {ports['ACTIONS_PORT']} is held by a stale process of an earlier run of this project: " \
               f"pid {stale}" in log, log
    finally:
        output = ctrl_c(second)
    assert "ready. Ctrl-C stops everything." in output


def orphan(cwd: Path, python: str, port: int) -> int:
    """A process holding ``port`` whose parent has exited; its PID once it listens."""
    shell = subprocess.run(["bash", "-c", f"setsid {python} -c \"$0\" {port} >/dev/null 2>&1 & echo $!", HOLD_PORT],
                           cwd=cwd, capture_output=True, text=True, timeout=10, check=True)
    pid = int(shell.stdout.strip())
    deadline = time.monotonic() + 20
    while not listening(port):
        assert time.monotonic() < deadline and running(pid), "the stand-in never listened"
        time.sleep(0.1)
    return pid


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_port_held_by_a_foreign_process_is_reported_and_left_alone(tmp_path: Path) -> None:
    port = free_port()
    foreign = subprocess.Popen([sys.executable, "-c", HOLD_PORT, str(port)], cwd=tmp_path, stdout=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        assert foreign.stdout is not None and foreign.stdout.readline().strip() == "listening"
        env = {**os.environ, "DATA_DIR": str(tmp_path)}
        check = subprocess.run([APP_PY, "scripts/supervise.py", "check-ports", str(port)], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=60)
        assert check.returncode == 1, check.stdout + check.stderr
        assert f"port {port} is held by a process that is not part of this project: pid {foreign.pid}" in check.stdout
        assert foreign.poll() is None, "a foreign process is never stopped"
    finally:
        foreign.kill()
        foreign.wait()


def test_a_port_held_by_our_code_that_a_live_terminal_runs_is_left_alone(tmp_path: Path) -> None:
    """Our interpreter and cwd, but its parent (here this test run, as a terminal's `make actions`) still lives."""
    port = free_port()
    held = subprocess.Popen([APP_PY, "-c", HOLD_PORT, str(port)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert held.stdout is not None and held.stdout.readline().strip() == "listening"
        check = subprocess.run([APP_PY, "scripts/supervise.py", "check-ports", str(port)], cwd=ROOT,
                               env={**os.environ, "DATA_DIR": str(tmp_path)}, capture_output=True, text=True,
                               timeout=60)
        assert check.returncode == 1, check.stdout + check.stderr
        assert f"port {port} is held by a process of this project that pid " in check.stdout, check.stdout
        assert held.poll() is None
    finally:
        held.kill()
        held.wait()


def test_an_orphan_of_ours_is_stopped_by_the_check(tmp_path: Path) -> None:
    port = free_port()
    pid = orphan(ROOT, APP_PY, port)
    check = subprocess.run([APP_PY, "scripts/supervise.py", "check-ports", str(port)], cwd=ROOT,
                           env={**os.environ, "DATA_DIR": str(tmp_path)}, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"held by a stale process of an earlier run of this project: pid {pid}" in check.stdout
    assert not running(pid) and not listening(port)


def test_a_free_port_passes_the_check(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path)}
    check = subprocess.run([APP_PY, "scripts/supervise.py", "check-ports", str(free_port())], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and check.stdout == "", check.stdout + check.stderr


def test_zz_a_killed_supervisor_takes_every_service_with_it(run: Bot, ports: dict[str, int]) -> None:
    """SIGKILL of the supervisor itself (no handler runs): the services get SIGTERM from the kernel
    (PR_SET_PDEATHSIG) and stop, the action server's workers with their main process; no port stays held."""
    third = start_run(run.data_dir, ports)
    services = descendants(third.process.pid)
    assert len(services) >= 4  # three services and at least one Sanic worker
    os.kill(third.process.pid, signal.SIGKILL)
    third.process.wait(timeout=10)
    deadline = time.monotonic() + 30
    while (left := [pid for pid in services if running(pid)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    try:
        assert not left, f"processes still running: {[(pid, cmdline(pid)) for pid in left]}"
        assert not any(listening(port) for port in ports.values())
    finally:
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
