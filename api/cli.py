"""Command line: ``python -m api serve`` (the bridge), ``create-user`` and ``set-role`` (staff accounts),
``purge`` and ``delete-customer`` (retention and deletion requests, in every store), ``train`` and ``deploy``,
``report`` (a day's KPI report files) and ``demo-data`` (a month of synthetic traffic, development only)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from typing import Awaitable, Callable, Sequence

from sqlalchemy.orm import sessionmaker

from api.compliance.retention import Erased, Retention
from api.errors import BridgeStartupError, ServiceError
from api.feedback.config import load_config as load_feedback_config
from api.settings import Settings
from api.staff.accounts import ROLES, change_role, create_user
from api.store.database import open_database
from api.workbench.training import Job, Trainer


def _sessions(settings: Settings) -> sessionmaker:
    """The bridge database, migrated to the newest schema."""
    return open_database(settings.db_url)[1]


def _create_user(args: argparse.Namespace, settings: Settings) -> int:
    if args.team is not None and args.team not in load_feedback_config(settings.feedback_file).teams:
        print(f"unknown team {args.team}; teams are listed in {settings.feedback_file.name}", file=sys.stderr)
        return 2
    password = os.environ.get("NEW_USER_PASSWORD") or getpass.getpass(f"password for {args.username}: ")
    sessions = _sessions(settings)
    with sessions() as db, db.begin():
        user = create_user(db, args.username, password, args.role, args.name, args.skills.split(","),
                           args.capacity, team=args.team)
    print(f"created {user.role} {user.username} ({user.display_name}), skills {user.skills}, "
          f"capacity {user.capacity}" + (f", team {user.team}" if user.team else ""))
    return 0


def _set_role(args: argparse.Namespace, settings: Settings) -> int:
    """A new role revokes the user's logins; a running bridge closes their sockets at its next check."""
    change_role(_sessions(settings), args.username, args.role, args.actor)
    print(f"{args.username} is now {args.role}; their logins were revoked")
    return 0


def _retention(settings: Settings, erase: Callable[[Retention], Awaitable[Erased]]) -> int:
    """Run an erasure against the bridge database, the Rasa server (RASA_URL, with the JWT) and the
    unanswered store of DATA_DIR."""
    from api.rasa_client import RasaClient

    async def run() -> Erased:
        rasa = RasaClient(settings.rasa_urls, settings.rasa_timeout_s, settings.rasa_jwt_secret,
                          settings.rasa_channel_secret, settings.rasa_webhook_path)
        try:
            return await erase(Retention(_sessions(settings), rasa, settings.data_dir / "kb" / "unanswered.db"))
        finally:
            await rasa.close()
    print(asyncio.run(run()).counts())
    return 0


def _purge(args: argparse.Namespace, settings: Settings) -> int:
    days = args.days if args.days is not None else settings.retention_days
    return _retention(settings, lambda r: r.purge_expired(days))


def _delete_customer(args: argparse.Namespace, settings: Settings) -> int:
    return _retention(settings, lambda r: r.delete_customer(args.customer_id, args.actor))


def _trainer(settings: Settings) -> Trainer:
    from fastapi import FastAPI

    from api.app import _install_workbench
    from api.rasa_client import RasaClient

    app = FastAPI()
    _install_workbench(app, settings, _sessions(settings), RasaClient(
        settings.rasa_urls, settings.rasa_timeout_s, settings.rasa_jwt_secret, settings.rasa_channel_secret,
        settings.rasa_webhook_path))
    trainer: Trainer = app.state.trainer
    return trainer


def _wait(job: Job) -> int:
    import time

    while job.status == "running":
        time.sleep(1)
    for line in job.log:
        print(line)
    return 0 if job.status == "succeeded" else 1


def _train(args: argparse.Namespace, settings: Settings) -> int:
    """Train, evaluate against the model in service, deploy unless accuracy dropped (exit 1 if refused)."""
    trainer = _trainer(settings)
    return _wait(trainer.train(args.actor))


def _deploy(args: argparse.Namespace, settings: Settings) -> int:
    trainer = _trainer(settings)
    if args.name == "list":
        for model in trainer.models():
            print(model)
        return 0
    return _wait(trainer.deploy(args.name, args.actor))


def _report(args: argparse.Namespace, settings: Settings) -> int:
    """Write the KPI report of a local day under DATA_DIR/reports/daily (as the bridge does after midnight)."""
    import datetime as dt

    from api.reports.daily import DailyReports

    paths = DailyReports(_sessions(settings), settings).write(dt.date.fromisoformat(args.day))
    for path in paths.values():
        print(path)
    return 0


def _demo_data(args: argparse.Namespace, settings: Settings) -> int:
    from api.reports.demo import run_demo

    print(run_demo(settings, args.days, args.per_day, args.seed))
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from api.app import create_app
    from api.compliance.serving import serve

    serve(lambda: create_app(settings), settings, args.host, args.port)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the bridge (uvicorn)")
    s.add_argument("--host", default=os.environ.get("BRIDGE_HOST", "127.0.0.1"))
    s.add_argument("--port", type=int, default=int(os.environ.get("BRIDGE_PORT", "8000")))
    u = sub.add_parser("create-user", help="create an agent, supervisor, trainer, reviewer or owner account "
                                           "(password from $NEW_USER_PASSWORD or a prompt)")
    u.add_argument("username")
    u.add_argument("--role", choices=ROLES, default="agent")
    u.add_argument("--name", help="display name shown to customers")
    u.add_argument("--skills", default="通用", help="comma-separated: 信用卡,理财,证券,通用")
    u.add_argument("--capacity", type=int, default=3)
    u.add_argument("--team", help="an owner's team (its feedback queue): one of the teams in FEEDBACK_FILE")
    r = sub.add_parser("set-role", help="change a staff member's role (their logins are revoked)")
    r.add_argument("username")
    r.add_argument("role", choices=ROLES)
    r.add_argument("--actor", default="cli", help="who asked (for the audit log)")
    p = sub.add_parser("purge", help="erase transcripts older than RETENTION_DAYS (or --days), in every store")
    p.add_argument("--days", type=int)
    d = sub.add_parser("delete-customer", help="erase everything a customer said (a deletion request)")
    d.add_argument("customer_id")
    d.add_argument("--actor", default="cli", help="who asked (for the audit log)")
    t = sub.add_parser("train", help="train, evaluate on the held-out set, deploy to the running Rasa if not worse")
    t.add_argument("--actor", default="cli")
    dp = sub.add_parser("deploy", help="deploy (or roll back to) a kept model by name; 'list' shows them")
    dp.add_argument("name")
    dp.add_argument("--actor", default="cli")
    rp = sub.add_parser("report", help="write a day's KPI report (JSON, CSV, XLSX) under DATA_DIR/reports/daily")
    rp.add_argument("--day", required=True, help="local date YYYY-MM-DD")
    dd = sub.add_parser("demo-data", help="development only: drive synthetic traffic through the engine so the "
                                          "reports show a believable month")
    dd.add_argument("--days", type=int, default=30)
    dd.add_argument("--per-day", type=int, default=40, help="conversations per weekday (about; weekends fewer)")
    dd.add_argument("--seed", type=int, default=15)
    args = ap.parse_args(argv)
    try:
        settings = Settings()
        handlers = {"serve": _serve, "create-user": _create_user, "set-role": _set_role, "purge": _purge,
                    "delete-customer": _delete_customer, "train": _train, "deploy": _deploy, "report": _report,
                    "demo-data": _demo_data}
        return handlers[args.command](args, settings)
    except (ServiceError, ValueError, BridgeStartupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
