"""Customer API v1 and WebSocket (the chat widget's back end)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import Response

from api.chat import ChatError, ChatService
from api.deps import ChatDep, TokenDep
from api.schemas import ChatReply, ConversationCreated, CustomerMessage, NewConversation

router = APIRouter(prefix="/api/v1/conversations", tags=["customer"])


def _authorized(service: ChatService, conv_id: str, token: str | None) -> None:
    try:
        service.authenticate(conv_id, token)
    except ChatError as exc:
        raise HTTPException(exc.status, exc.detail) from exc


@router.post("", status_code=201, response_model=ConversationCreated, response_model_by_alias=True)
async def create_conversation(body: NewConversation, service: ChatDep) -> dict:
    conv, token, reply = await service.create_conversation(body.channel, body.customer_id)
    return {"id": conv.id, "token": token, "state": reply.state, "messages": reply.messages}


@router.post("/{conv_id}/messages", response_model=ChatReply, response_model_exclude_none=True,
             response_model_by_alias=True)
async def post_message(conv_id: str, body: CustomerMessage, token: TokenDep,
                       service: ChatDep) -> dict:
    try:  # the token is checked inside the message's own transaction
        reply = await service.customer_message(conv_id, body.text, body.payload, token, check_token=True)
    except ChatError as exc:
        raise HTTPException(exc.status, exc.detail) from exc
    return reply.__dict__


@router.get("/{conv_id}/messages", response_model=ChatReply, response_model_exclude_none=True,
            response_model_by_alias=True)
async def get_messages(conv_id: str, token: TokenDep, service: ChatDep,
                       after: Annotated[int, Query(ge=0)] = 0) -> dict:
    _authorized(service, conv_id, token)
    return service.history(conv_id, after).__dict__


@router.post("/{conv_id}/typing", status_code=204)
async def typing(conv_id: str, token: TokenDep, service: ChatDep) -> Response:
    _authorized(service, conv_id, token)
    await service.customer_typing(conv_id)
    return Response(status_code=204)


@router.websocket("/{conv_id}/ws")
async def customer_ws(websocket: WebSocket, conv_id: str, token: str | None = None) -> None:
    service: ChatService = websocket.app.state.chat
    try:
        service.authenticate(conv_id, token)
    except ChatError as exc:
        await websocket.close(code=4401 if exc.status == 401 else 4404, reason=exc.detail)
        return
    await websocket.accept()
    service.hub.add_customer(conv_id, websocket)
    try:
        while True:
            frame = await websocket.receive_json()
            if isinstance(frame, dict) and frame.get("type") == "typing":
                await service.customer_typing(conv_id)
    except (WebSocketDisconnect, ValueError, RuntimeError):
        pass
    finally:
        service.hub.remove_customer(conv_id, websocket)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(), timeout=1)
