"""The agent console's API and WebSocket (roles agent and supervisor): status, chats, replies, transfers,
closing with the 服务小结, 快捷回复, KB suggestions and 留言 (reveal a callback number, audited; record the call's
outcome)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, WebSocket
from fastapi.responses import Response

from api.deps import (
    AgentUser,
    CallbacksDep,
    DeskDep,
    HubDep,
    InstitutionDep,
    KbDep,
    SessionDep,
    SocketsDep,
    TranscriptDep,
    socket_staff,
)
from api.schemas.customer import MessageOut
from api.schemas.staff import (
    AgentMessage,
    AgentOut,
    AgentPatch,
    CannedOut,
    CloseIn,
    ConversationDetail,
    ConversationSummary,
    KbSuggestion,
    LeaveMessageOut,
    LeaveOutcomeIn,
    RevealedNumber,
    TransferIn,
)
from api.staff.accounts import AGENT_ROLES
from api.staff.canned import search_canned
from api.staff.security import token_hash
from api.staff.sockets import CLOSE_LOGGED_OUT, Admission, offered_token
from api.staff.suggestions import kb_suggestions

router = APIRouter(prefix="/api/v1/agent", tags=["agent"])
_background: set[asyncio.Task] = set()  # grace-period tasks, kept referenced until done


@router.get("/me")
async def me(user: AgentUser, desk: DeskDep) -> AgentOut:
    return desk.me(user)


@router.patch("/me")
async def update_me(body: AgentPatch, user: AgentUser, desk: DeskDep) -> AgentOut:
    """Lowering the capacity below the chats served now is refused (409): finish or transfer some first."""
    return await desk.update_me(user, body.status, body.capacity, body.skills, body.public_name)


@router.get("/conversations")
async def my_conversations(user: AgentUser, desk: DeskDep) -> list[ConversationSummary]:
    """The chats assigned to me, oldest assignment first."""
    return desk.conversations(user)


@router.get("/conversations/{conv_id}")
async def conversation_detail(conv_id: str, user: AgentUser, desk: DeskDep) -> ConversationDetail:
    return desk.conversation(user, conv_id)


@router.post("/conversations/{conv_id}/messages", response_model_by_alias=True)
async def agent_message(conv_id: str, body: AgentMessage, user: AgentUser, desk: DeskDep) -> MessageOut:
    return await desk.reply(user, conv_id, body.text)


@router.post("/conversations/{conv_id}/typing", status_code=204, response_class=Response)
async def agent_typing(conv_id: str, user: AgentUser, desk: DeskDep) -> Response:
    """No content: tells the customer the agent is typing."""
    await desk.typing(user, conv_id)
    return Response(status_code=204)


@router.post("/conversations/{conv_id}/transfer")
async def transfer(conv_id: str, body: TransferIn, user: AgentUser, desk: DeskDep) -> ConversationSummary:
    return await desk.transfer(user, conv_id, body.skill_group, body.agent)


@router.post("/conversations/{conv_id}/close")
async def close(conv_id: str, body: CloseIn, user: AgentUser, desk: DeskDep) -> ConversationSummary:
    """End the human service with the 服务小结 (disposition and note); the customer gets the survey (unless they
    already left)."""
    return await desk.close(user, conv_id, body.disposition, body.note)


@router.get("/canned")
async def canned(user: AgentUser, sessions: SessionDep, q: Annotated[str, Query(max_length=50)] = ""
                 ) -> list[CannedOut]:
    return search_canned(sessions, q)


@router.get("/kb-suggestions")
async def suggestions(user: AgentUser, transcript: TranscriptDep, kb: KbDep, institution: InstitutionDep,
                      desk: DeskDep, conversation_id: str | None = None,
                      q: Annotated[str | None, Query(max_length=500)] = None) -> list[KbSuggestion]:
    """For ``q``, or else the customer's last substantive message in ``conversation_id`` (not a button such as
    继续等待, nor 好的 / 在吗; a conversation assigned to this agent; a supervisor may ask about any: 403
    otherwise)."""
    if q is None and conversation_id is None:
        raise HTTPException(422, "请提供会话（conversation_id）或检索词（q）")
    if q is None:
        desk.conversation(user, str(conversation_id))  # refuses a conversation that is not theirs
    text = q if q is not None else transcript.kb_query_text(str(conversation_id))
    return kb_suggestions(kb, institution, text)


@router.get("/leave-messages")
async def leave_messages(user: AgentUser, callbacks: CallbacksDep,
                         status: Annotated[str, Query(pattern="^(open|closed|all)$")] = "open"
                         ) -> list[LeaveMessageOut]:
    """Newest first; the callback number masked."""
    return callbacks.list(status)


@router.post("/leave-messages/{message_id}/reveal")
async def reveal_callback_number(message_id: int, user: AgentUser, callbacks: CallbacksDep) -> RevealedNumber:
    """The whole callback number, to call the customer back; every reveal is audited."""
    return callbacks.reveal(user, message_id)


@router.post("/leave-messages/{message_id}/outcome")
async def leave_message_outcome(message_id: int, body: LeaveOutcomeIn, user: AgentUser,
                                callbacks: CallbacksDep) -> LeaveMessageOut:
    """已回拨 (called_back) closes the 留言; 未接通 (no_answer) counts an attempt and keeps it open."""
    return callbacks.record_outcome(user, message_id, body.outcome)


@router.post("/leave-messages/{message_id}/close")
async def close_leave_message(message_id: int, user: AgentUser, callbacks: CallbacksDep) -> LeaveMessageOut:
    return callbacks.close(user, message_id)


@router.get("/leave-messages/{message_id}/conversation")
async def leave_message_conversation(message_id: int, user: AgentUser, callbacks: CallbacksDep
                                     ) -> ConversationDetail:
    """The conversation the 留言 was left in (read-only)."""
    return callbacks.conversation(message_id)


@router.websocket("/ws")
async def agent_ws(websocket: WebSocket, sessions: SessionDep, desk: DeskDep, hub: HubDep,
                   sockets: SocketsDep) -> None:
    """Pushes ``api.schemas.events.AgentEvent``. The login token comes in the ``Sec-WebSocket-Protocol`` header
    (``bankcs.v1, bearer.<token>``), never in the URL; the socket is closed (4401) on logout, expiry or a role
    change. When the last socket of an agent closes, the grace period starts (their chats are requeued unless
    they reconnect)."""
    if await sockets.refuse_url_token(websocket):
        return
    token = offered_token(websocket)
    found = socket_staff(sessions, token, AGENT_ROLES)
    if found is None or token is None:
        await websocket.close(code=CLOSE_LOGGED_OUT, reason="login required")
        return
    user, expires = found
    await sockets.accept(websocket, Admission("agent", token_hash(token), user_id=user.id, expires_at=expires))
    hub.add_agent(user.id, websocket, token_hash(token))
    try:
        await sockets.hold(websocket, lambda: socket_staff(sessions, token, AGENT_ROLES) is not None)
    finally:
        hub.remove_agent(user.id, websocket)
        with contextlib.suppress(Exception):
            await websocket.close()
        if not hub.agent_connected(user.id):
            task = asyncio.create_task(desk.socket_closed(user.id))
            _background.add(task)
            task.add_done_callback(_background.discard)
