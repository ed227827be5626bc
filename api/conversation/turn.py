"""The customer's side of a conversation: start one, authenticate, read the history, the turn — store the
customer's message, then route it by state: the bridge's own steps (survey, 留言), the queue, the agent, or
the bot over Rasa's REST channel — the 留言 form, ending the chat, and the customer's presence.

One conversation's messages are handled in order (a lock per conversation); the engine's one lock is held only
for state changes, never while waiting on Rasa.

转人工 goes to the bot like any message, so the handoff carries the bot's context (slots, the turns before);
the bridge queues the customer itself when the bot is down or does not hand off. On a handoff the bridge's one
queue message replaces the bot's own announcement, which names the bot's idea of the service hours and cannot
know whether anyone is on duty.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any, Callable

from sqlalchemy.orm import Session

from api.conversation import texts
from api.conversation.callback_numbers import CallbackNumberError, parse_callback_number
from api.conversation.context import Context
from api.conversation.errors import ChatError
from api.conversation.events import Outbox, publish
from api.conversation.queue import HandoffQueue
from api.conversation.said import Said
from api.conversation.steps import Steps
from api.conversation.transcript import Transcript, message_out
from api.rasa_client import BotTurn, BotUnavailable
from api.schemas.customer import ChatReply
from api.schemas.events import ConversationMessage, CustomerLeft, CustomerPresence, CustomerTyping
from api.staff.security import new_token, token_hash
from api.store.models import Conversation, Message
from api.surge.deflection import STILL_HUMAN, STILL_HUMAN_BUTTON
from common.pii import mask_escaped

log = logging.getLogger(__name__)
HANDOFF_BUTTON = [{"title": "转人工客服", "payload": texts.HANDOFF}]


class CustomerTurn:
    def __init__(self, ctx: Context, transcript: Transcript, queue: HandoffQueue, steps: Steps) -> None:
        self.ctx = ctx
        self.transcript = transcript
        self.queue = queue
        self.steps = steps
        self._conv_locks: dict[str, asyncio.Lock] = {}
        # the surge response's first answer to a 转人工 request (api/surge/deflection.py, wired by create_app):
        # the standard answer to give before queueing, or None to queue at once
        self.deflect: Callable[[dict[str, Any], bool], str | None] = lambda handoff, confirmed: None

    def _reply(self, db: Session, conv: Conversation, messages: list[Message]) -> ChatReply:
        position, wait = self.queue.position(db, conv)
        shown = [m for m in messages if m.sender != "whisper"]
        return ChatReply(state=conv.state, messages=[message_out(m) for m in shown],  # type: ignore[arg-type]
                         queue_position=position, estimated_wait_s=wait,
                         agent_name=self.transcript.agent_name(db, conv))

    # ------------------------------------------------------------------ the conversation
    async def create_conversation(self, channel: str, customer_id: str | None) -> tuple[Conversation, str, ChatReply]:
        token = new_token()
        now = self.ctx.now()
        with self.ctx.sessions() as db, db.begin():
            conv = Conversation(id=secrets.token_hex(16), token_hash=token_hash(token), channel=channel,
                                customer_id=customer_id, state="bot", session_no=1, leave_offered=False,
                                fallbacks=0, created_at=now, updated_at=now, customer_seen_at=now)
            db.add(conv)
            db.flush()
            welcome = self.transcript.add(db, conv, "bot", texts.WELCOME, texts.WELCOME_BUTTONS)
            reply = self._reply(db, conv, [welcome])
        self.ctx.metrics.inc("bridge_conversations_total", channel=channel)
        return conv, token, reply

    @staticmethod
    def _token_matches(conv: Conversation, token: str | None) -> bool:
        return bool(token) and secrets.compare_digest(conv.token_hash, token_hash(token or ""))

    def _authorised(self, db: Session, conv_id: str, token: str | None) -> Conversation:
        conv = self.transcript.load(db, conv_id)
        if not self._token_matches(conv, token):
            raise ChatError(401, texts.BAD_TOKEN)
        return conv

    def authenticate(self, conv_id: str, token: str | None, touch: bool = False) -> None:
        """The token is this conversation's (401 otherwise); ``touch``: the customer was heard from now (their
        presence, for a client without a socket)."""
        if not touch:
            with self.ctx.sessions() as db:
                self._authorised(db, conv_id, token)
            return
        with self.ctx.sessions() as db, db.begin():
            self._authorised(db, conv_id, token).customer_seen_at = self.ctx.now()

    def history(self, conv_id: str, after: int) -> ChatReply:
        with self.ctx.sessions() as db:
            conv = self.transcript.load(db, conv_id)
            return self._reply(db, conv, self.transcript.messages_after(db, conv_id, after))

    async def typing(self, conv_id: str) -> None:
        with self.ctx.sessions() as db:
            conv = self.transcript.load(db, conv_id)
            agent_id = conv.agent_id if conv.state == "agent" and conv.customer_left_at is None else None
        if agent_id:
            out = Outbox()
            out.to_agent(agent_id, CustomerTyping(conversation_id=conv_id))
            await publish(self.ctx.hub, out)

    async def presence_changed(self, conv_id: str) -> None:
        """The widget's socket opened or closed: the customer was there now; their agent's dot changes."""
        online = self.ctx.hub.customer_connected(conv_id)
        out = Outbox()
        with self.ctx.sessions() as db, db.begin():
            conv = db.get(Conversation, conv_id)
            if conv is None:
                return
            conv.customer_seen_at = self.ctx.now()
            if conv.state == "agent" and conv.agent_id is not None and conv.customer_left_at is None:
                out.to_agent(conv.agent_id, CustomerPresence(conversation_id=conv_id, online=online))
        await publish(self.ctx.hub, out)

    # ------------------------------------------------------------------ the turn
    def _open(self, db: Session, conv_id: str, token: str | None, check_token: bool) -> Conversation:
        conv = self._authorised(db, conv_id, token) if check_token else self.transcript.load(db, conv_id)
        if conv.state == "closed" or conv.customer_left_at is not None:
            raise ChatError(409, texts.CONVERSATION_CLOSED)
        conv.customer_seen_at = self.ctx.now()
        return conv

    async def message(self, conv_id: str, text: str | None, payload: str | None, token: str | None = None,
                      check_token: bool = False) -> ChatReply:
        """Store the customer's message, then route it by state; the reply holds the customer's own message
        first, then everything said back (and, once queued, whatever a dispatch added since). A click on a
        button whose step is over is refused (409) and changes nothing."""
        raw = (payload if payload is not None else text or "").strip()
        if not raw:
            raise ChatError(422, texts.EMPTY_MESSAGE)
        async with self._conv_locks.setdefault(conv_id, asyncio.Lock()):
            out = Outbox()
            async with self.ctx.lock:
                with self.ctx.sessions() as db, db.begin():
                    conv = self._open(db, conv_id, token, check_token)
                    sender = conv.rasa_sender
                    shown = raw
                    if payload is not None:
                        shown, live = self.transcript.button(db, conv, raw)
                        if not live and raw.startswith("/"):
                            raise ChatError(409, texts.STALE_BUTTON)
                    self.transcript.expire_buttons(db, conv)  # the customer moved on: earlier buttons are over
                    meta = {"payload": mask_escaped(raw)} if payload is not None else None
                    mine = self.transcript.add_customer(db, conv, shown, payload is not None, meta)
                    said = Said(db, conv, raw, payload is not None, [mine], out)
                    bot_text = self._route(said, mine)
                    reply = self._reply(db, conv, said.new)
                await publish(self.ctx.hub, out)
            if bot_text is not None:
                reply = await self._ask_bot(conv_id, bot_text, said.new, sender, confirmed=raw == STILL_HUMAN)
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
                said.new.append(self.queue.keep_waiting(db, conv))
        elif conv.state == "agent":
            if conv.agent_id is not None:
                said.out.to_agent(conv.agent_id, ConversationMessage(conversation_id=conv.id,
                                                                     message=message_out(mine)))
        elif raw == STILL_HUMAN and said.is_payload:
            return texts.HANDOFF  # 仍需人工 after the surge's first answer: the bot hands off, the bridge queues
        else:
            return mask_escaped(raw) if said.is_payload else mine.text  # the bot needs no raw PII (mine: masked)
        return None

    def _refresh(self, conv_id: str, reply: ChatReply) -> ChatReply:
        """The reply as of now: a dispatch may have connected an agent since it was built."""
        last = max((m.id for m in reply.messages), default=0)
        later = self.history(conv_id, last)
        return later.model_copy(update={"messages": reply.messages + later.messages})

    # ------------------------------------------------------------------ the 留言 form and leaving
    async def leave_message(self, conv_id: str, token: str | None, number: str, preferred_time: str,
                            text: str) -> ChatReply:
        """The widget's 留言 form: the number is checked (422 with the reason in Chinese), then stored masked
        and encrypted; the customer leaves the queue if they were in it."""
        try:
            callback = parse_callback_number(number)
        except CallbackNumberError as exc:
            raise ChatError(422, str(exc)) from exc
        async with self._conv_locks.setdefault(conv_id, asyncio.Lock()):
            out = Outbox()
            async with self.ctx.lock:
                with self.ctx.sessions() as db, db.begin():
                    conv = self._open(db, conv_id, token, True)
                    if conv.state == "agent":
                        raise ChatError(409, "人工客服正在为您服务，请直接在对话中留言")
                    mine = self.transcript.add(db, conv, "customer",
                                               texts.leave_summary(callback.masked, preferred_time, text))
                    said = Said(db, conv, "", False, [mine], out)
                    self.steps.record_leave(said, callback, preferred_time, text)
                    reply = self._reply(db, conv, said.new)
                await publish(self.ctx.hub, out)
                await self.queue.dispatch_locked()  # a place in the queue came free
        return reply

    async def end(self, conv_id: str, token: str | None) -> ChatReply:
        """The customer ended the chat (结束会话, confirmed in the widget). Queued: they leave the queue
        (abandoned); with an agent: the agent is told at once and wraps up; the conversation is closed for the
        customer either way."""
        async with self._conv_locks.setdefault(conv_id, asyncio.Lock()):
            out = Outbox()
            async with self.ctx.lock:
                with self.ctx.sessions() as db, db.begin():
                    conv = self._authorised(db, conv_id, token)
                    if conv.state == "closed" or conv.customer_left_at is not None:
                        return self._reply(db, conv, [])
                    now = self.ctx.now()
                    if conv.state == "bot" and conv.stage is None:
                        survey = self.steps.start_bot_survey(db, conv)  # sampled: the chat stays open for it
                        if survey:
                            conv.customer_seen_at = now
                            return self._reply(db, conv, survey)
                    conv.customer_left_at, conv.customer_seen_at, conv.stage = now, now, None
                    self.transcript.expire_buttons(db, conv)
                    if conv.state == "agent" and conv.agent_id is not None:
                        self.queue.end_handoff(db, conv, "customer_left")
                        note = self.transcript.add(db, conv, "system", texts.CUSTOMER_ENDED)
                        out.to_agent(conv.agent_id, CustomerLeft(conversation_id=conv.id))
                        out.to_agent(conv.agent_id, ConversationMessage(conversation_id=conv.id,
                                                                        message=message_out(note)))
                    else:
                        if conv.state == "queued":
                            self.queue.leave_queue(db, conv, "abandoned")
                        conv.state = "closed"
                    self.ctx.metrics.inc("bridge_customer_ended_total")
                    reply = self._reply(db, conv, [self.transcript.add(db, conv, "system", texts.ENDED)])
                    reply = reply.model_copy(update={"state": "closed", "agent_name": None})
                await publish(self.ctx.hub, out)
                await self.queue.dispatch_locked()
        return reply

    # ------------------------------------------------------------------ the bot
    async def _ask_bot(self, conv_id: str, text: str, new: list[Message], sender: str,
                       confirmed: bool = False) -> ChatReply:
        """Send the customer's masked text to Rasa; store and return its (masked) replies."""
        started = time.perf_counter()
        turn: BotTurn | None
        try:
            turn, failure = await self.ctx.rasa.send(sender, text), None
        except BotUnavailable as exc:
            turn, failure = None, exc
        self.ctx.metrics.observe("bridge_bot_reply_seconds", time.perf_counter() - started)
        async with self.ctx.lock:
            return self._store_bot_turn(conv_id, turn, failure, new, wants_human=text == texts.HANDOFF,
                                        confirmed=confirmed)

    def _store_bot_turn(self, conv_id: str, turn: BotTurn | None, failure: Exception | None,
                        new: list[Message], wants_human: bool = False, confirmed: bool = False) -> ChatReply:
        with self.ctx.sessions() as db, db.begin():
            conv = self.transcript.load(db, conv_id)
            if conv.state != "bot" or conv.customer_left_at is not None:
                return self._reply(db, conv, new)  # ended or handed over while the bot was thinking
            if turn is None or (not turn.texts and turn.handoff is None):
                # the bot is down, or said nothing (e.g. the action server is down): never leave silence
                log.warning("bot unavailable for %s: %s", conv_id, failure or "no reply")
                self.ctx.metrics.inc("bridge_bot_errors_total")
                if wants_human:  # 转人工 works without the bot
                    new += self.queue.enqueue(db, conv, "customer_request", None)
                else:
                    new.append(self.transcript.add(db, conv, "system", texts.BOT_DOWN, HANDOFF_BUTTON))
                return self._reply(db, conv, new)
            handoff: dict[str, Any] | None = dict(turn.handoff) if turn.handoff is not None else None
            if handoff is None and wants_human:
                handoff = {"reason": "customer_request"}
            said = turn.texts[:-1] if turn.handoff is not None else turn.texts  # the bridge announces the queue
            # the KB lookup behind this turn, kept on its last message for the reports: its own context, or the
            # one a handoff carries (two KB misses in a row hand off with the second lookup inside the signal)
            kb = turn.kb or (handoff or {}).get("kb")
            for i, (reply_text, buttons) in enumerate(said):
                last = i == len(said) - 1
                meta = {"kb": kb} if isinstance(kb, dict) and last else None
                hits = self.ctx.words.find(reply_text, "output")
                if hits:
                    self.transcript.flag(db, conv.id, "bot", hits, reply_text, True, "system")
                    reply_text, buttons = texts.BOT_BLOCKED, HANDOFF_BUTTON
                new.append(self.transcript.add(db, conv, "bot", reply_text, buttons, meta=meta))
            first = self.deflect(handoff, confirmed) if handoff is not None else None
            if first is not None:  # surge level 1+: a simple question's standard answer before the queue
                self.ctx.metrics.inc("bridge_surge_deflections_total")
                new.append(self.transcript.add(db, conv, "bot", first, STILL_HUMAN_BUTTON))
            elif handoff is not None:
                if turn.kb and "kb" not in handoff:
                    handoff["kb"] = turn.kb
                new += self.queue.enqueue(db, conv, str(handoff.get("reason") or "bot_request"), handoff)
            return self._reply(db, conv, new)
