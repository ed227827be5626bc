"""Maker-checker API (一人经办一人复核): the changes trainers made that wait for a second person, and the checker's
approve / reject. Trainers read the list; reviewers and supervisors decide (never on their own change)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.deps import KbFilesDep, NluEditsDep, SessionDep, SettingsDep, TrainerDep, staff
from api.schemas.approvals import DecisionIn, PendingChangeOut
from api.staff.accounts import REVIEWER_ROLES
from api.store.models import User
from api.workbench.approvals import Approvals
from api.workbench.kb_edits import KbEdits

router = APIRouter(prefix="/api/v1/approvals", tags=["approvals"])
CheckerUser = Annotated[User, Depends(staff(*REVIEWER_ROLES))]
ReaderUser = Annotated[User, Depends(staff(*REVIEWER_ROLES, "trainer"))]
HELD: dict[int | str, dict[str, Any]] = {
    202: {"model": PendingChangeOut, "description": "Maker-checker on: held until a second person approves it"}}


def _approvals(settings: SettingsDep, sessions: SessionDep, files: KbFilesDep, trainer: TrainerDep,
               nlu: NluEditsDep) -> Approvals:
    return Approvals(sessions, lambda: KbEdits(files, sessions), lambda: trainer, lambda: nlu)


def _gate(settings: SettingsDep, approvals: Annotated[Approvals, Depends(_approvals)]) -> Approvals | None:
    """The approvals when maker-checker is on (Settings.maker_checker_on), else None: edits apply at once."""
    return approvals if settings.maker_checker_on else None


ApprovalsDep = Annotated[Approvals, Depends(_approvals)]
GateDep = Annotated[Approvals | None, Depends(_gate)]


def held(change: PendingChangeOut) -> JSONResponse:
    """A trainer route's answer for a held change: 202 with the pending change."""
    return JSONResponse(change.model_dump(mode="json"), status_code=202)


@router.get("")
async def changes(user: ReaderUser, approvals: ApprovalsDep,
                  status: Literal["pending", "approved", "rejected", "failed"] | None = None
                  ) -> list[PendingChangeOut]:
    """Newest first (at most 200)."""
    return approvals.list(status)


@router.post("/{change_id}/approve")
async def approve(change_id: int, body: DecisionIn, user: CheckerUser, approvals: ApprovalsDep) -> PendingChangeOut:
    """Applies the change (KB written and hot-swapped, a response or the institution facts written to domain.yml
    for the next model, or the model deployed); ``failed`` with the reason when it no longer applies."""
    return approvals.approve(user, change_id, body.comment)


@router.post("/{change_id}/reject")
async def reject(change_id: int, body: DecisionIn, user: CheckerUser, approvals: ApprovalsDep) -> PendingChangeOut:
    return approvals.reject(user, change_id, body.comment)
