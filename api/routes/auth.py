"""Staff login and logout (agents, supervisors, trainers): expiring bearer tokens."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import SessionDep, SettingsDep, TokenDep
from api.schemas.staff import LoginIn, LoginOut
from api.staff.accounts import login, logout
from api.store.models import iso

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login")
async def do_login(body: LoginIn, sessions: SessionDep, settings: SettingsDep) -> LoginOut:
    user, token, expires = login(sessions, settings, body.username, body.password)
    return LoginOut(token=token, role=user.role, username=user.username, display_name=user.display_name,
                    expires_at=iso(expires) or "")


@router.post("/logout", status_code=204, response_class=Response)
async def do_logout(sessions: SessionDep, token: TokenDep) -> Response:
    """No content; the token stops working at once."""
    if token:
        logout(sessions, token)
    return Response(status_code=204)
