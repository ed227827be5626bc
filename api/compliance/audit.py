"""The audit trail: one append-only row per staff action and per compliance event (the migration adds
triggers refusing UPDATE and DELETE on SQLite), with its actor and details masked: a username is whatever was
typed into the login form, and a customer's card typed there must not be kept.

Supervisors read every entry; trainers only the workbench's own (:data:`WORKBENCH_ACTIONS`), not who logged in
from where, deletion requests or sensitive-word hits."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from api.schemas.staff import AuditEntryOut
from api.store.models import AuditEntry, iso, utcnow
from common.pii import mask_pii

# what the trainer workbench records (api/workbench: NLU and KB edits, imports, training and deploys)
WORKBENCH_ACTIONS = frozenset({
    "create_intent", "delete_intent", "add_example", "delete_example", "set_response", "add_synonym", "add_lookup",
    "set_institution",
    "kb_create", "kb_update", "kb_retire", "kb_add_similar", "kb_import",
    "train_and_deploy", "deploy_refused", "deploy", "rollback",
    "trained", "change_submitted", "change_approved", "change_rejected", "change_failed",  # maker-checker
})
WORKBENCH_PREFIXES = ("unanswered_",)  # unanswered_add_example, unanswered_dismiss …


def _masked(value: Any) -> Any:
    """Mask the text inside a detail value (strings only: numbers such as metrics stay numbers)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


def actor_name(actor: str) -> str:
    """The actor as stored: a username masked (it may be anything typed into the login form); the engine's
    own actors (``system``, ``customer:<conversation id>``) as they are."""
    if actor == "system" or actor.startswith("customer:"):
        return actor[:80]
    return mask_pii(actor)[:80]


def audit(db: Session, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
    """Add an audit row in the caller's transaction (so it commits or rolls back with the action)."""
    text = json.dumps(_masked(detail), ensure_ascii=False, default=str) if detail else None
    db.add(AuditEntry(at=utcnow(), actor=actor_name(actor), action=action, target=target, detail_json=text))


def record(sessions: sessionmaker, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
    """An audit row in its own transaction, for actions that are not database writes (file edits, deploys)."""
    with sessions() as db, db.begin():
        audit(db, actor, action, target, **detail)


def recent(sessions: sessionmaker, limit: int, action: str | None = None,
           only: Iterable[str] | None = None, prefixes: Iterable[str] = (), *, actor: str | None = None,
           target: str | None = None, since: dt.date | None = None, until: dt.date | None = None
           ) -> list[AuditEntryOut]:
    """The newest entries first, optionally of one action, or only of the actions ``only`` (and those starting
    with one of ``prefixes``); by an actor or on a target whose name contains the given text; within whole
    (UTC) days ``since``..``until``."""
    with sessions() as db:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if action:
            query = query.where(AuditEntry.action == action)
        if only is not None:
            query = query.where(or_(AuditEntry.action.in_(list(only)),
                                    *(AuditEntry.action.startswith(p, autoescape=True) for p in prefixes)))
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


def workbench_entries(sessions: sessionmaker, limit: int) -> list[AuditEntryOut]:
    """What a trainer may read: the workbench's own entries."""
    return recent(sessions, limit, only=WORKBENCH_ACTIONS, prefixes=WORKBENCH_PREFIXES)
