"""What scripts/cluster.py lays out: the data directory's cluster part, the ports, the server binaries and the users
they run as (split from scripts/cluster.py to keep each file to one job)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_PY, RASA_PY = str(ROOT / ".venvs/app/bin/python"), str(ROOT / ".venvs/rasa/bin/python")
CLUSTER_SECRETS = ("PG_ADMIN_PASSWORD", "PG_PASSWORD", "REDIS_PASSWORD", "CALLBACK_KEY")
DB_ROLE = "bank"


class ClusterError(RuntimeError):
    """A start that cannot go on; the message says what to do."""


@dataclass(frozen=True)
class Layout:
    data: Path
    rasa: int
    actions: int
    bridges: int
    port: int
    base: int

    @property
    def dir(self) -> Path:
        return self.data / "cluster"

    @property
    def pg_port(self) -> int:
        return self.base

    @property
    def redis_port(self) -> int:
        return self.base + 1

    @property
    def actions_lb_port(self) -> int:
        return self.base + 2

    def rasa_ports(self) -> list[int]:
        return [self.base + 10 + i for i in range(self.rasa)]

    def action_ports(self) -> list[int]:
        return [self.base + 30 + i for i in range(self.actions)]

    def bridge_ports(self) -> list[int]:
        return [self.base + 50 + i for i in range(self.bridges)]


def pg_bin() -> Path:
    candidates = [os.environ.get("PG_BIN", "")]
    if found := shutil.which("pg_ctl"):
        candidates.append(str(Path(found).parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    for candidate in filter(None, candidates):
        if all((Path(candidate) / b).exists() for b in ("initdb", "pg_ctl", "postgres")):
            return Path(candidate)
    raise ClusterError("no PostgreSQL server binaries (initdb, pg_ctl, postgres): `make cluster-servers` installs "
                       "them (apt-get install postgresql), or set PG_BIN")


def binary(name: str) -> str:
    found = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).exists()),
                                       None)
    if not found:
        raise ClusterError(f"no {name}: `make cluster-servers` installs it (apt-get install redis-server haproxy)")
    return found


def service_user(name: str) -> str | None:
    """The dedicated user a server runs as when we are root (PostgreSQL refuses root), created if missing."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    return name


def own(path: Path, user: str | None, mode: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if user:
        shutil.chown(path, user, pwd.getpwnam(user).pw_gid)
    os.chmod(path, mode)


def reachable_by_others(path: Path) -> None:
    """The servers' own users must traverse to their directories: every ancestor needs o+x (DATA_DIR and its
    cluster directory get 0711: others may pass through, never list or read)."""
    for parent in [path, *path.parents]:
        if not os.stat(parent).st_mode & 0o001:
            raise ClusterError(f"{parent} is not traversable by other users (the PostgreSQL and Redis users must "
                               f"reach {path}): chmod o+x it, or choose a DATA_DIR under a traversable directory")


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
