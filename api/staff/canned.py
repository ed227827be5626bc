"""快捷回复: the agents' canned replies, seeded once from api/canned_responses.yml, searched by title or text."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import or_, select
from sqlalchemy.orm import sessionmaker

from api.schemas.staff import CannedOut
from api.store.models import CannedResponse

CANNED_FILE = Path(__file__).resolve().parents[1] / "canned_responses.yml"


def seed_canned(sessions: sessionmaker, path: Path = CANNED_FILE) -> None:
    """Fill an empty table from the file (later edits live in the database)."""
    with sessions() as db, db.begin():
        if db.scalars(select(CannedResponse)).first() is None:
            for item in yaml.safe_load(path.read_text(encoding="utf-8")):
                db.add(CannedResponse(title=item["title"], text=item["text"], skill_group=item["skill_group"]))


def search_canned(sessions: sessionmaker, q: str = "") -> list[CannedOut]:
    with sessions() as db:
        query = select(CannedResponse).order_by(CannedResponse.skill_group, CannedResponse.id)
        if q.strip():
            like = f"%{q.strip()}%"
            query = query.where(or_(CannedResponse.title.like(like), CannedResponse.text.like(like)))
        return [CannedOut.model_validate(row) for row in db.scalars(query).all()]
