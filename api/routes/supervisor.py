"""The supervisor's API (role supervisor): the queue and agents at a glance, the audit log, sensitive-word
flags, and customers' deletion requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.compliance.audit import recent
from api.compliance.flags import recent_flags
from api.compliance.retention import delete_customer
from api.deps import QueueDep, SessionDep, SupervisorUser
from api.schemas.staff import AuditEntryOut, ErasedCounts, FlagOut, SupervisorOverview

router = APIRouter(prefix="/api/v1/supervisor", tags=["supervisor"])


@router.get("/overview")
async def overview(user: SupervisorUser, queue: QueueDep) -> SupervisorOverview:
    return queue.overview()


@router.get("/audit")
async def audit_log(user: SupervisorUser, sessions: SessionDep, action: str | None = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AuditEntryOut]:
    return recent(sessions, limit, action)


@router.delete("/customers/{customer_id}")
async def delete_customer_data(customer_id: str, user: SupervisorUser, sessions: SessionDep) -> ErasedCounts:
    """A customer's deletion request: everything said in their conversations is erased (audited)."""
    return ErasedCounts.model_validate(delete_customer(sessions, customer_id, user.username))


@router.get("/flags")
async def flags(user: SupervisorUser, sessions: SessionDep,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[FlagOut]:
    return recent_flags(sessions, limit)
