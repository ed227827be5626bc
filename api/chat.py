"""The conversation state machine: bot -> queued -> agent -> (survey) -> bot, with the handoff queue.

Every state change and queue dispatch runs under one asyncio lock, so two requests cannot assign the same
conversation twice or overfill an agent. Everything is written to the database before any WebSocket push, so
a bridge restart loses nothing: queued conversations, assignments and transcripts are all rows.
Text is masked (common.pii) before it is stored, pushed or logged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api import texts
from api.audit import audit
from api.db import Conversation, Flag, Handoff, LeaveMessage, Message, Survey, User, iso, utcnow
from api.hub import Hub
from api.metrics import WAIT_BUCKETS, Registry
from api.rasa_client import BotUnavailable, RasaClient
from api.routing import AgentSlot, Waiting, dispatch, estimated_wait_s, queue_positions, skill_group_for
from api.security import new_token, token_hash
from api.sensitive_words import Hit, SensitiveWords
from api.settings import Settings
from common.pii import find_pii, mask_pii

log = logging.getLogger(__name__)


class ChatError(Exception):
    """A request the state machine refuses; carries the HTTP status for the API edge."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def message_out(m: Message) -> dict[str, Any]:
    return {"id": m.id, "from": m.sender, "text": m.text, "buttons": m.buttons, "created_at": iso(m.created_at),
            "agent_name": m.agent_name}


def waiting_of(queued: Sequence[Conversation]) -> list[Waiting]:
    """Queued conversations as the router sees them."""
    return [Waiting(c.id, c.skill_group or "通用", c.queued_at or c.created_at) for c in queued]


@dataclass
class Reply:
    state: str
    messages: list[dict[str, Any]]
    queue_position: int | None = None
    estimated_wait_s: int | None = None
    agent_name: str | None = None


