"""Customer API v1 and WebSocket (the chat widget's back end): conversations, messages, the 留言 form, ending
the chat; the socket is the customer's presence (its agent sees a dot)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Annotated

from fastapi import APIRouter, Query, WebSocket
from fastapi.responses import Response

from api.compliance.guards import charge_conversation, check_message_length
from api.conversation.errors import ChatError
from api.deps import HubDep, LimitsDep, SettingsDep, SocketsDep, TokenDep, TurnDep
from api.schemas.customer import ChatReply, ConversationCreated, CustomerMessage, LeaveMessageIn, NewConversation
from api.staff.security import token_hash
from api.staff.sockets import Admission, offered_token, passes

router = APIRouter(prefix="/api/v1/conversations", tags=["customer"])


@router.post("", status_code=201, response_model_by_alias=True)
async def create_conversation(body: NewConversation, turn: TurnDep) -> ConversationCreated:
    conv, token, reply = await turn.create_conversation(body.channel, body.customer_id)
    return ConversationCreated(id=conv.id, token=token, state=reply.state, messages=reply.messages)


@router.post("/{conv_id}/messages", response_model_exclude_none=True, response_model_by_alias=True)
async def post_message(conv_id: str, body: CustomerMessage, token: TokenDep, turn: TurnDep, limits: LimitsDep,
                       settings: SettingsDep) -> ChatReply:
    """At most ``MAX_MESSAGE_CHARS`` characters (422); the conversation's allowance (429) is charged only once
    the token was checked, so posts with a wrong token cannot use it up."""
    check_message_length(body.text, settings.max_message_chars)
    turn.authenticate(conv_id, token)
    charge_conversation(limits, conv_id)
    return await turn.message(conv_id, body.text, body.payload, token, check_token=True)


@router.get("/{conv_id}/messages", response_model_exclude_none=True, response_model_by_alias=True)
async def get_messages(conv_id: str, token: TokenDep, turn: TurnDep,
                       after: Annotated[int, Query(ge=0)] = 0) -> ChatReply:
    turn.authenticate(conv_id, token, touch=True)  # a client without a socket is there while it asks
    return turn.history(conv_id, after)


@router.post("/{conv_id}/leave-message", response_model_exclude_none=True, response_model_by_alias=True)
async def leave_message(conv_id: str, body: LeaveMessageIn, token: TokenDep, turn: TurnDep, limits: LimitsDep
                        ) -> ChatReply:
    """The 留言 form: a mainland mobile or landline (422 with the reason when it is not one), a preferred time
    and the question; a queued customer leaves the queue."""
    turn.authenticate(conv_id, token)
    charge_conversation(limits, conv_id)
    return await turn.leave_message(conv_id, token, body.callback_number, body.preferred_time, body.text)


@router.post("/{conv_id}/end", response_model_exclude_none=True, response_model_by_alias=True)
async def end_conversation(conv_id: str, token: TokenDep, turn: TurnDep, limits: LimitsDep) -> ChatReply:
    """The customer ends the chat (after the widget's confirmation): out of the queue, or the agent is told."""
    turn.authenticate(conv_id, token)
    charge_conversation(limits, conv_id)
    return await turn.end(conv_id, token)


@router.post("/{conv_id}/typing", status_code=204, response_class=Response)
async def typing(conv_id: str, token: TokenDep, turn: TurnDep, limits: LimitsDep) -> Response:
    """No content: tells the serving agent the customer is typing."""
    turn.authenticate(conv_id, token, touch=True)
    charge_conversation(limits, conv_id)
    await turn.typing(conv_id)
    return Response(status_code=204)


@router.websocket("/{conv_id}/ws")
async def customer_ws(websocket: WebSocket, conv_id: str, turn: TurnDep, hub: HubDep, sockets: SocketsDep
                      ) -> None:
    """Pushes ``api.schemas.events.CustomerEvent``; the client may send ``{"type": "typing"}``. The
    conversation token comes in the ``Sec-WebSocket-Protocol`` header (``bankcs.v1, bearer.<token>``), never in
    the URL; the socket is closed (4410) when the conversation is erased."""
    if await sockets.refuse_url_token(websocket):
        return
    token = offered_token(websocket)
    try:
        turn.authenticate(conv_id, token)
    except ChatError as exc:
        await websocket.close(code=4401 if exc.status == 401 else 4404, reason=exc.detail)
        return
    await sockets.accept(websocket, Admission("customer", token_hash(token or ""), conversation_id=conv_id))
    hub.add_customer(conv_id, websocket)
    await turn.presence_changed(conv_id)

    async def on_frame(text: str) -> None:
        with contextlib.suppress(ValueError):
            frame = json.loads(text)
            if isinstance(frame, dict) and frame.get("type") == "typing":
                await turn.typing(conv_id)

    try:
        await sockets.hold(websocket, passes(lambda: turn.authenticate(conv_id, token)), on_frame)
    finally:
        hub.remove_customer(conv_id, websocket)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(), timeout=1)
        with contextlib.suppress(Exception):  # the presence dot is an aid: a failure here must not escape
            await turn.presence_changed(conv_id)
