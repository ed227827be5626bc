"""Sensitive-word hits for supervisors to review (written by the conversation engine's transcript layer)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from api.schemas.staff import FlagOut
from api.store.models import Flag, iso


def recent_flags(sessions: sessionmaker, limit: int) -> list[FlagOut]:
    with sessions() as db:
        rows = db.scalars(select(Flag).order_by(Flag.id.desc()).limit(limit)).all()
        return [FlagOut(id=f.id, conversation_id=f.conversation_id, source=f.source, category=f.category,
                        term=f.term, text=f.text, blocked=f.blocked, created_at=iso(f.created_at) or "")
                for f in rows]
