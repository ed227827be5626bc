"""`make cluster`: the multi-process deployment on one machine, from the repository alone (issue 17; README
"Scale-out: the cluster").

    python scripts/cluster.py start [--rasa N] [--actions M] [--bridges K] [--port 8000] [--base-port 15400]
    python scripts/cluster.py stop

``start`` prepares, under ``$DATA_DIR/cluster``, PostgreSQL (``initdb`` once, run as the dedicated ``postgres``
user when started as root, password (SCRAM) authentication, TCP on loopback only, no Unix socket) with a role
``bank`` owning the databases ``bridge`` and ``rasa``; Redis (``requirepass``, loopback, AOF every second + RDB);
HAProxy (the public port, WebSockets included, in front of the K bridges, and a loopback port in front of the M
action servers). It migrates the bridge database and creates Rasa's tracker table once, with PostgreSQL started
alone for that, so N workers and K bridges never race to create a schema. Then it becomes scripts/supervise.py
(``exec``) with the service list in ``$DATA_DIR/cluster/services.json``: every process restarted with back-off
when it dies, whole process groups stopped on Ctrl-C / TERM, restarts counted in ``$DATA_DIR/logs/restarts.json``
(read by ``/metrics``). ``stop`` (``make cluster-stop``) sends TERM to that supervisor and waits for it.

Secrets: the three service secrets as for `make run` (scripts/run_services.sh), and ``PG_ADMIN_PASSWORD``,
``PG_PASSWORD``, ``REDIS_PASSWORD`` and ``CALLBACK_KEY``: from the environment, else in development generated once
into ``$DATA_DIR/cluster/secrets.env`` (0600); outside development a missing one stops the start. They reach the
services through the supervisor's environment, never a command line, a URL in a log, or services.json.
Ports: the public one (``--port``, 8000 like `make run`); the internal ones from ``--base-port``: PostgreSQL +0,
Redis +1, the action servers' HAProxy port +2, Rasa workers +10…, action servers +30…, bridges +50….
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pwd
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from string import Template

sys.path.insert(0, str(Path(__file__).resolve().parent))  # cluster_layout, supervise_proc beside this file
from cluster_layout import (  # noqa: E402
    APP_PY,
    CLUSTER_SECRETS,
    DB_ROLE,
    RASA_PY,
    ROOT,
    ClusterError,
    Layout,
    binary,
    own,
    pg_bin,
    reachable_by_others,
    service_user,
    user_exists,
)
from supervise_proc import alive  # noqa: E402

# ---- secrets


def service_secrets() -> dict[str, str]:
    """RASA_JWT_SECRET, RASA_CHANNEL_SECRET, ACTIONS_SECRET exactly as `make run` gets them."""
    out = subprocess.run([str(ROOT / "scripts/run_services.sh"), "env"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise ClusterError(out.stderr.strip() or "scripts/run_services.sh env failed")
    found = {}
    for line in out.stdout.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        found[name] = shlex.split(value)[0] if value else ""
    return found


def cluster_secrets(layout: Layout) -> dict[str, str]:
    given = {name: os.environ.get(name, "") for name in CLUSTER_SECRETS}
    missing = [name for name, value in given.items() if not value]
    if not missing:
        return given
    if os.environ.get("APP_ENV", "development") != "development":
        raise ClusterError(f"refusing to start outside development: set {', '.join(missing)}")
    path = layout.dir / "secrets.env"
    stored = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line) if path.exists() else {}
    for name in missing:
        if not stored.get(name):
            stored[name] = (base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() if name == "CALLBACK_KEY"
                            else secrets.token_hex(24))
        given[name] = stored[name]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.writelines(f"{name}={value}\n" for name, value in stored.items())
    return given


# ---- PostgreSQL: initdb once, then roles, databases and schemas with the server started alone


def pg_options(layout: Layout) -> list[str]:
    return ["-p", str(layout.pg_port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
            "-c", "max_connections=300", "-c", "password_encryption=scram-sha-256"]


def as_user(user: str | None) -> list[str]:
    return ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--"] if user else []


def init_postgres(layout: Layout, bindir: Path, user: str | None, admin_password: str) -> Path:
    datadir = layout.dir / "postgres"
    if (datadir / "PG_VERSION").exists():
        return datadir
    own(datadir, user, 0o700)
    pwfile = datadir.parent / "pg-init-password"
    fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(admin_password + "\n")
    if user:
        shutil.chown(pwfile, user)
    try:
        subprocess.run([*as_user(user), str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres",
                        "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8"],
                       check=True, capture_output=True, text=True, timeout=300)
    except subprocess.CalledProcessError as exc:
        raise ClusterError(f"initdb failed: {exc.stdout}{exc.stderr}") from exc
    finally:
        pwfile.unlink(missing_ok=True)
    return datadir


def prepare_databases(layout: Layout, bindir: Path, user: str | None, datadir: Path, found: dict[str, str],
                      bridge_env: dict[str, str]) -> None:
    """Start PostgreSQL alone; make the role and the databases; migrate the bridge's and (once) create Rasa's
    tracker table; stop it. Idempotent: run at every start, so a newer release's migrations run once, here."""
    log = layout.data / "logs" / "postgres-prepare.log"
    if stale := stale_servers(layout.dir):
        raise ClusterError(f"servers of an earlier run are still running ({', '.join(stale)}): `make cluster-stop`")
    ctl = [*as_user(user), str(bindir / "pg_ctl"), "-D", str(datadir), "-o", shlex.join(pg_options(layout))]
    server_log = layout.dir / "postgres-prepare-server.log"  # written by the server's own user
    write_private(server_log, "", user)
    started = subprocess.run([*ctl, "-l", str(server_log), "-w", "-t", "120", "start"], capture_output=True,
                             text=True)
    if started.returncode != 0:
        raise ClusterError(f"PostgreSQL did not start: {started.stdout}{started.stderr}; see {server_log}")
    try:
        import psycopg
        from psycopg import sql

        with psycopg.connect(host="127.0.0.1", port=layout.pg_port, user="postgres", dbname="postgres",
                             password=found["PG_ADMIN_PASSWORD"], autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (DB_ROLE,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(DB_ROLE), sql.Literal(found["PG_PASSWORD"])))
            for db in ("bridge", "rasa"):
                if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,)).fetchone():
                    conn.execute(sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                        sql.Identifier(db), sql.Identifier(DB_ROLE)))
        env = {**os.environ, **bridge_env, "PGPASSWORD": found["PG_PASSWORD"]}
        env.pop("REDIS_URL", None)  # migrations and the demo accounts only: Redis is not running yet
        with open(log, "ab") as out:
            subprocess.run([APP_PY, "-c", "from api.app import create_app; create_app()"], cwd=ROOT, env=env,
                           stdout=out, stderr=subprocess.STDOUT, check=True, timeout=300)
            marker = layout.dir / "rasa-tables"
            if not marker.exists():
                subprocess.run([RASA_PY, "-c", "from bot.tracker_store import MaskingSQLTrackerStore as S; "
                                "import os; S(dialect='postgresql', host=os.environ['TRACKER_DB_HOST'], db='rasa', "
                                f"username='{DB_ROLE}', password=os.environ['PGPASSWORD'])"], cwd=ROOT,
                               env={**env, "TRACKER_DB_HOST": f"127.0.0.1:{layout.pg_port}"}, stdout=out,
                               stderr=subprocess.STDOUT, check=True, timeout=300)
                marker.touch()
    except subprocess.CalledProcessError as exc:
        raise ClusterError(f"preparing the databases failed; see {log}") from exc
    finally:
        subprocess.run([*ctl, "-m", "fast", "-w", "-t", "60", "stop"], capture_output=True)


