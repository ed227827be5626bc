"""Retention: transcripts older than ``RETENTION_DAYS`` are deleted and their conversations anonymised; a
customer's deletion request removes everything said in their conversations. Both are audited, both run in
one transaction (all or nothing)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.compliance.audit import audit
from api.store.models import Conversation, Flag, LeaveMessage, Message, Survey, utcnow


def _erase(db: Session, conv_ids: list[str]) -> dict[str, int]:
    if not conv_ids:
        return {"conversations": 0, "messages": 0, "leave_messages": 0}
    messages = db.scalar(select(func.count()).select_from(Message).where(Message.conversation_id.in_(conv_ids)))
    leaves = db.scalar(select(func.count()).select_from(LeaveMessage)
                       .where(LeaveMessage.conversation_id.in_(conv_ids)))
    db.execute(delete(Message).where(Message.conversation_id.in_(conv_ids)))
    db.execute(delete(LeaveMessage).where(LeaveMessage.conversation_id.in_(conv_ids)))
    db.execute(update(Survey).where(Survey.conversation_id.in_(conv_ids)).values(comment=None))
    db.execute(update(Flag).where(Flag.conversation_id.in_(conv_ids)).values(text=""))
    db.execute(update(Conversation).where(Conversation.id.in_(conv_ids)).values(
        customer_id=None, handoff_json=None, state="closed", agent_id=None, stage=None,
        token_hash=secrets.token_hex(32)))  # the old token can no longer read anything
    return {"conversations": len(conv_ids), "messages": int(messages or 0), "leave_messages": int(leaves or 0)}


def purge_expired(sessions: sessionmaker, retention_days: int, now: dt.datetime | None = None) -> dict[str, int]:
    """Erase conversations idle for longer than the retention period (never one with a human right now)."""
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    with sessions() as db, db.begin():
        # not yet erased: erasing closes a conversation and drops its customer id
        ids = list(db.scalars(select(Conversation.id).where(
            Conversation.updated_at < cutoff,
            or_(Conversation.state == "bot",
                (Conversation.state == "closed") & Conversation.customer_id.is_not(None)))))
        counts = _erase(db, ids)
        if ids:
            audit(db, "system", "retention_purge", None, retention_days=retention_days, **counts)
    return counts


def delete_customer(sessions: sessionmaker, customer_id: str, actor: str) -> dict[str, int]:
    """A customer's deletion request: everything said in their conversations is erased."""
    with sessions() as db, db.begin():
        ids = list(db.scalars(select(Conversation.id).where(Conversation.customer_id == customer_id)))
        counts = _erase(db, ids)
        digest = hashlib.sha256(customer_id.encode()).hexdigest()[:16]
        audit(db, actor, "customer_deleted", f"sha256:{digest}", **counts)
    return counts
