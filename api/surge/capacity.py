"""Level 2's raised capacity (临时提高坐席接待上限): entering level 2 raises every agent's capacity by the
configured step (never above the 1-20 bound), remembering each agent's own; leaving level 2 restores it. An agent
whose capacity was changed by hand meanwhile keeps the one they chose. An agent serving more chats than their
restored capacity keeps them (nobody is cut off) and is named in the audit and in the surge status, so a
supervisor sees who is over capacity; the router gives them no new chat until their load is back under it.

The raised capacities are stored (table ``surge_capacity``), so a restart in level 2 still restores them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.compliance.audit import audit
from api.staff.accounts import AGENT_ROLES
from api.store.models import Conversation, SurgeCapacity, User

MAX_CAPACITY = 20  # the bound every capacity keeps (api/staff/accounts.py)


def raised_capacity(base: int, step: int) -> int:
    """The capacity at level 2 (pure)."""
    return max(base, min(MAX_CAPACITY, base + max(0, step)))


def restored_capacity(current: int, base: int, raised: int) -> int:
    """The capacity after level 2 (pure): the agent's own again, unless they changed the raised one by hand."""
    return base if current == raised else current


@dataclass(frozen=True)
class OverCapacity:
    username: str
    load: int
    capacity: int


def _loads(db: Session) -> dict[int, int]:
    rows = db.execute(select(Conversation.agent_id, func.count()).where(Conversation.state == "agent")
                      .group_by(Conversation.agent_id)).all()
    return {int(a): int(n) for a, n in rows if a is not None}


def raise_all(db: Session, actor: str, step: int) -> int:
    """Raises every agent not yet raised (in the caller's transaction, audited); returns how many were."""
    done = set(db.scalars(select(SurgeCapacity.user_id)).all())
    count = 0
    for user in db.scalars(select(User).where(User.role.in_(AGENT_ROLES))).all():
        raised = raised_capacity(user.capacity, step)
        if user.id in done or raised == user.capacity:
            continue
        db.add(SurgeCapacity(user_id=user.id, base=user.capacity, raised=raised))
        audit(db, actor, "surge_capacity", user.username, capacity=f"{user.capacity}->{raised}")
        user.capacity = raised
        count += 1
    return count


def restore_all(db: Session, actor: str) -> list[OverCapacity]:
    """Restores every raised capacity (in the caller's transaction, audited); returns the agents left serving
    more chats than their capacity."""
    loads = _loads(db)
    for row in db.scalars(select(SurgeCapacity)).all():
        user = db.get(User, row.user_id)
        if user is not None:
            restored = restored_capacity(user.capacity, row.base, row.raised)
            if restored != user.capacity:
                audit(db, actor, "surge_capacity", user.username, capacity=f"{user.capacity}->{restored}",
                      load=loads.get(user.id, 0))
                user.capacity = restored
        db.delete(row)
    return over_capacity(db, loads)


def over_capacity(db: Session, loads: dict[int, int] | None = None) -> list[OverCapacity]:
    """Agents serving more chats than their capacity now."""
    loads = _loads(db) if loads is None else loads
    users = db.scalars(select(User).where(User.id.in_(list(loads)))).all() if loads else []
    return sorted((OverCapacity(u.username, loads[u.id], u.capacity) for u in users if loads[u.id] > u.capacity),
                  key=lambda o: o.username)


def raised_count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(SurgeCapacity)) or 0)
