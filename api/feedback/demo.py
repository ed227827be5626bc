"""Development mode only: a demo owner account (``owner``, password ``$DEMO_PASSWORD``) tied to the default team,
so a new user can open /feedback as an owner as well as a supervisor."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from api.feedback.config import load_config
from api.settings import Settings
from api.staff.accounts import create_user
from api.store.models import User

DEMO_OWNER = ("owner", "意见处理人小周")


def seed_demo_owner(sessions: sessionmaker, settings: Settings) -> list[str]:
    """The names created ([] outside development or when the account exists)."""
    if not settings.development:
        return []
    username, name = DEMO_OWNER
    with sessions() as db, db.begin():
        if db.scalars(select(User).where(User.username == username)).first():
            return []
        create_user(db, username, settings.demo_password, "owner", name, [],
                    team=load_config(settings.feedback_file).default_team)
    return [username]
