"""The audit trail: one append-only row per staff action and per compliance event (the migration adds
triggers refusing UPDATE and DELETE on SQLite), with its details masked."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.schemas.staff import AuditEntryOut
from api.store.models import AuditEntry, iso, utcnow
from common.pii import mask_pii


def _masked(value: Any) -> Any:
    """Mask the text inside a detail value (strings only: numbers such as metrics stay numbers)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


def audit(db: Session, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
    """Add an audit row in the caller's transaction (so it commits or rolls back with the action)."""
    text = json.dumps(_masked(detail), ensure_ascii=False, default=str) if detail else None
    db.add(AuditEntry(at=utcnow(), actor=actor, action=action, target=target, detail_json=text))


def record(sessions: sessionmaker, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
    """An audit row in its own transaction, for actions that are not database writes (file edits, deploys)."""
    with sessions() as db, db.begin():
        audit(db, actor, action, target, **detail)


def recent(sessions: sessionmaker, limit: int, action: str | None = None, *, actor: str | None = None,
           target: str | None = None, since: dt.date | None = None, until: dt.date | None = None
           ) -> list[AuditEntryOut]:
    """The newest entries first, optionally of one action; by an actor or on a target whose name contains the
    given text; within whole (UTC) days ``since``..``until``."""
    with sessions() as db:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if action:
            query = query.where(AuditEntry.action == action)
        if actor:
            query = query.where(AuditEntry.actor.contains(actor, autoescape=True))
        if target:
            query = query.where(AuditEntry.target.contains(target, autoescape=True))
        if since:
            query = query.where(AuditEntry.at >= dt.datetime.combine(since, dt.time()))
        if until:
            query = query.where(AuditEntry.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
        return [AuditEntryOut(id=a.id, at=iso(a.at) or "", actor=a.actor, action=a.action, target=a.target,
                              detail=json.loads(a.detail_json) if a.detail_json else None)
                for a in db.scalars(query)]
