"""The surge response API (二级话务应急响应): the level and the queue figures for the console, a level set by hand
(supervisors), and the widget's notice."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.requests import HTTPConnection

from api.deps import AgentUser, SupervisorUser
from api.schemas.surge import SurgeLevelIn, SurgeNotice, SurgeOut
from api.surge.control import SurgeControl

router = APIRouter(prefix="/api/v1/surge", tags=["surge"])


def _control(conn: HTTPConnection) -> SurgeControl:
    control = getattr(conn.app.state, "surge", None)
    if control is None:
        raise HTTPException(503, "应急响应未启用")
    return control


ControlDep = Annotated[SurgeControl, Depends(_control)]


@router.get("")
async def status(user: AgentUser, control: ControlDep) -> SurgeOut:
    """The level in service, its response measures, and the queue figures it was decided on."""
    return control.status()


@router.post("/level")
async def set_level(body: SurgeLevelIn, user: SupervisorUser, control: ControlDep) -> SurgeOut:
    """Raise or lower by hand; held for the configured time, then automation resumes (audited)."""
    return control.set_level(user.username, body.level, body.reason)


@router.get("/notice")
async def notice(control: ControlDep) -> SurgeNotice:
    """For the customers' widget: a busy notice at level 1 and 2 (no figures)."""
    return control.notice()
