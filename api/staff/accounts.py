"""Staff accounts (agent, supervisor, trainer): creation, role changes, login with expiring tokens, demo seeding.

Login is built so that what an attacker measures or floods tells them nothing:

* an unknown username costs the same scrypt as a known one (checked against a dummy hash), so the answer time
  does not say whether the account exists; the route runs all of it in a worker thread, off the event loop, and
  at most :data:`HASHING_SLOTS` checks run at once (a flood of logins queues instead of taking every core from
  the customers' chats);
* failures are counted per username and per address (``api.compliance.limits.Lockouts``): too many lock that
  username or address for ``LOGIN_LOCKOUT_S`` (429 with Retry-After, no password checked meanwhile), and every
  failure and lockout is audited with the username masked (a customer's card typed into the wrong field must
  not reach the audit log).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import secrets
import threading
from typing import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from api.compliance.audit import audit
from api.compliance.limits import EdgeLimits
from api.conversation.routing import SKILL_GROUPS
from api.errors import NotFound, Refused, ServiceError
from api.settings import Settings
from api.staff.security import hash_password, new_token, token_hash, verify_password
from api.store.models import AuthToken, User, utcnow
from common.pii import mask_pii

log = logging.getLogger(__name__)

ROLES = ("agent", "supervisor", "trainer", "reviewer", "owner")  # owner: a team's feedback queue (api/feedback)
AGENT_ROLES = ("agent", "supervisor")  # who serves customers
REVIEWER_ROLES = ("reviewer", "supervisor")  # who reviews conversations (质检) and checks trainers' changes
DEMO_ACCOUNTS: tuple[tuple[str, str, str, list[str]], ...] = (
    ("agent", "坐席小王", "agent", ["通用", "信用卡"]),
    ("supervisor", "班长老李", "supervisor", list(SKILL_GROUPS)),
    ("trainer", "训练师小张", "trainer", []),
    ("reviewer", "质检员小陈", "reviewer", []),
)


HASHING_SLOTS = max(1, len(os.sched_getaffinity(0)) - 1)  # scrypt checks at once (one core left for the rest)
_hashing = threading.BoundedSemaphore(HASHING_SLOTS)


def check_password(password: str, stored: str) -> bool:
    """:func:`verify_password`, at most :data:`HASHING_SLOTS` at a time (blocking)."""
    with _hashing:
        return verify_password(password, stored)


class AccountError(Refused):
    """An account that cannot be created as asked (422)."""


class LoginRefused(AccountError):
    """Wrong username or password, or the demo password outside development mode (401)."""

    status = 401


class LoginLocked(ServiceError):
    """Too many failed logins for this username or from this address (429; ``retry_after_s``)."""

    status = 429

    def __init__(self, retry_after_s: float) -> None:
        minutes = max(1, int(retry_after_s + 59) // 60)
        super().__init__(f"登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试")
        self.retry_after_s = retry_after_s


def audit_name(username: str) -> str:
    """A username as the audit log may keep it: masked (and cut to the column)."""
    return mask_pii(username)[:64]


@functools.cache
def _dummy_hash() -> str:
    """What an unknown username's password is checked against (same cost as a real one)."""
    return hash_password(secrets.token_urlsafe(16))


def create_user(db: Session, username: str, password: str, role: str, display_name: str | None = None,
                skills: Sequence[str] = ("通用",), capacity: int = 3, team: str | None = None) -> User:
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
                skills_json=json.dumps(list(skills), ensure_ascii=False), team=team, created_at=utcnow())
    db.add(user)
    db.flush()
    audit(db, "system", "create_user", username, role=role, skills=list(skills), capacity=capacity)
    return user


def change_role(sessions: sessionmaker, username: str, role: str, actor: str) -> int:
    """Give ``username`` another role; every login token of theirs is revoked (their open sockets close at
    their next check, or at once through ``SocketRegistry.close_user``). Returns the user's id."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {ROLES}")
    with sessions() as db, db.begin():
        user = db.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound(f"no user {username}")
        previous, user.role = user.role, role
        if role not in AGENT_ROLES:
            user.status = "offline"
        db.execute(delete(AuthToken).where(AuthToken.user_id == user.id))
        audit(db, actor, "change_role", username, previous=previous, role=role)
        return user.id


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


def _failed(sessions: sessionmaker, username: str, address: str, limits: EdgeLimits | None) -> None:
    """Count and audit a failed login, and the lockouts it starts."""
    name = audit_name(username)
    locked = []
    if limits is not None:
        if limits.login_users.failure(username):
            locked.append(("username", name))
        if limits.login_addresses.failure(address):
            locked.append(("address", address))
    with sessions() as db, db.begin():
        audit(db, name, "login_failed", None, address=address)
        for kind, key in locked:
            audit(db, "system", "login_locked", key[:80], kind=kind, username=name, address=address)


def login(sessions: sessionmaker, settings: Settings, username: str, password: str, address: str = "?",
          limits: EdgeLimits | None = None) -> tuple[User, str, dt.datetime]:
    """Check the password (blocking: scrypt; the route calls this in a worker thread) and issue a token."""
    if limits is not None:
        wait = max(limits.login_users.locked_for(username), limits.login_addresses.locked_for(address))
        if wait:
            raise LoginLocked(wait)
    with sessions() as db:
        user = db.scalars(select(User).where(User.username == username)).first()
        stored = user.password_hash if user is not None else _dummy_hash()
    if not check_password(password, stored) or user is None:
        _failed(sessions, username, address, limits)
        raise LoginRefused("用户名或密码错误")
    if not settings.development and password == settings.demo_password == "demo":
        raise LoginRefused("the default demo password is refused outside development mode (demo 密码仅限开发模式)")
    if limits is not None:
        limits.login_users.success(username)
    token = new_token()
    expires = utcnow() + dt.timedelta(seconds=settings.token_ttl_s)
    with sessions() as db, db.begin():
        db.execute(delete(AuthToken).where(AuthToken.expires_at < utcnow()))
        db.add(AuthToken(token_hash=token_hash(token), user_id=user.id, expires_at=expires, created_at=utcnow()))
        audit(db, audit_name(user.username), "login", role=user.role, address=address)
    return user, token, expires


def session_for_token(sessions: sessionmaker, token: str | None) -> tuple[User, dt.datetime] | None:
    """The staff member a token belongs to and when it expires; None for an unknown or expired token."""
    if not token:
        return None
    with sessions() as db:
        row = db.get(AuthToken, token_hash(token))
        if row is None or row.expires_at < utcnow():
            return None
        user = db.get(User, row.user_id)
        return (user, row.expires_at) if user is not None else None


def user_for_token(sessions: sessionmaker, token: str | None) -> User | None:
    found = session_for_token(sessions, token)
    return found[0] if found else None


def logout(sessions: sessionmaker, token: str) -> None:
    with sessions() as db, db.begin():
        db.execute(delete(AuthToken).where(AuthToken.token_hash == token_hash(token)))
