"""The supervisor's API (role supervisor): the queue and agents at a glance, listening in on a live chat (its
detail, under the agent API), whispering to its agent and taking it over, the wrap-up report, the audit log with
filters, sensitive-word flags, and customers' deletion requests."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from api.compliance.audit import recent
from api.compliance.flags import recent_flags
from api.deps import QueueDep, RetentionDep, SessionDep, SupervisionDep, SupervisorUser
from api.schemas.customer import MessageOut
from api.schemas.staff import (
    AuditEntryOut,
    ConversationSummary,
    ErasedCounts,
    FlagOut,
    SupervisorOverview,
    WhisperIn,
    WrapUpReport,
)

router = APIRouter(prefix="/api/v1/supervisor", tags=["supervisor"])


@router.get("/overview")
async def overview(user: SupervisorUser, queue: QueueDep) -> SupervisorOverview:
    """The queue by skill group with positions in each, long waits flagged; agents (over capacity flagged);
    live chats."""
    return queue.overview()


@router.get("/audit")
async def audit_log(user: SupervisorUser, sessions: SessionDep, action: str | None = None,
                    actor: Annotated[str | None, Query(max_length=80)] = None,
                    target: Annotated[str | None, Query(max_length=80)] = None,
                    since: dt.date | None = None, until: dt.date | None = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AuditEntryOut]:
    """Newest first; ``actor`` and ``target`` match part of the name, ``since``/``until`` are whole days."""
    return recent(sessions, limit, action, actor=actor, target=target, since=since, until=until)


@router.post("/conversations/{conv_id}/whisper", response_model_by_alias=True)
async def whisper(conv_id: str, body: WhisperIn, user: SupervisorUser, supervision: SupervisionDep) -> MessageOut:
    """A note only the serving agent sees (never the customer); audited."""
    return await supervision.whisper(user, conv_id, body.text)


@router.post("/conversations/{conv_id}/takeover")
async def take_over(conv_id: str, user: SupervisorUser, supervision: SupervisionDep) -> ConversationSummary:
    """Serve the chat yourself (within your capacity); the agent loses it at once; audited."""
    return await supervision.take_over(user, conv_id)


@router.get("/wrapups")
async def wrapups(user: SupervisorUser, supervision: SupervisionDep,
                  days: Annotated[int, Query(ge=1, le=366)] = 7) -> WrapUpReport:
    """How human services ended (the agents' 服务小结) over the last ``days``."""
    return supervision.wrapups(days)


@router.delete("/customers/{customer_id}")
async def delete_customer_data(customer_id: str, user: SupervisorUser, retention: RetentionDep) -> ErasedCounts:
    """A customer's deletion request: everything said in their conversations is erased (audited) in the
    bridge, in Rasa's tracker store and in the unanswered-questions store; their open sockets are closed. 503
    when Rasa cannot be reached (nothing erased yet: ask again)."""
    erased = await retention.delete_customer(customer_id, user.username)
    return ErasedCounts.model_validate(erased.counts())


@router.get("/flags")
async def flags(user: SupervisorUser, sessions: SessionDep,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[FlagOut]:
    return recent_flags(sessions, limit)