class ChatService:
    def __init__(self, settings: Settings, sessions: sessionmaker, rasa: RasaClient, hub: Hub, metrics: Registry,
                 words: SensitiveWords | None = None, now: Callable[[], dt.datetime] = utcnow) -> None:
        self.settings = settings
        self.words = words or SensitiveWords([])
        self.sessions = sessions
        self.rasa = rasa
        self.hub = hub
        self.metrics = metrics
        self.now = now
        self.lock = asyncio.Lock()
        self._conv_locks: dict[str, asyncio.Lock] = {}

    # ------------------------------------------------------------------ helpers
    def _add(self, db: Session, conv: Conversation, sender: str, text: str, buttons: list[dict[str, str]] | None = None,
             agent_name: str | None = None, meta: dict[str, Any] | None = None) -> Message:
        message = Message(conversation_id=conv.id, sender=sender, text=mask_pii(text),
                          buttons_json=json.dumps(buttons or [], ensure_ascii=False), agent_name=agent_name,
                          meta_json=json.dumps(meta, ensure_ascii=False) if meta else None, created_at=self.now())
        db.add(message)
        conv.updated_at = self.now()
        db.flush()
        self.metrics.inc("bridge_messages_total", sender=sender, state=conv.state)
        return message

    def _flag(self, db: Session, conv_id: str | None, source: str, hits: list[Hit], text: str, blocked: bool,
              actor: str) -> None:
        for hit in hits:
            db.add(Flag(conversation_id=conv_id, source=source, category=hit.category, term=hit.term,
                        text=mask_pii(text)[:2000], blocked=blocked, created_at=self.now()))
            audit(db, actor, "sensitive_word", conv_id, source=source, category=hit.category, term=hit.term,
                  blocked=blocked)
            self.metrics.inc("bridge_sensitive_hits_total", source=source, category=hit.category)

    def _conversation(self, db: Session, conv_id: str) -> Conversation:
        conv = db.get(Conversation, conv_id)
        if conv is None:
            raise ChatError(404, f"conversation {conv_id} not found")
        return conv

    def _agent_name(self, db: Session, conv: Conversation) -> str | None:
        agent = db.get(User, conv.agent_id) if conv.agent_id else None
        return agent.display_name if agent else None

    def _queue_info(self, db: Session, conv: Conversation) -> tuple[int | None, int | None]:
        if conv.state != "queued":
            return None, None
        waiting = self._waiting(db)
        position = queue_positions(waiting).get(conv.id, len(waiting))
        estimate = self._estimator(db)
        return position, estimate(conv.skill_group or "通用", position)

    def _waiting(self, db: Session) -> list[Waiting]:
        return waiting_of(db.scalars(select(Conversation).where(Conversation.state == "queued")).all())

    def _agents(self, db: Session) -> list[tuple[User, int]]:
        loads = dict(db.execute(select(Conversation.agent_id, func.count()).where(Conversation.state == "agent")
                                .group_by(Conversation.agent_id)).all())
        users = db.scalars(select(User).where(User.role.in_(("agent", "supervisor")))).all()
        return [(u, int(loads.get(u.id, 0))) for u in users]

    def _estimator(self, db: Session) -> Callable[[str, int], int]:
        """Wait estimates for (skill group, position), reading agents and recent handle times once."""
        online = [u for u, _ in self._agents(db) if u.status == "online"]
        recent = db.scalars(select(Handoff).where(Handoff.closed_at.is_not(None), Handoff.assigned_at.is_not(None))
                            .order_by(Handoff.id.desc()).limit(50)).all()
        handle = [(h.closed_at - h.assigned_at).total_seconds() for h in recent if h.closed_at and h.assigned_at]
        avg = sum(handle) / len(handle) if handle else self.settings.default_handle_time_s

        def estimate(group: str, position: int) -> int:
            capacity = sum(u.capacity for u in online if group in u.skills or "通用" in u.skills)
            return estimated_wait_s(position, capacity, avg)
        return estimate

    def _reply(self, db: Session, conv: Conversation, messages: list[Message]) -> Reply:
        position, wait = self._queue_info(db, conv)
        return Reply(conv.state, [message_out(m) for m in messages], position, wait, self._agent_name(db, conv))

    def _button_title(self, db: Session, conv: Conversation, payload: str) -> str:
        """What the customer clicked, for their bubble: the title of the newest button with this payload."""
        recent = db.scalars(select(Message).where(Message.conversation_id == conv.id, Message.sender != "customer")
                            .order_by(Message.id.desc()).limit(20)).all()
        for m in recent:
            for button in m.buttons:
                if button.get("payload") == payload:
                    return button.get("title") or payload
        return payload

    # ------------------------------------------------------------------ customer side
    async def create_conversation(self, channel: str, customer_id: str | None) -> tuple[Conversation, str, Reply]:
        token = new_token()
        with self.sessions() as db, db.begin():
            conv = Conversation(id=secrets.token_hex(16), token_hash=token_hash(token), channel=channel,
                                customer_id=customer_id, state="bot", session_no=1, leave_offered=False,
                                fallbacks=0, created_at=self.now(), updated_at=self.now())
            db.add(conv)
            db.flush()
            welcome = self._add(db, conv, "bot", texts.WELCOME, texts.WELCOME_BUTTONS)
            reply = self._reply(db, conv, [welcome])
        self.metrics.inc("bridge_conversations_total", channel=channel)
        return conv, token, reply

    def authenticate(self, conv_id: str, token: str | None) -> None:
        with self.sessions() as db:
            conv = db.get(Conversation, conv_id)
            if conv is None:
                raise ChatError(404, f"conversation {conv_id} not found")
            if not token or not secrets.compare_digest(conv.token_hash, token_hash(token)):
                raise ChatError(401, "invalid or missing conversation token")

    def history(self, conv_id: str, after: int) -> Reply:
        with self.sessions() as db:
            conv = self._conversation(db, conv_id)
            rows = db.scalars(select(Message).where(Message.conversation_id == conv_id, Message.id > after)
                              .order_by(Message.id).limit(1000)).all()
            return self._reply(db, conv, list(rows))

    async def customer_typing(self, conv_id: str) -> None:
        with self.sessions() as db:
            conv = self._conversation(db, conv_id)
            agent_id = conv.agent_id if conv.state == "agent" else None
        if agent_id:
            await self.hub.to_agent(agent_id, {"type": "typing", "conversation_id": conv_id, "from": "customer"})

    def _conversation_lock(self, conv_id: str) -> asyncio.Lock:
        return self._conv_locks.setdefault(conv_id, asyncio.Lock())

    async def customer_message(self, conv_id: str, text: str | None, payload: str | None,
                               token: str | None = None, check_token: bool = False) -> Reply:
        """Store the customer's message, then route it by state: the bridge's own steps (survey, 留言), the
        queue, the agent, or the bot. One conversation's messages are handled in order; the global lock is
        held only for state changes, never while waiting on Rasa."""
        raw = (payload if payload is not None else text or "").strip()
        if not raw:
            raise ChatError(422, "empty message")
        async with self._conversation_lock(conv_id):
            bot_text: str | None = None
            pushes: list[tuple[str, Any, dict[str, Any]]] = []
            async with self.lock:
                with self.sessions() as db, db.begin():
                    conv = self._conversation(db, conv_id)
                    if check_token and not (token and secrets.compare_digest(conv.token_hash, token_hash(token))):
                        raise ChatError(401, "invalid or missing conversation token")
                    sender = conv.rasa_sender
                    if conv.state == "closed":
                        raise ChatError(409, "this conversation is closed; start a new one")
                    shown = self._button_title(db, conv, raw) if payload is not None else raw
                    mine = self._add(db, conv, "customer", shown)
                    new: list[Message] = [mine]
                    hits = self.words.find(raw, "input") if payload is None else []
                    if hits:
                        self._flag(db, conv.id, "customer", hits, raw, False, f"customer:{conv.id}")
                    if self._stage(db, conv, raw, payload is not None, new, pushes):
                        pass
                    elif hits and conv.state == "bot":
                        calm = texts.CALM_REPLY.get(hits[0].category, texts.CALM_DEFAULT)
                        new.append(self._add(db, conv, "system", calm, [{"title": "转人工客服",
                                                                         "payload": texts.HANDOFF}]))
                    elif raw == texts.LEAVE and conv.state in ("bot", "queued"):
                        conv.stage = "leave"
                        new.append(self._add(db, conv, "system", texts.LEAVE_PROMPT))
                    elif conv.state == "queued":
                        if raw == texts.KEEP_WAITING:
                            position, wait = self._queue_info(db, conv)
                            new.append(self._add(db, conv, "system", texts.queue_notice(position or 1, wait or 0)))
                    elif conv.state == "agent":
                        pushes.append(("agent", conv.agent_id,
                                       {"type": "message", "conversation_id": conv_id, "message": message_out(mine)}))
                    elif raw == texts.HANDOFF:
                        new += self._start_handoff(db, conv, "customer_request", None)
                    else:
                        bot_text = raw if payload is not None else mask_pii(raw)  # the bot needs no raw PII
                    reply = self._reply(db, conv, new)
                await self._push(pushes)
            if bot_text is not None:
                reply = await self._ask_bot(conv_id, bot_text, new, sender)
            if reply.state != "queued":
                return reply
            await self.dispatch()  # a new handoff: an agent may take it at once
            return self._refresh(conv_id, reply)

    def _refresh(self, conv_id: str, reply: Reply) -> Reply:
        """The reply as of now: a dispatch may have connected an agent since it was built."""
        last = max((m["id"] for m in reply.messages), default=0)
        later = self.history(conv_id, last)
        return Reply(later.state, reply.messages + later.messages, later.queue_position, later.estimated_wait_s,
                     later.agent_name)

    async def _push(self, pushes: list[tuple[str, Any, dict[str, Any]]]) -> None:
        for target, key, event in pushes:
            if target == "customer":
                await self.hub.to_customer(str(key), event)
            elif target == "agent":
                await self.hub.to_agent(int(key), event)
            else:
                await self.hub.to_all_agents(event)

    async def _ask_bot(self, conv_id: str, text: str, new: list[Message], sender: str) -> Reply:
        """Send the customer's masked text to Rasa; store and return its (masked) replies."""
        started = time.perf_counter()
        try:
            turn = await self.rasa.send(sender, text)
            failure = None
        except BotUnavailable as exc:
            turn, failure = None, exc
        self.metrics.observe("bridge_bot_reply_seconds", time.perf_counter() - started)
        async with self.lock:
            return self._store_bot_turn(conv_id, turn, failure, new)

    def _store_bot_turn(self, conv_id: str, turn: Any, failure: Exception | None, new: list[Message]) -> Reply:
        with self.sessions() as db, db.begin():
            conv = self._conversation(db, conv_id)
            if turn is None:
                log.warning("bot unavailable for %s: %s", conv_id, failure)
                self.metrics.inc("bridge_bot_errors_total")
                new.append(self._add(db, conv, "system", texts.BOT_DOWN,
                                     [{"title": "转人工客服", "payload": texts.HANDOFF}]))
            else:
                if not turn.texts and turn.handoff is None:  # e.g. the action server is down: never leave silence
                    self.metrics.inc("bridge_bot_errors_total")
                    new.append(self._add(db, conv, "system", texts.BOT_DOWN,
                                         [{"title": "转人工客服", "payload": texts.HANDOFF}]))
                for i, (reply_text, buttons) in enumerate(turn.texts):
                    last = i == len(turn.texts) - 1
                    meta = {"kb": turn.kb} if turn.kb and last else None
                    hits = self.words.find(reply_text, "output")
                    if hits:
                        self._flag(db, conv.id, "bot", hits, reply_text, True, "system")
                        reply_text, buttons = texts.BOT_BLOCKED, [{"title": "转人工客服", "payload": texts.HANDOFF}]
                    new.append(self._add(db, conv, "bot", reply_text, buttons, meta=meta))
                if turn.handoff is not None:
                    context = dict(turn.handoff)
                    if turn.kb and "kb" not in context:
                        context["kb"] = turn.kb
                    new += self._start_handoff(db, conv, str(context.get("reason") or "bot_request"), context)
            return self._reply(db, conv, new)

    def _stage(self, db: Session, conv: Conversation, raw: str, is_payload: bool, new: list[Message],
               pushes: list[tuple[str, Any, dict[str, Any]]]) -> bool:
        """Survey and 留言 steps the bridge handles itself; False when the message is not for them."""
        stage = conv.stage
        if stage == "leave":
            if is_payload:
                if raw == texts.LEAVE:
                    new.append(self._add(db, conv, "system", texts.LEAVE_PROMPT))
                    return True
                conv.stage = None
                return False
            phones = [raw[m.start:m.end] for m in find_pii(raw) if m.kind == "mobile"]
            db.add(LeaveMessage(conversation_id=conv.id, customer_id=conv.customer_id,
                                callback_number=mask_pii(phones[0]) if phones else None, text=mask_pii(raw),
                                status="open", created_at=self.now()))
            if conv.state == "queued":
                self._end_handoff(db, conv, "left_message")
                conv.state = "bot"
                conv.session_no += 1
            conv.stage = None
            new.append(self._add(db, conv, "system", texts.LEAVE_THANKS))
            self.metrics.inc("bridge_leave_messages_total")
            pushes.append(("all_agents", None, {"type": "leave_message"}))
            return True
        if stage not in ("survey_nps", "survey_csat", "survey_comment"):
            return False
        survey = db.get(Survey, conv.survey_id) if conv.survey_id else None
        if survey is None:
            conv.stage = None
            return False
        if raw == texts.SURVEY_SKIP:
            conv.stage = None
            new.append(self._add(db, conv, "system", texts.SURVEY_THANKS))
            return True
        if stage == "survey_nps" and (score := texts.nps_score(raw)) is not None:
            survey.nps = score
            conv.stage = "survey_csat"
            new.append(self._add(db, conv, "system", texts.SURVEY_CSAT, texts.CSAT_BUTTONS))
            return True
        if stage == "survey_csat" and (rating := texts.csat_rating(raw)) is not None:
            survey.csat = rating
            conv.stage = "survey_comment"
            new.append(self._add(db, conv, "system", texts.SURVEY_COMMENT, texts.SKIP_BUTTONS))
            return True
        if stage == "survey_comment" and not is_payload:
            survey.comment = mask_pii(raw)[:1000]
            conv.stage = None
            new.append(self._add(db, conv, "system", texts.SURVEY_THANKS))
            return True
        conv.stage = None  # anything else ends the survey; the message goes on to the bot
        return False

    # ------------------------------------------------------------------ handoff and queue
    def _start_handoff(self, db: Session, conv: Conversation, reason: str,
                       context: dict[str, Any] | None) -> list[Message]:
        if conv.state in ("queued", "agent"):
            return []
        context = context or {"reason": reason}
        context.setdefault("reason", reason)
        group = skill_group_for(context.get("intent"), context.get("slots"))
        self.metrics.inc("bridge_handoffs_total", reason=reason)
        if not self.settings.in_service_hours(dt.datetime.now()):
            conv.leave_offered = True
            return [self._add(db, conv, "system", texts.OUT_OF_HOURS, [{"title": "留言", "payload": texts.LEAVE}])]
        now = self.now()
        conv.state, conv.queued_at, conv.skill_group, conv.handoff_reason = "queued", now, group, reason
        conv.handoff_json = json.dumps(context, ensure_ascii=False)
        conv.leave_offered = False
        db.add(Handoff(conversation_id=conv.id, reason=reason, skill_group=group, queued_at=now))
        db.flush()
        online = any(u.status == "online" for u, _ in self._agents(db))
        position, wait = self._queue_info(db, conv)
        notices = [self._add(db, conv, "system", texts.queue_notice(position or 1, wait or 0))]
        if not online:
            conv.leave_offered = True
            notices.append(self._add(db, conv, "system", texts.NOBODY_ONLINE, texts.WAIT_BUTTONS))
        return notices

    def _end_handoff(self, db: Session, conv: Conversation, outcome: str) -> None:
        handoff = db.scalars(select(Handoff).where(Handoff.conversation_id == conv.id, Handoff.closed_at.is_(None))
                            .order_by(Handoff.id.desc())).first()
        if handoff is not None:
            handoff.closed_at, handoff.outcome = self.now(), outcome

    async def dispatch(self) -> None:
        async with self.lock:
            await self._dispatch_locked()

    async def _dispatch_locked(self) -> None:
        """Assign waiting conversations to free agents, then tell everyone what changed."""
        events: list[tuple[str, Any, dict[str, Any]]] = []
        with self.sessions() as db, db.begin():
            agents = self._agents(db)
            slots = [AgentSlot(u.id, tuple(u.skills), u.capacity, load, u.status == "online", u.last_assigned_at)
                     for u, load in agents]
            waiting = self._waiting(db)
            by_id = {u.id: u for u, _ in agents}
            for conv_id, agent_id in dispatch(waiting, slots):
                conv, agent = self._conversation(db, conv_id), by_id[agent_id]
                now = self.now()
                conv.state, conv.agent_id, conv.assigned_at = "agent", agent_id, now
                agent.last_assigned_at = now
                handoff = db.scalars(select(Handoff).where(Handoff.conversation_id == conv.id,
                                                           Handoff.closed_at.is_(None))
                                     .order_by(Handoff.id.desc())).first()
                if handoff is not None and handoff.assigned_at is None:
                    handoff.assigned_at = now
                    handoff.wait_s = (now - handoff.queued_at).total_seconds()
                    self.metrics.observe("bridge_queue_wait_seconds", handoff.wait_s, WAIT_BUCKETS)
                joined = self._add(db, conv, "system", texts.agent_joined(agent.display_name))
                events.append(("customer", conv.id, {"type": "state", "state": "agent",
                                                     "agent_name": agent.display_name}))
                events.append(("customer", conv.id, {"type": "message", "message": message_out(joined)}))
                events.append(("agent", agent_id, {"type": "assigned", "conversation": self.summary(db, conv)}))
            remaining = self._waiting(db)
            positions = queue_positions(remaining)
            estimate = self._estimator(db)  # once per dispatch, not once per waiting customer
            for item in remaining:
                events.append(("customer", item.id, {"type": "queue", "position": positions[item.id],
                                                     "estimated_wait_s": estimate(item.skill_group,
                                                                                  positions[item.id])}))
            queue_length = len(remaining)
        for target, key, event in events:
            if target == "customer":
                await self.hub.to_customer(key, event)
            else:
                await self.hub.to_agent(key, event)
        await self.hub.to_all_agents({"type": "queue", "length": queue_length})

    async def tick(self) -> None:
        """Periodic: offer 留言 to customers who waited past the queue timeout, then re-dispatch."""
        pushes: list[tuple[str, dict[str, Any]]] = []
        async with self.lock:
            with self.sessions() as db, db.begin():
                limit = self.now() - dt.timedelta(seconds=self.settings.queue_timeout_s)
                late = db.scalars(select(Conversation).where(Conversation.state == "queued",
                                                             Conversation.queued_at < limit,
                                                             Conversation.leave_offered.is_(False))).all()
                for conv in late:
                    conv.leave_offered = True
                    notice = self._add(db, conv, "system", texts.QUEUE_TIMEOUT, texts.WAIT_BUTTONS)
                    pushes.append((conv.id, {"type": "message", "message": message_out(notice)}))
            for conv_id, event in pushes:
                await self.hub.to_customer(conv_id, event)
            await self._dispatch_locked()

    # ------------------------------------------------------------------ agent side
    def summary(self, db: Session, conv: Conversation) -> dict[str, Any]:
        last = db.scalars(select(Message).where(Message.conversation_id == conv.id)
                          .order_by(Message.id.desc())).first()
        agent = db.get(User, conv.agent_id) if conv.agent_id else None
        return {"id": conv.id, "state": conv.state, "customer_id": conv.customer_id, "skill_group": conv.skill_group,
                "handoff_reason": conv.handoff_reason, "agent": agent.username if agent else None,
                "queued_at": iso(conv.queued_at), "assigned_at": iso(conv.assigned_at),
                "last_message": message_out(last) if last else None}

    def _owned(self, db: Session, agent: User, conv_id: str) -> Conversation:
        conv = self._conversation(db, conv_id)
        if conv.state != "agent" or (conv.agent_id != agent.id and agent.role != "supervisor"):
            raise ChatError(403, "this conversation is not assigned to you")
        return conv

    def agent_conversations(self, agent: User) -> list[dict[str, Any]]:
        with self.sessions() as db:
            rows = db.scalars(select(Conversation).where(Conversation.state == "agent",
                                                         Conversation.agent_id == agent.id)
                              .order_by(Conversation.assigned_at)).all()
            return [self.summary(db, c) for c in rows]

    def conversation_detail(self, agent: User, conv_id: str) -> dict[str, Any]:
        with self.sessions() as db:
            conv = self._conversation(db, conv_id)
            if agent.role != "supervisor" and conv.agent_id != agent.id:
                raise ChatError(403, "this conversation is not assigned to you")
            rows = db.scalars(select(Message).where(Message.conversation_id == conv_id).order_by(Message.id)).all()
            return {**self.summary(db, conv), "handoff": conv.handoff, "messages": [message_out(m) for m in rows]}

    def latest_customer_text(self, conv_id: str) -> str:
        with self.sessions() as db:
            last = db.scalars(select(Message).where(Message.conversation_id == conv_id,
                                                    Message.sender == "customer")
                              .order_by(Message.id.desc())).first()
            return last.text if last else ""

    async def agent_reply(self, agent: User, conv_id: str, text: str) -> dict[str, Any]:
        hits = self.words.find(text, "output")
        if hits:
            with self.sessions() as db, db.begin():
                self._owned(db, agent, conv_id)
                self._flag(db, conv_id, "agent", hits, text, True, agent.username)
            terms = "、".join(h.term for h in hits)
            raise ChatError(422, f"消息包含合规禁用词（{terms}），未发送")
        async with self.lock:
            with self.sessions() as db, db.begin():
                conv = self._owned(db, agent, conv_id)
                out = message_out(self._add(db, conv, "agent", text, agent_name=agent.display_name))
        await self.hub.to_customer(conv_id, {"type": "message", "message": out})
        return out

    async def agent_typing(self, agent: User, conv_id: str) -> None:
        with self.sessions() as db:
            self._owned(db, agent, conv_id)
        await self.hub.to_customer(conv_id, {"type": "typing", "from": "agent"})

    async def agent_close(self, agent: User, conv_id: str) -> dict[str, Any]:
        """End the human service: the survey starts and the chat returns to a fresh bot session."""
        async with self.lock:
            with self.sessions() as db, db.begin():
                conv = self._owned(db, agent, conv_id)
                self._end_handoff(db, conv, "served")
                audit(db, agent.username, "close_conversation", conv.id)
                survey = Survey(conversation_id=conv.id, agent_id=conv.agent_id, created_at=self.now())
                db.add(survey)
                db.flush()
                conv.state, conv.agent_id, conv.stage, conv.survey_id = "bot", None, "survey_nps", survey.id
                conv.session_no += 1  # pre-handoff context can no longer drive the bot
                notices = [self._add(db, conv, "system", texts.AGENT_CLOSED),
                           self._add(db, conv, "system", texts.SURVEY_NPS, texts.NPS_BUTTONS)]
                events: list[dict[str, Any]] = [{"type": "state", "state": "bot", "agent_name": None}]
                events += [{"type": "message", "message": message_out(m)} for m in notices]
                summary = self.summary(db, conv)
            for event in events:
                await self.hub.to_customer(conv_id, event)
            await self._dispatch_locked()
        return summary

    async def agent_transfer(self, agent: User, conv_id: str, skill_group: str | None,
                             target: str | None) -> dict[str, Any]:
        async with self.lock:
            with self.sessions() as db, db.begin():
                conv = self._owned(db, agent, conv_id)
                previous = conv.agent_id
                audit(db, agent.username, "transfer", conv.id, skill_group=skill_group, agent=target)
                if target:
                    other = db.scalars(select(User).where(User.username == target)).first()
                    if other is None or other.role not in ("agent", "supervisor"):
                        raise ChatError(404, f"no agent named {target}")
                    load = dict((u.id, n) for u, n in self._agents(db)).get(other.id, 0)
                    if other.status != "online" or load >= other.capacity:
                        raise ChatError(409, f"{target} is not online or has no free capacity")
                    conv.agent_id, conv.assigned_at = other.id, self.now()
                    notice = self._add(db, conv, "system", texts.agent_joined(other.display_name))
                    events = [("agent", other.id, {"type": "assigned", "conversation": self.summary(db, conv)}),
                              ("customer", conv.id, {"type": "state", "state": "agent",
                                                     "agent_name": other.display_name})]
                else:
                    conv.state, conv.agent_id = "queued", None
                    conv.skill_group = skill_group or conv.skill_group or "通用"
                    notice = self._add(db, conv, "system", texts.TRANSFERRING)
                    events = [("customer", conv.id, {"type": "state", "state": "queued", "agent_name": None})]
                events.append(("customer", conv.id, {"type": "message", "message": message_out(notice)}))
                if previous:
                    events.append(("agent", previous, {"type": "unassigned", "conversation_id": conv.id}))
                summary = self.summary(db, conv)
            for kind, key, event in events:
                if kind == "agent":
                    await self.hub.to_agent(int(key), event)
                else:
                    await self.hub.to_customer(str(key), event)
            await self._dispatch_locked()
        return summary

    async def agent_socket_closed(self, agent_id: int) -> None:
        """An agent's console lost its WebSocket: after the grace period, if it has not reconnected, the agent
        goes offline and their chats go back to the queue (a closed laptop must not strand customers)."""
        await asyncio.sleep(self.settings.agent_grace_s)
        if self.hub.agent_connected(agent_id):
            return
        with self.sessions() as db, db.begin():
            agent = db.get(User, agent_id)
            if agent is None or agent.status == "offline":
                return
            agent.status = "offline"
            audit(db, agent.username, "agent_disconnected", agent.username, grace_s=self.settings.agent_grace_s)
        await self.requeue_agent(agent_id)

    async def requeue_agent(self, agent_id: int) -> None:
        """An agent went offline: their chats go back to the front of the queue (original queue time)."""
        async with self.lock:
            moved = []
            with self.sessions() as db, db.begin():
                for conv in db.scalars(select(Conversation).where(Conversation.state == "agent",
                                                                  Conversation.agent_id == agent_id)).all():
                    conv.state, conv.agent_id = "queued", None
                    notice = self._add(db, conv, "system", texts.TRANSFERRING)
                    moved.append((conv.id, message_out(notice)))
            for conv_id, out in moved:
                await self.hub.to_customer(conv_id, {"type": "state", "state": "queued", "agent_name": None})
                await self.hub.to_customer(conv_id, {"type": "message", "message": out})
                await self.hub.to_agent(agent_id, {"type": "unassigned", "conversation_id": conv_id})
            await self._dispatch_locked()
