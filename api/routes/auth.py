"""Staff login and logout (agents, supervisors, trainers): expiring bearer tokens.

Login runs its password check (scrypt) in a worker thread, so a flood of logins cannot stall the event loop,
and is throttled per username and per address (``api.staff.accounts``). Logout revokes the token and closes
every socket opened with it at once; an agent left with no open console goes offline, so the queue stops
assigning them chats."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.compliance.limits import retry_after
from api.deps import DeskDep, HubDep, LimitsDep, SessionDep, SettingsDep, SocketsDep, TokenDep
from api.schemas.staff import LoginIn, LoginOut
from api.staff.accounts import AGENT_ROLES, LoginLocked, login, logout, user_for_token
from api.staff.security import token_hash
from api.store.models import iso

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login")
async def do_login(body: LoginIn, request: Request, sessions: SessionDep, settings: SettingsDep,
                   limits: LimitsDep) -> LoginOut:
    """401 for a wrong username or password; 429 (Retry-After) while the username or the address is locked
    after repeated failures."""
    address = request.client.host if request.client else "?"
    try:
        user, token, expires = await run_in_threadpool(login, sessions, settings, body.username, body.password,
                                                       address, limits)
    except LoginLocked as exc:
        exc.headers = {"Retry-After": retry_after(exc.retry_after_s)}
        raise
    return LoginOut(token=token, role=user.role, username=user.username, display_name=user.display_name,
                    expires_at=iso(expires) or "")


@router.post("/logout", status_code=204, response_class=Response)
async def do_logout(sessions: SessionDep, token: TokenDep, sockets: SocketsDep, desk: DeskDep, hub: HubDep
                    ) -> Response:
    """No content; the token stops working at once and the sockets opened with it are closed."""
    if token:
        user = user_for_token(sessions, token)
        logout(sessions, token)
        await sockets.close_token(token_hash(token))
        if user is not None and user.role in AGENT_ROLES and user.status != "offline" \
                and not hub.agent_connected(user.id, except_token=token_hash(token)):  # on any bridge process
            await desk.update_me(user, "offline", None, None)  # no console left: no more chats for them
    return Response(status_code=204)
