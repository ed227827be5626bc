"""FastAPI dependencies: the services on app.state, the caller's staff account, the customer's token."""

from __future__ import annotations

from typing import Annotated, Callable

from fastapi import Depends, Header, HTTPException, Request

from api.accounts import user_for_token
from api.chat import ChatService
from api.db import User


def chat(request: Request) -> ChatService:
    service: ChatService = request.app.state.chat
    return service


def bearer(authorization: str | None = Header(default=None)) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None


def staff(*roles: str) -> Callable[..., User]:
    def dependency(request: Request, token: str | None = Depends(bearer)) -> User:
        user = user_for_token(request.app.state.sessions, token)
        if user is None:
            raise HTTPException(401, "login required (Authorization: Bearer <token>)",
                                headers={"WWW-Authenticate": "Bearer"})
        if roles and user.role not in roles:
            raise HTTPException(403, f"this needs the role {' or '.join(roles)}")
        return user
    return dependency


AGENT_ROLES = ("agent", "supervisor")
ChatDep = Annotated[ChatService, Depends(chat)]
TokenDep = Annotated[str | None, Depends(bearer)]
AgentUser = Annotated[User, Depends(staff(*AGENT_ROLES))]
SupervisorUser = Annotated[User, Depends(staff("supervisor"))]