# ---- configuration files and the service list


def write_private(path: Path, text: str, user: str | None = None) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    if user:
        shutil.chown(path, user, pwd.getpwnam(user).pw_gid)


def redis_config(layout: Layout, password: str, user: str | None) -> Path:
    rdir = layout.dir / "redis"
    own(rdir, user, 0o700)
    conf = rdir / "redis.conf"
    template = Template((ROOT / "deploy/redis.conf.in").read_text())
    write_private(conf, template.substitute(port=layout.redis_port, password=password, dir=rdir), user)
    return conf


def haproxy_config(layout: Layout) -> Path:
    user = "haproxy" if os.geteuid() == 0 and user_exists("haproxy") else None
    template = Template((ROOT / "deploy/haproxy.cfg.in").read_text())
    text = template.substitute(
        user_line=f"    user {user}\n    group {user}" if user else "", bind="127.0.0.1", public_port=layout.port,
        actions_port=layout.actions_lb_port,
        bridge_servers="\n".join(f"    server bridge{i + 1} 127.0.0.1:{p} check"
                                 for i, p in enumerate(layout.bridge_ports())),
        action_servers="\n".join(f"    server actions{i + 1} 127.0.0.1:{p} check"
                                 for i, p in enumerate(layout.action_ports())))
    path = layout.dir / "haproxy.cfg"
    write_private(path, text)
    return path


