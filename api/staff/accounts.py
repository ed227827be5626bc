"""Staff accounts (agent, supervisor, trainer): creation, login with expiring tokens, demo seeding."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from api.compliance.audit import audit
from api.conversation.routing import SKILL_GROUPS
from api.errors import Refused
from api.settings import Settings
from api.staff.security import hash_password, new_token, token_hash, verify_password
from api.store.models import AuthToken, User, utcnow

log = logging.getLogger(__name__)

ROLES = ("agent", "supervisor", "trainer")
AGENT_ROLES = ("agent", "supervisor")  # who serves customers
DEMO_ACCOUNTS: tuple[tuple[str, str, str, list[str]], ...] = (
    ("agent", "坐席小王", "agent", ["通用", "信用卡"]),
    ("supervisor", "班长老李", "supervisor", list(SKILL_GROUPS)),
    ("trainer", "训练师小张", "trainer", []),
)


class AccountError(Refused):
    """An account that cannot be created as asked (422)."""


class LoginRefused(AccountError):
    """Wrong username or password, or the demo password outside development mode (401)."""

    status = 401


def create_user(db: Session, username: str, password: str, role: str, display_name: str | None = None,
                skills: Sequence[str] = ("通用",), capacity: int = 3) -> User:
    if role not in ROLES:
        raise AccountError(f"role must be one of {ROLES}")
    if not username or len(username) > 64 or not username.isprintable():
        raise AccountError("username must be 1-64 printable characters")
    if len(password) < 4:
        raise AccountError("password must have at least 4 characters")
    unknown = [s for s in skills if s not in SKILL_GROUPS]
    if unknown:
        raise AccountError(f"unknown skill groups {unknown}; use {SKILL_GROUPS}")
    if not 1 <= capacity <= 20:
        raise AccountError("capacity must be 1-20")
    if db.scalars(select(User).where(User.username == username)).first():
        raise AccountError(f"user {username} already exists")
    user = User(username=username, display_name=display_name or username, role=role,
                password_hash=hash_password(password), status="offline", capacity=capacity,
                skills_json=json.dumps(list(skills), ensure_ascii=False), created_at=utcnow())
    db.add(user)
    db.flush()
    audit(db, "system", "create_user", username, role=role, skills=list(skills), capacity=capacity)
    return user


def seed_demo(sessions: sessionmaker, settings: Settings) -> list[str]:
    """Development mode only: the demo accounts with ``$DEMO_PASSWORD``; returns the names created."""
    if not settings.development:
        return []
    created = []
    with sessions() as db, db.begin():
        for username, name, role, skills in DEMO_ACCOUNTS:
            if not db.scalars(select(User).where(User.username == username)).first():
                create_user(db, username, settings.demo_password, role, name, skills)
                created.append(username)
    return created


def login(sessions: sessionmaker, settings: Settings, username: str, password: str) -> tuple[User, str, dt.datetime]:
    with sessions() as db, db.begin():
        user = db.scalars(select(User).where(User.username == username)).first()
        if user is None or not verify_password(password, user.password_hash):
            with sessions() as log_db, log_db.begin():
                audit(log_db, username[:64], "login_failed")
            raise LoginRefused("wrong username or password")
        if not settings.development and password == settings.demo_password == "demo":
            raise LoginRefused("the default demo password is refused outside development mode")
        token = new_token()
        expires = utcnow() + dt.timedelta(seconds=settings.token_ttl_s)
        db.execute(delete(AuthToken).where(AuthToken.expires_at < utcnow()))
        db.add(AuthToken(token_hash=token_hash(token), user_id=user.id, expires_at=expires, created_at=utcnow()))
        audit(db, user.username, "login", role=user.role)
        return user, token, expires


def user_for_token(sessions: sessionmaker, token: str | None) -> User | None:
    if not token:
        return None
    with sessions() as db:
        row = db.get(AuthToken, token_hash(token))
        if row is None or row.expires_at < utcnow():
            return None
        return db.get(User, row.user_id)


def logout(sessions: sessionmaker, token: str) -> None:
    with sessions() as db, db.begin():
        db.execute(delete(AuthToken).where(AuthToken.token_hash == token_hash(token)))
