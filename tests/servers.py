"""Real, throwaway servers for tests: PostgreSQL and Redis, each in a temporary directory on a spare loopback
port, stopped (the whole process group) and removed at the end. Import the context managers from any test
package; the pytest fixtures wrapping them live in the conftest files (tests/api/store/, tests/api/cluster/),
where a missing binary becomes a skip naming what to install.

* PostgreSQL: ``initdb`` + ``pg_ctl start`` (unix socket in the same directory). It refuses to run as root, so
  when the tests run as root the server runs as the ``postgres`` user (Debian's package creates it; else
  ``useradd`` makes a system user), its files owned by that user.
* Redis: ``redis-server`` with a random ``--requirepass`` (the bridge's Redis is always authenticated),
  ``--save ''`` and no append-only file (nothing written to disk), bound to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

SERVER_USER = "postgres"


class ServerMissing(RuntimeError):
    """The server's binaries are not installed (the fixture turns this into a skip with the reason)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_group(process: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """SIGTERM to the process's whole group, SIGKILL if it is still there after ``timeout_s``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout_s)


# ---------------------------------------------------------------------------------------------- PostgreSQL
def pg_bin() -> Path | None:
    """The directory with initdb and pg_ctl: PG_BIN, else PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    candidates = [os.environ.get("PG_BIN", "")]
    if found := shutil.which("pg_ctl"):
        candidates.append(str(Path(found).parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name),
                         reverse=True)
    for candidate in filter(None, candidates):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


@dataclass
class PostgresServer:
    bindir: Path
    datadir: Path
    port: int
    user: str
    as_other_user: list[str]

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.as_other_user, *argv], capture_output=True, text=True, check=check, timeout=120)

    def create_database(self) -> str:
        """A new, empty database; its URL."""
        from sqlalchemy import create_engine, text

        name = f"bridge_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
        admin.dispose()
        return self.admin_url(name)

    def drop_database(self, url: str) -> None:
        from sqlalchemy import create_engine, text

        name = url.rsplit("/", 1)[1]
        admin = create_engine(self.admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_user() -> tuple[str, list[str]]:
    """Who runs the server and how to run a command as them (root cannot run PostgreSQL)."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name, []
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_USER],
                       check=True)
    return SERVER_USER, ["runuser", "-u", SERVER_USER, "--"]


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    bindir = pg_bin()
    if bindir is None:
        raise ServerMissing("no PostgreSQL server binaries (initdb, pg_ctl) on this machine: apt-get install "
                            "postgresql (or set PG_BIN)")
    user, as_user = server_user()
    root = Path(tempfile.mkdtemp(prefix="bridge-pg-"))
    os.chmod(root, 0o755)
    datadir, port = root / "data", free_port()
    if as_user:
        shutil.chown(root, user)
    server = PostgresServer(bindir, datadir, port, user, as_user)
    try:
        server.run(str(bindir / "initdb"), "-D", str(datadir), "-U", user, "--auth=trust", "-E", "UTF8",
                   "--locale=C.UTF-8")
        started = server.run(str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(root / "server.log"), "-w",
                             "-t", "60", "-o", f"-p {port} -h 127.0.0.1 -k {root} -F", "start", check=False)
        if started.returncode != 0:
            log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {started.stdout}{started.stderr}{log}")
        yield server
    finally:
        if datadir.exists():
            server.run(str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- Redis
@dataclass
class RedisServer:
    port: int
    password: str
    directory: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def client(self) -> Any:
        """A synchronous redis-py client on this server."""
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5)

    def flush(self) -> None:
        """Empty the database (between tests sharing one server)."""
        with contextlib.closing(self.client()) as c:
            c.flushall()


def _redis_answers(server: RedisServer) -> bool:
    try:
        with contextlib.closing(server.client()) as c:
            return bool(c.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False


@contextlib.contextmanager
def running_redis(start_within_s: float = 30.0) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerMissing("no redis-server on this machine: apt-get install redis-server")
    directory = Path(tempfile.mkdtemp(prefix="bridge-redis-"))
    password = secrets.token_urlsafe(24)
    port = free_port()
    (directory / "redis.conf").write_text(f"requirepass {password}\n", encoding="utf-8")  # not on the command line
    os.chmod(directory / "redis.conf", 0o600)
    process = subprocess.Popen(
        [binary, str(directory / "redis.conf"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(directory), "--protected-mode", "yes", "--logfile",
         str(directory / "redis.log")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    server = RedisServer(port, password, directory, process)
    try:
        deadline = time.monotonic() + start_within_s
        while not _redis_answers(server):
            if process.poll() is not None or time.monotonic() > deadline:
                log = (directory / "redis.log").read_text(errors="replace") if (directory / "redis.log").exists() \
                    else ""
                raise RuntimeError(f"redis-server did not start (exit {process.poll()}): {log[-2000:]}")
            time.sleep(0.05)
        yield server
    finally:
        stop_group(process)
        shutil.rmtree(directory, ignore_errors=True)
