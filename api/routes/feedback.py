"""The feedback loop (意见建议闭环), roles owner (their team's queue only) and supervisor (every team, acting for
owners): the queue with filters, one item with its replies, assign, reply (to the customer's conversation, as a
留言 callback note, or internal), close; the categories and teams; the period's figures; an owner's team."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import ChatDep, SupervisorUser, staff
from api.feedback.owner_queue import OWNER_ROLES, OwnerQueue
from api.schemas.feedback import (
    AssignIn,
    CategoryOut,
    CategoryVolumeOut,
    DurationOut,
    FeedbackConfigOut,
    FeedbackItemOut,
    FeedbackList,
    FeedbackStatsOut,
    FeedbackStatus,
    OwnerOut,
    OwnerTeamIn,
    ReplyIn,
    ThemeOut,
)
from api.store.models import User

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])
OwnerUser = Annotated[User, Depends(staff(*OWNER_ROLES))]


def _queue(chat: ChatDep) -> OwnerQueue:
    return OwnerQueue(chat.ctx, chat.transcript)


QueueDep = Annotated[OwnerQueue, Depends(_queue)]


@router.get("/items")
async def list_items(user: OwnerUser, queue: QueueDep, status: FeedbackStatus | None = None,
                     category: Annotated[str | None, Query(max_length=16)] = None,
                     team: Annotated[str | None, Query(max_length=32)] = None,
                     overdue: bool | None = None) -> FeedbackList:
    """An owner's team's items (``team`` is ignored for owners), overdue first, then by due time."""
    own, items = queue.items(user, status, category, team, overdue)
    return FeedbackList(team=own, items=items)


@router.get("/items/{item_id}")
async def get_item(item_id: int, user: OwnerUser, queue: QueueDep) -> FeedbackItemOut:
    return queue.item(user, item_id)


@router.post("/items/{item_id}/assign")
async def assign_item(item_id: int, body: AssignIn, user: OwnerUser, queue: QueueDep) -> FeedbackItemOut:
    """Take the item (no assignee), give it to an owner of its team, or (supervisors) route it to another team."""
    return queue.assign(user, item_id, body.assignee, body.team)


@router.post("/items/{item_id}/reply")
async def reply_item(item_id: int, body: ReplyIn, user: OwnerUser, queue: QueueDep) -> FeedbackItemOut:
    """``via``: message (into the customer's conversation), callback_note (a 留言 callback task with the number
    the customer left), none (internal)."""
    return await queue.reply(user, item_id, body.text, body.via)


@router.post("/items/{item_id}/close")
async def close_item(item_id: int, user: OwnerUser, queue: QueueDep) -> FeedbackItemOut:
    return queue.close(user, item_id)


@router.get("/config")
async def feedback_config(user: OwnerUser, queue: QueueDep) -> FeedbackConfigOut:
    config = queue.config()
    return FeedbackConfigOut(categories=[CategoryOut(name=c.name, sla_hours=c.sla_hours, keywords=list(c.keywords))
                                         for c in config.categories],
                             teams=list(config.teams), default_team=config.default_team)


@router.get("/stats")
async def feedback_stats(user: OwnerUser, queue: QueueDep, since: dt.date | None = None,
                         until: dt.date | None = None,
                         team: Annotated[str | None, Query(max_length=32)] = None) -> FeedbackStatsOut:
    """Items created from ``since`` to ``until`` (inclusive days, UTC; default the last 30 days): volume by
    category, hours to first reply and to close (mean, median), overdue now, closed late, top themes."""
    end = (until or dt.datetime.now(dt.timezone.utc).date()) + dt.timedelta(days=1)
    start = since or end - dt.timedelta(days=30)
    scope, stats = queue.stats(user, dt.datetime.combine(start, dt.time()), dt.datetime.combine(end, dt.time()),
                               team)
    return FeedbackStatsOut(
        since=start.isoformat(), until=(end - dt.timedelta(days=1)).isoformat(), team=scope, total=stats.total,
        by_category=[CategoryVolumeOut(**vars(v)) for v in stats.by_category], by_status=stats.by_status,
        first_reply=DurationOut(**vars(stats.first_reply)), close=DurationOut(**vars(stats.close)),
        overdue_ids=stats.overdue_ids, closed_late=stats.closed_late,
        themes=[ThemeOut(**vars(t)) for t in stats.themes])


@router.put("/owners/{username}/team")
async def set_owner_team(username: str, body: OwnerTeamIn, user: SupervisorUser, queue: QueueDep) -> OwnerOut:
    """Tie an owner (or a supervisor) to a team: the queue they see."""
    found = queue.set_team(user, username, body.team)
    return OwnerOut(username=found.username, display_name=found.display_name, role=found.role, team=found.team)
