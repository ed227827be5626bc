"""A feedback item's life (pure): open -> assigned -> replied -> closed, its SLA due time and overdue.

An owner may reply without taking the item first (open -> replied: replying assigns it to them), reply more than
once, and hand an assigned item to a colleague (assigned -> assigned); an item is closed only once replied, so no
opinion is closed without an answer; a closed item stays closed."""

from __future__ import annotations

import datetime as dt

STATUSES = ("open", "assigned", "replied", "closed")
STATUS_NAMES = {"open": "待分派", "assigned": "处理中", "replied": "已答复", "closed": "已关闭"}
ACTION_NAMES = {"assign": "分派", "reply": "答复", "close": "关闭"}
TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "assign"): "assigned",
    ("assigned", "assign"): "assigned",
    ("open", "reply"): "replied",
    ("assigned", "reply"): "replied",
    ("replied", "reply"): "replied",
    ("replied", "close"): "closed",
}


class TransitionRefused(ValueError):
    """The action is not allowed in the item's status (the message is Chinese, for the owner)."""


def next_status(status: str, action: str) -> str:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        if action == "close" and status in ("open", "assigned"):
            raise TransitionRefused("请先答复客户再关闭该意见") from None
        raise TransitionRefused(f"该意见{STATUS_NAMES.get(status, status)}，不能{ACTION_NAMES.get(action, action)}"
                                ) from None


def due_at(created_at: dt.datetime, sla_hours: float) -> dt.datetime:
    return created_at + dt.timedelta(hours=sla_hours)


def is_overdue(status: str, due: dt.datetime, now: dt.datetime) -> bool:
    """Past its due time and not closed yet (what the owner's queue highlights)."""
    return status != "closed" and now > due


def closed_late(due: dt.datetime, closed_at: dt.datetime | None) -> bool:
    return closed_at is not None and closed_at > due
