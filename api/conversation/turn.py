"""The customer's side of a conversation: start one, authenticate, read the history, and the turn — store the
customer's message, then route it by state: the bridge's own steps (survey, 留言), the queue, the agent, or
the bot over Rasa's REST channel.

One conversation's messages are handled in order (a lock per conversation); the engine's one lock is held only
for state changes, never while waiting on Rasa.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

from sqlalchemy.orm import Session

from api.conversation import texts
from api.conversation.context import Context
from api.conversation.errors import ChatError
from api.conversation.events import Outbox, publish
from api.conversation.queue import HandoffQueue
from api.conversation.steps import Said, Steps
from api.conversation.transcript import Transcript, message_out
from api.rasa_client import BotTurn, BotUnavailable
from api.schemas.customer import ChatReply
from api.schemas.events import ConversationMessage, CustomerTyping
from api.staff.security import new_token, token_hash
from api.store.models import Conversation, Message
from common.pii import mask_pii

log = logging.getLogger(__name__)
HANDOFF_BUTTON = [{"title": "转人工客服", "payload": texts.HANDOFF}]


class CustomerTurn:
    def __init__(self, ctx: Context, transcript: Transcript, queue: HandoffQueue, steps: Steps) -> None:
        self.ctx = ctx
        self.transcript = transcript
        self.queue = queue
        self.steps = steps
        self._conv_locks: dict[str, asyncio.Lock] = {}

    def _reply(self, db: Session, conv: Conversation, messages: list[Message]) -> ChatReply:
        position, wait = self.queue.position(db, conv)
        return ChatReply(state=conv.state, messages=[message_out(m) for m in messages],  # type: ignore[arg-type]
                         queue_position=position, estimated_wait_s=wait,
                         agent_name=self.transcript.agent_name(db, conv))

    # ------------------------------------------------------------------ the conversation
    async def create_conversation(self, channel: str, customer_id: str | None) -> tuple[Conversation, str, ChatReply]:
        token = new_token()
        now = self.ctx.now()
        with self.ctx.sessions() as db, db.begin():
            conv = Conversation(id=secrets.token_hex(16), token_hash=token_hash(token), channel=channel,
                                customer_id=customer_id, state="bot", session_no=1, leave_offered=False,
                                fallbacks=0, created_at=now, updated_at=now)
            db.add(conv)
            db.flush()
            welcome = self.transcript.add(db, conv, "bot", texts.WELCOME, texts.WELCOME_BUTTONS)
            reply = self._reply(db, conv, [welcome])
        self.ctx.metrics.inc("bridge_conversations_total", channel=channel)
        return conv, token, reply

    @staticmethod
    def _token_matches(conv: Conversation, token: str | None) -> bool:
        return bool(token) and secrets.compare_digest(conv.token_hash, token_hash(token or ""))

    def authenticate(self, conv_id: str, token: str | None) -> None:
        with self.ctx.sessions() as db:
            conv = self.transcript.load(db, conv_id)
            if not self._token_matches(conv, token):
                raise ChatError(401, "invalid or missing conversation token")

    def history(self, conv_id: str, after: int) -> ChatReply:
        with self.ctx.sessions() as db:
            conv = self.transcript.load(db, conv_id)
            return self._reply(db, conv, self.transcript.messages_after(db, conv_id, after))

    async def typing(self, conv_id: str) -> None:
        with self.ctx.sessions() as db:
            conv = self.transcript.load(db, conv_id)
            agent_id = conv.agent_id if conv.state == "agent" else None
        if agent_id:
            out = Outbox()
            out.to_agent(agent_id, CustomerTyping(conversation_id=conv_id))
            await publish(self.ctx.hub, out)

    # ------------------------------------------------------------------ the turn
    async def message(self, conv_id: str, text: str | None, payload: str | None, token: str | None = None,
                      check_token: bool = False) -> ChatReply:
        """Store the customer's message, then route it by state; the reply holds the customer's own message
        first, then everything said back (and, once queued, whatever a dispatch added since)."""
        raw = (payload if payload is not None else text or "").strip()
        if not raw:
            raise ChatError(422, "empty message")
        async with self._conv_locks.setdefault(conv_id, asyncio.Lock()):
            out = Outbox()
            async with self.ctx.lock:
                with self.ctx.sessions() as db, db.begin():
                    conv = self.transcript.load(db, conv_id)
                    if check_token and not self._token_matches(conv, token):
                        raise ChatError(401, "invalid or missing conversation token")
                    sender = conv.rasa_sender
                    if conv.state == "closed":
                        raise ChatError(409, "this conversation is closed; start a new one")
                    shown = self.transcript.button_title(db, conv, raw) if payload is not None else raw
                    mine = self.transcript.add(db, conv, "customer", shown)
                    said = Said(db, conv, raw, payload is not None, [mine], out)
                    bot_text = self._route(said, mine)
                    reply = self._reply(db, conv, said.new)
                await publish(self.ctx.hub, out)
            if bot_text is not None:
                reply = await self._ask_bot(conv_id, bot_text, said.new, sender)
            if reply.state != "queued":
                return reply
            await self.queue.dispatch()  # a new handoff: an agent may take it at once
            return self._refresh(conv_id, reply)

    def _route(self, said: Said, mine: Message) -> str | None:
        """Everything the bridge answers itself, in the message's transaction; the text for the bot when the
        bot is to answer."""
        conv, raw, db = said.conv, said.raw, said.db
        hits = self.ctx.words.find(raw, "input") if not said.is_payload else []
        if hits:
            self.transcript.flag(db, conv.id, "customer", hits, raw, False, f"customer:{conv.id}")
        if self.steps.handle(said):
            return None
        if hits and conv.state == "bot":
            calm = texts.CALM_REPLY.get(hits[0].category, texts.CALM_DEFAULT)
            said.new.append(self.transcript.add(db, conv, "system", calm, HANDOFF_BUTTON))
        elif raw == texts.LEAVE and conv.state in ("bot", "queued"):
            self.steps.start_leave(said)
        elif conv.state == "queued":
            if raw == texts.KEEP_WAITING:
                position, wait = self.queue.position(db, conv)
                said.new.append(self.transcript.add(db, conv, "system", texts.queue_notice(position or 1, wait or 0)))
        elif conv.state == "agent":
            if conv.agent_id is not None:
                said.out.to_agent(conv.agent_id, ConversationMessage(conversation_id=conv.id,
                                                                     message=message_out(mine)))
        elif raw == texts.HANDOFF:
            said.new += self.queue.enqueue(db, conv, "customer_request", None)
        else:
            return raw if said.is_payload else mask_pii(raw)  # the bot needs no raw PII
        return None

    def _refresh(self, conv_id: str, reply: ChatReply) -> ChatReply:
        """The reply as of now: a dispatch may have connected an agent since it was built."""
        last = max((m.id for m in reply.messages), default=0)
        later = self.history(conv_id, last)
        return later.model_copy(update={"messages": reply.messages + later.messages})

    # ------------------------------------------------------------------ the bot
    async def _ask_bot(self, conv_id: str, text: str, new: list[Message], sender: str) -> ChatReply:
        """Send the customer's masked text to Rasa; store and return its (masked) replies."""
        started = time.perf_counter()
        turn: BotTurn | None
        try:
            turn, failure = await self.ctx.rasa.send(sender, text), None
        except BotUnavailable as exc:
            turn, failure = None, exc
        self.ctx.metrics.observe("bridge_bot_reply_seconds", time.perf_counter() - started)
        async with self.ctx.lock:
            return self._store_bot_turn(conv_id, turn, failure, new)

    def _store_bot_turn(self, conv_id: str, turn: BotTurn | None, failure: Exception | None,
                        new: list[Message]) -> ChatReply:
        with self.ctx.sessions() as db, db.begin():
            conv = self.transcript.load(db, conv_id)
            if turn is None:
                log.warning("bot unavailable for %s: %s", conv_id, failure)
                self.ctx.metrics.inc("bridge_bot_errors_total")
                new.append(self.transcript.add(db, conv, "system", texts.BOT_DOWN, HANDOFF_BUTTON))
            else:
                if not turn.texts and turn.handoff is None:  # e.g. the action server is down: never leave silence
                    self.ctx.metrics.inc("bridge_bot_errors_total")
                    new.append(self.transcript.add(db, conv, "system", texts.BOT_DOWN, HANDOFF_BUTTON))
                for i, (reply_text, buttons) in enumerate(turn.texts):
                    last = i == len(turn.texts) - 1
                    meta = {"kb": turn.kb} if turn.kb and last else None
                    hits = self.ctx.words.find(reply_text, "output")
                    if hits:
                        self.transcript.flag(db, conv.id, "bot", hits, reply_text, True, "system")
                        reply_text, buttons = texts.BOT_BLOCKED, HANDOFF_BUTTON
                    new.append(self.transcript.add(db, conv, "bot", reply_text, buttons, meta=meta))
                if turn.handoff is not None:
                    context: dict[str, Any] = dict(turn.handoff)
                    if turn.kb and "kb" not in context:
                        context["kb"] = turn.kb
                    new += self.queue.enqueue(db, conv, str(context.get("reason") or "bot_request"), context)
            return self._reply(db, conv, new)