def bridge_environment(layout: Layout) -> dict[str, str]:
    """What every bridge process gets besides its port (no secret: PGPASSWORD, REDIS_URL and CALLBACK_KEY come
    from the supervisor's environment)."""
    return {"DATABASE_URL": f"postgresql+psycopg://{DB_ROLE}@127.0.0.1:{layout.pg_port}/bridge",
            "RASA_URLS": ",".join(f"http://127.0.0.1:{p}" for p in layout.rasa_ports()),
            "TRUSTED_PROXIES": "127.0.0.1"}


def service_list(layout: Layout, bindir: Path, pg_user: str | None, redis_user: str | None, datadir: Path,
                 redis_conf: Path, haproxy_conf: Path) -> list[dict[str, object]]:
    logs = layout.data / "logs"
    model = layout.data / "models" / "bot.tar.gz"
    items: list[dict[str, object]] = [
        {"name": "postgres", "argv": [str(bindir / "postgres"), "-D", str(datadir), *pg_options(layout)],
         "log": str(logs / "postgres.log"), "port": layout.pg_port, "health": f"tcp://127.0.0.1:{layout.pg_port}",
         "user": pg_user},
        {"name": "redis", "argv": [binary("redis-server"), str(redis_conf)], "log": str(logs / "redis.log"),
         "port": layout.redis_port, "health": f"tcp://127.0.0.1:{layout.redis_port}", "user": redis_user},
    ]
    for i, port in enumerate(layout.action_ports(), 1):
        items.append({"name": f"actions-{i}", "argv": [APP_PY, "-m", "actions.server"],
                      "log": str(logs / f"actions-{i}.log"), "port": port,
                      "health": f"http://127.0.0.1:{port}/health", "env": {"ACTIONS_PORT": str(port)}})
    for i, port in enumerate(layout.rasa_ports(), 1):
        items.append({"name": f"rasa-{i}", "log": str(logs / f"rasa-{i}.out"), "port": port,
                      "argv": [RASA_PY, "-m", "bot.serve", "--model", str(model), "--enable-api", "-i", "127.0.0.1",
                               "-p", str(port), "--endpoints", "bot/endpoints.cluster.yml", "--credentials",
                               "bot/credentials.yml", "--log-file", str(logs / f"rasa-{i}.log")],
                      "health": f"http://127.0.0.1:{port}/webhooks/rest/",
                      "env": {"ACTION_ENDPOINT_URL": f"http://127.0.0.1:{layout.actions_lb_port}/webhook"}})
    for i, port in enumerate(layout.bridge_ports(), 1):
        items.append({"name": f"bridge-{i}", "argv": [APP_PY, "-m", "api", "serve", "--port", str(port)],
                      "log": str(logs / f"bridge-{i}.log"), "port": port,
                      "health": f"http://127.0.0.1:{port}/healthz", "env": bridge_environment(layout)})
    items.append({"name": "haproxy", "argv": [binary("haproxy"), "-db", "-f", str(haproxy_conf)],
                  "log": str(logs / "haproxy.log"), "port": layout.port, "health": f"tcp://127.0.0.1:{layout.port}"})
    return items


def supervisor_environment(layout: Layout, found: dict[str, str]) -> dict[str, str]:
    """The environment every service inherits: the secrets, and where the shared stores are."""
    return {"DATA_DIR": str(layout.data), "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "APP_ENV": os.environ.get("APP_ENV", "development"),
            "RASA_JWT_SECRET": found["RASA_JWT_SECRET"], "RASA_CHANNEL_SECRET": found["RASA_CHANNEL_SECRET"],
            "ACTIONS_SECRET": found["ACTIONS_SECRET"], "CALLBACK_KEY": found["CALLBACK_KEY"],
            # psycopg (bridges) and psycopg2 (Rasa) both read PGPASSWORD through libpq; Rasa's endpoints file
            # wants it by name
            "PGPASSWORD": found["PG_PASSWORD"], "TRACKER_DB_PASSWORD": found["PG_PASSWORD"],
            "TRACKER_DB_HOST": f"127.0.0.1:{layout.pg_port}", "TRACKER_DB_NAME": "rasa", "TRACKER_DB_USER": DB_ROLE,
            "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(layout.redis_port), "REDIS_PASSWORD": found["REDIS_PASSWORD"],
            # a ticket of a worker that died frees its conversation after this long (bot/lock_store.py)
            "TICKET_LOCK_LIFETIME": os.environ.get("TICKET_LOCK_LIFETIME", "20"),
            "REDIS_URL": f"redis://:{found['REDIS_PASSWORD']}@127.0.0.1:{layout.redis_port}/0"}


