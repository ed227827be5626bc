"""Staff API: login, the agent console's calls and WebSocket, the supervisor overview."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response
from sqlalchemy import func, or_, select

from api.accounts import AccountError, login, logout, user_for_token
from api.audit import audit
from api.chat import ChatError, ChatService, waiting_of
from api.db import AuditEntry, CannedResponse, Conversation, Flag, LeaveMessage, User, iso, utcnow
from api.deps import AGENT_ROLES, AgentUser, ChatDep, SupervisorUser, TokenDep
from api.retention import delete_customer
from api.routing import queue_positions
from api.schemas import (
    AgentMessage,
    AgentOut,
    AgentPatch,
    CannedOut,
    KbSuggestion,
    LeaveMessageOut,
    LoginIn,
    LoginOut,
    MessageOut,
    TransferIn,
)
from common.institution import fill_institution

router = APIRouter(prefix="/api/v1", tags=["staff"])
_background: set[asyncio.Task] = set()  # grace-period tasks, kept referenced until done


def _agent_out(user: User, load: int) -> dict[str, Any]:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "status": user.status, "capacity": user.capacity, "skills": user.skills, "load": load}


def _me_out(service: ChatService, user: User) -> dict[str, Any]:
    with service.sessions() as db:
        load = db.scalar(select(func.count()).select_from(Conversation)
                         .where(Conversation.state == "agent", Conversation.agent_id == user.id)) or 0
    return _agent_out(user, int(load))


async def _call(coro: Any) -> Any:
    try:
        return await coro
    except ChatError as exc:
        raise HTTPException(exc.status, exc.detail) from exc


@router.post("/auth/login", response_model=LoginOut, tags=["auth"])
async def do_login(body: LoginIn, request: Request) -> dict:
    try:
        user, token, expires = login(request.app.state.sessions, request.app.state.settings, body.username,
                                     body.password)
    except AccountError as exc:
        raise HTTPException(401, str(exc)) from exc
    return {"token": token, "role": user.role, "username": user.username, "display_name": user.display_name,
            "expires_at": iso(expires)}


@router.post("/auth/logout", status_code=204, tags=["auth"])
async def do_logout(request: Request, token: TokenDep) -> Response:
    if token:
        logout(request.app.state.sessions, token)
    return Response(status_code=204)


@router.get("/agent/me", response_model=AgentOut)
async def me(user: AgentUser, service: ChatDep) -> dict:
    return _me_out(service, user)


@router.patch("/agent/me", response_model=AgentOut)
async def update_me(body: AgentPatch, user: AgentUser,
                    service: ChatDep) -> dict:
    went_offline = False
    with service.sessions() as db, db.begin():
        row = db.get(User, user.id)
        assert row is not None
        if body.status is not None:
            went_offline = body.status == "offline" and row.status != "offline"
            row.status = body.status
        if body.capacity is not None:
            row.capacity = body.capacity
        if body.skills is not None:
            row.skills_json = json.dumps(body.skills, ensure_ascii=False)
        audit(db, row.username, "agent_settings", row.username, **body.model_dump(exclude_none=True))
        user = row
    if went_offline:
        await service.requeue_agent(user.id)
    else:
        await service.dispatch()
    return _me_out(service, user)


@router.get("/agent/conversations")
async def my_conversations(user: AgentUser,
                           service: ChatDep) -> list[dict]:
    return service.agent_conversations(user)


@router.get("/agent/conversations/{conv_id}")
async def conversation_detail(conv_id: str, user: AgentUser,
                              service: ChatDep) -> dict:
    try:
        return service.conversation_detail(user, conv_id)
    except ChatError as exc:
        raise HTTPException(exc.status, exc.detail) from exc


@router.post("/agent/conversations/{conv_id}/messages", response_model=MessageOut, response_model_by_alias=True)
async def agent_message(conv_id: str, body: AgentMessage, user: AgentUser,
                        service: ChatDep) -> dict:
    return await _call(service.agent_reply(user, conv_id, body.text))


@router.post("/agent/conversations/{conv_id}/typing", status_code=204)
async def agent_typing(conv_id: str, user: AgentUser,
                       service: ChatDep) -> Response:
    await _call(service.agent_typing(user, conv_id))
    return Response(status_code=204)


@router.post("/agent/conversations/{conv_id}/transfer")
async def transfer(conv_id: str, body: TransferIn, user: AgentUser,
                   service: ChatDep) -> dict:
    return await _call(service.agent_transfer(user, conv_id, body.skill_group, body.agent))


@router.post("/agent/conversations/{conv_id}/close")
async def close(conv_id: str, user: AgentUser, service: ChatDep) -> dict:
    return await _call(service.agent_close(user, conv_id))


@router.get("/agent/canned", response_model=list[CannedOut])
async def canned(user: AgentUser, service: ChatDep,
                 q: Annotated[str, Query(max_length=50)] = "") -> list[CannedResponse]:
    with service.sessions() as db:
        query = select(CannedResponse).order_by(CannedResponse.skill_group, CannedResponse.id)
        if q.strip():
            like = f"%{q.strip()}%"
            query = query.where(or_(CannedResponse.title.like(like), CannedResponse.text.like(like)))
        return list(db.scalars(query).all())


@router.get("/agent/kb-suggestions", response_model=list[KbSuggestion])
async def kb_suggestions(request: Request, user: AgentUser, service: ChatDep, conversation_id: str | None = None,
                         q: Annotated[str | None, Query(max_length=500)] = None) -> list:
    if q is None and conversation_id is None:
        raise HTTPException(422, "give conversation_id or q")
    text = q if q is not None else service.latest_customer_text(str(conversation_id))
    kb = request.app.state.kb()
    if kb is None or not text.strip():
        return []
    found = kb.lookup(text, k=3)
    org = request.app.state.institution()
    return [{"entry_id": h.entry.id, "question": h.entry.question,
             "answer": fill_institution(h.entry.answer, org) if org else h.entry.answer,
             "score": round(h.score, 4)} for h in found.hits]


@router.get("/agent/leave-messages", response_model=list[LeaveMessageOut])
async def leave_messages(user: AgentUser, service: ChatDep,
                         status: Annotated[str, Query(pattern="^(open|closed)$")] = "open") -> list:
    with service.sessions() as db:
        rows = db.scalars(select(LeaveMessage).where(LeaveMessage.status == status)
                          .order_by(LeaveMessage.id.desc()).limit(500)).all()
        return [_leave_out(m) for m in rows]


def _leave_out(m: LeaveMessage) -> dict[str, Any]:
    return {"id": m.id, "conversation_id": m.conversation_id, "customer_id": m.customer_id,
            "callback_number": m.callback_number, "text": m.text, "created_at": iso(m.created_at),
            "status": m.status}


@router.post("/agent/leave-messages/{message_id}/close", response_model=LeaveMessageOut)
async def close_leave_message(message_id: int, user: AgentUser,
                              service: ChatDep) -> dict:
    with service.sessions() as db, db.begin():
        row = db.get(LeaveMessage, message_id)
        if row is None:
            raise HTTPException(404, f"leave message {message_id} not found")
        row.status, row.closed_by = "closed", user.id
        audit(db, user.username, "close_leave_message", str(message_id))
        return _leave_out(row)


@router.get("/supervisor/overview")
async def overview(user: SupervisorUser, service: ChatDep) -> dict:
    now = utcnow()
    with service.sessions() as db:
        queued = db.scalars(select(Conversation).where(Conversation.state == "queued")).all()
        positions = queue_positions(waiting_of(queued))
        live = db.scalars(select(Conversation).where(Conversation.state == "agent")
                          .order_by(Conversation.assigned_at)).all()
        agents = sorted(service._agents(db), key=lambda pair: pair[0].username)  # one query for every load
        open_messages = db.scalar(select(func.count()).select_from(LeaveMessage)
                                  .where(LeaveMessage.status == "open")) or 0
        queue = sorted(({"conversation_id": c.id, "skill_group": c.skill_group, "handoff_reason": c.handoff_reason,
                         "waiting_s": int((now - (c.queued_at or now)).total_seconds()),
                         "position": positions.get(c.id)} for c in queued),
                       key=lambda item: -item["waiting_s"])
        return {"queue": queue, "agents": [_agent_out(a, load) for a, load in agents],
                "live": [service.summary(db, c) for c in live], "leave_messages_open": int(open_messages)}


@router.get("/supervisor/audit")
async def audit_log(user: SupervisorUser, service: ChatDep, action: str | None = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict]:
    with service.sessions() as db:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if action:
            query = query.where(AuditEntry.action == action)
        return [{"id": a.id, "at": iso(a.at), "actor": a.actor, "action": a.action, "target": a.target,
                 "detail": json.loads(a.detail_json) if a.detail_json else None} for a in db.scalars(query)]


@router.delete("/supervisor/customers/{customer_id}")
async def delete_customer_data(customer_id: str, user: SupervisorUser, service: ChatDep) -> dict:
    """A customer's deletion request: everything said in their conversations is erased (audited)."""
    return delete_customer(service.sessions, customer_id, user.username)


@router.get("/supervisor/flags")
async def flags(user: SupervisorUser, service: ChatDep,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict]:
    with service.sessions() as db:
        rows = db.scalars(select(Flag).order_by(Flag.id.desc()).limit(limit)).all()
        return [{"id": f.id, "conversation_id": f.conversation_id, "source": f.source, "category": f.category,
                 "term": f.term, "text": f.text, "blocked": f.blocked, "created_at": iso(f.created_at)}
                for f in rows]


@router.websocket("/agent/ws")
async def agent_ws(websocket: WebSocket, token: str | None = None) -> None:
    service: ChatService = websocket.app.state.chat
    user = user_for_token(websocket.app.state.sessions, token)
    if user is None or user.role not in AGENT_ROLES:
        await websocket.close(code=4401, reason="login required")
        return
    await websocket.accept()
    service.hub.add_agent(user.id, websocket)
    try:
        while True:
            await websocket.receive_text()
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        service.hub.remove_agent(user.id, websocket)
        with contextlib.suppress(Exception):
            await websocket.close()
        if not service.hub.agent_connected(user.id):
            task = asyncio.create_task(service.agent_socket_closed(user.id))
            _background.add(task)
            task.add_done_callback(_background.discard)


