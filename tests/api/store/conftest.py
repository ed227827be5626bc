"""A throwaway PostgreSQL server for the store tests: ``initdb`` into a temporary directory, ``pg_ctl start`` on a
spare loopback port (unix socket in the same directory), a fresh database per test, the server stopped and its
files removed at the end of the session. PostgreSQL refuses to run as root: when the tests run as root the
server runs as the ``postgres`` user (Debian's package creates it; else ``useradd`` makes a system user), its
files owned by that user. Skipped, with the reason, only when no PostgreSQL binaries are installed
(``make postgres`` installs them where it can)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

SERVER_USER = "postgres"


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = pg_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine: apt-get install postgresql "
                    "(or set PG_BIN) to run the PostgreSQL store tests")
    user, as_user = server_user()
    root = Path(tempfile.mkdtemp(prefix="bridge-pg-"))
    os.chmod(root, 0o755)
    datadir, port = root / "data", free_port()
    if as_user:
        shutil.chown(root, user)
    server = PostgresServer(bindir, datadir, port, user, as_user)
    server.run(str(bindir / "initdb"), "-D", str(datadir), "-U", user, "--auth=trust", "-E", "UTF8",
               "--locale=C.UTF-8")
    started = server.run(str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(root / "server.log"), "-w", "-t",
                         "60", "-o", f"-p {port} -h 127.0.0.1 -k {root} -F", "start", check=False)
    if started.returncode != 0:
        log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
        pytest.fail(f"PostgreSQL did not start: {started.stdout}{started.stderr}{log}")
    try:
        yield server
    finally:
        server.run(str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new, empty database on the throwaway server; dropped after the test."""
    from sqlalchemy import create_engine, text

    name = f"bridge_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server.admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    try:
        yield postgres_server.admin_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