def start(layout: Layout) -> int:
    for needed, what in ((layout.data / "models" / "bot.tar.gz", "`make train`"),
                         (layout.data / "kb" / "current", "`make kb-build`")):
        if not needed.exists():
            raise ClusterError(f"missing {needed}: {what} (or `make cluster`, which does both)")
    bindir = pg_bin()
    binary("redis-server"), binary("haproxy")
    os.umask(0o077)
    (layout.data / "logs").mkdir(parents=True, exist_ok=True)
    pg_user, redis_user = service_user("postgres"), service_user("redis")
    own(layout.dir, None, 0o711)
    if pg_user or redis_user:
        os.chmod(layout.data, os.stat(layout.data).st_mode & 0o777 | 0o011)
        reachable_by_others(layout.dir)
    found = {**service_secrets(), **cluster_secrets(layout)}
    datadir = init_postgres(layout, bindir, pg_user, found["PG_ADMIN_PASSWORD"])
    env = {**supervisor_environment(layout, found), **bridge_environment(layout)}
    prepare_databases(layout, bindir, pg_user, datadir, found, env)
    items = service_list(layout, bindir, pg_user, redis_user, datadir,
                         redis_config(layout, found["REDIS_PASSWORD"], redis_user), haproxy_config(layout))
    listed = layout.dir / "services.json"
    write_private(listed, json.dumps(items, indent=1))
    (layout.dir / "supervisor.pid").write_text(str(os.getpid()))
    print(f"cluster: {layout.rasa} Rasa workers, {layout.actions} action servers, {layout.bridges} bridges, "
          f"PostgreSQL :{layout.pg_port}, Redis :{layout.redis_port} -> http://127.0.0.1:{layout.port}", flush=True)
    os.execve(APP_PY, [APP_PY, str(ROOT / "scripts/supervise.py")],
              {**os.environ, **supervisor_environment(layout, found), "SUPERVISE_SERVICES": str(listed)})
    return 0  # not reached


def stale_servers(cluster_dir: Path) -> dict[str, int]:
    """PostgreSQL or Redis of this data directory still running without a supervisor (it was SIGKILLed: the
    servers run as their own users, so the parent-death signal does not reach them): name -> pid."""
    found = {}
    for name, pidfile in (("postgres", cluster_dir / "postgres" / "postmaster.pid"),
                          ("redis", cluster_dir / "redis" / "redis.pid")):
        try:
            pid = int(pidfile.read_text().split()[0])
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if name.encode() in cmd:
            found[name] = pid
    return found


def stop(data: Path, timeout: float = 90.0) -> int:
    """TERM the supervisor of the cluster in ``data`` and wait for it (it stops every process group)."""
    pidfile = data / "cluster" / "supervisor.pid"
    try:
        pid = int(pidfile.read_text())
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return stop_stale(data)
    if b"supervise.py" not in cmd:
        return stop_stale(data)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if alive(pid):
        print(f"the supervisor (pid {pid}) did not stop in {timeout:.0f} s")
        return 1
    pidfile.unlink(missing_ok=True)
    print("cluster stopped")
    return 0


def stop_stale(data: Path) -> int:
    """No supervisor: stop what it left running (PostgreSQL fast shutdown, Redis TERM), if anything."""
    stale = stale_servers(data / "cluster")
    for name, pid in stale.items():
        print(f"stopping {name} (pid {pid}) left running by an earlier run")
        os.kill(pid, signal.SIGINT if name == "postgres" else signal.SIGTERM)  # SIGINT: PostgreSQL's fast shutdown
    deadline = time.monotonic() + 60
    while stale_servers(data / "cluster") and time.monotonic() < deadline:
        time.sleep(0.2)
    print("cluster stopped" if stale else f"no cluster running for {data}")
    return 1 if stale_servers(data / "cluster") else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--rasa", type=int, default=int(os.environ.get("CLUSTER_RASA", 2)))
    parser.add_argument("--actions", type=int, default=int(os.environ.get("CLUSTER_ACTIONS", 2)))
    parser.add_argument("--bridges", type=int, default=int(os.environ.get("CLUSTER_BRIDGES", 2)))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CLUSTER_PORT", 8000)))
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("CLUSTER_BASE_PORT", 15400)))
    args = parser.parse_args(argv)
    data = Path(os.environ.get("DATA_DIR", "var"))
    data = (data if data.is_absolute() else ROOT / data).resolve()
    if args.command == "stop":
        return stop(data)
    if min(args.rasa, args.actions, args.bridges) < 1:
        parser.error("--rasa, --actions and --bridges must each be at least 1")
    try:
        return start(Layout(data, args.rasa, args.actions, args.bridges, args.port, args.base_port))
    except ClusterError as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
