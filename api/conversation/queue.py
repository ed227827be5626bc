"""The handoff queue: enqueue a conversation for a human, dispatch waiting conversations to free agents, the
periodic tick (留言 offered past the queue timeout, customers who went away leave the queue), requeue an agent's
chats, wait estimates, and the supervisor's view of it all. The assignment itself is decided by the pure
``routing`` module, presence by ``presence`` and the wait told by ``wait_estimate``; this module reads the rows
it needs, applies the decisions and tells everyone what changed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.conversation import texts
from api.conversation.context import Context
from api.conversation.events import Outbox, publish
from api.conversation.presence import Presence, PresenceRules, presence
from api.conversation.routing import AgentSlot, Waiting, dispatch, estimated_wait_s, queue_positions, skill_group_for
from api.conversation.transcript import Transcript, message_out, public_name
from api.conversation.wait_estimate import Told, smoothed_wait_s
from api.reports.prometheus import WAIT_BUCKETS
from api.schemas.events import Assigned, NewMessage, QueueLength, QueuePosition, StateChanged, Unassigned
from api.schemas.staff import AgentOut, QueueItem, SupervisorOverview
from api.staff.accounts import AGENT_ROLES
from api.store.models import Conversation, Handoff, LeaveMessage, Message, User


def waiting_of(queued: Sequence[Conversation]) -> list[Waiting]:
    """Queued conversations as the router sees them (a transferred one never goes back to its sender)."""
    return [Waiting(c.id, c.skill_group or "通用", c.queued_at or c.created_at, c.transferred_from) for c in queued]


def agent_out(user: User, load: int) -> AgentOut:
    return AgentOut(username=user.username, display_name=user.display_name, public_name=public_name(user),
                    role=user.role, status=user.status, capacity=user.capacity, skills=user.skills, load=load,
                    over_capacity=load > user.capacity)


class HandoffQueue:
    def __init__(self, ctx: Context, transcript: Transcript) -> None:
        self.ctx = ctx
        self.transcript = transcript

    # ------------------------------------------------------------------ reading
    @staticmethod
    def agents(db: Session) -> list[tuple[User, int]]:
        """Every agent and supervisor with the number of chats they serve now (one query for every load)."""
        loads = dict(db.execute(select(Conversation.agent_id, func.count()).where(Conversation.state == "agent")
                                .group_by(Conversation.agent_id)).all())
        users = db.scalars(select(User).where(User.role.in_(AGENT_ROLES))).all()
        return [(u, int(loads.get(u.id, 0))) for u in users]

    @staticmethod
    def load_of(db: Session, agent_id: int) -> int:
        return int(db.scalar(select(func.count()).select_from(Conversation)
                             .where(Conversation.state == "agent", Conversation.agent_id == agent_id)) or 0)

    @staticmethod
    def queued(db: Session) -> list[Conversation]:
        return list(db.scalars(select(Conversation).where(Conversation.state == "queued")).all())

    def waiting(self, db: Session) -> list[Waiting]:
        return waiting_of(self.queued(db))

    def presence_of(self, conv: Conversation) -> Presence:
        rules = PresenceRules(self.ctx.settings.customer_away_s, self.ctx.settings.queue_abandon_s)
        return presence(self.ctx.hub.customer_connected(conv.id), conv.customer_seen_at, self.ctx.now(), rules)

    def estimator(self, db: Session) -> Callable[[str, int], int]:
        """Raw wait estimates for (skill group, position), reading agents and recent handle times once."""
        online = [u for u, _ in self.agents(db) if u.status == "online"]
        recent = db.scalars(select(Handoff).where(Handoff.closed_at.is_not(None), Handoff.assigned_at.is_not(None))
                            .order_by(Handoff.id.desc()).limit(50)).all()
        handle = [(h.closed_at - h.assigned_at).total_seconds() for h in recent if h.closed_at and h.assigned_at]
        avg = sum(handle) / len(handle) if handle else self.ctx.settings.default_handle_time_s

        def estimate(group: str, position: int) -> int:
            capacity = sum(u.capacity for u in online if group in u.skills or "通用" in u.skills)
            return estimated_wait_s(position, capacity, avg)
        return estimate

    @staticmethod
    def _told(conv: Conversation, position: int, raw: int, record: bool) -> int:
        """The smoothed wait to tell (recorded as told when ``record``, inside a transaction)."""
        last = Told(conv.wait_told_s, conv.wait_told_position) \
            if conv.wait_told_s is not None and conv.wait_told_position else None
        wait = smoothed_wait_s(raw, position, last)
        if record:
            conv.wait_told_s, conv.wait_told_position = wait, position
        return wait

    def position(self, db: Session, conv: Conversation, record: bool = False) -> tuple[int | None, int | None]:
        """(position in its skill group, estimated wait in seconds) of a queued conversation; (None, None)
        otherwise."""
        if conv.state != "queued":
            return None, None
        waiting = self.waiting(db)
        position = queue_positions(waiting).get(conv.id, len(waiting))
        raw = self.estimator(db)(conv.skill_group or "通用", position)
        return position, self._told(conv, position, raw, record)

    @staticmethod
    def _open_handoff(db: Session, conv_id: str) -> Handoff | None:
        return db.scalars(select(Handoff).where(Handoff.conversation_id == conv_id, Handoff.closed_at.is_(None))
                          .order_by(Handoff.id.desc())).first()

    def hours(self) -> str:
        return texts.hours_label(self.ctx.settings.service_hours)

    # ------------------------------------------------------------------ in and out of the queue
    def enqueue(self, db: Session, conv: Conversation, reason: str, context: dict[str, Any] | None) -> list[Message]:
        """Queue the conversation for a human in the skill group of the bot's last intent; the one notice the
        customer gets (hours, position and wait; 留言 when nobody is online, or only 留言 outside service hours)."""
        if conv.state in ("queued", "agent"):
            return []
        context = context or {"reason": reason}
        context.setdefault("reason", reason)
        group = skill_group_for(context.get("intent"), context.get("slots"))
        self.ctx.metrics.inc("bridge_handoffs_total", reason=reason)
        if not self.ctx.settings.in_service_hours(dt.datetime.now()):
            conv.leave_offered = True
            now = self.ctx.now()  # recorded for the reports: a request nobody could take (api/reports/kpis.py)
            db.add(Handoff(conversation_id=conv.id, reason=reason, skill_group=group, queued_at=now, closed_at=now,
                           outcome="out_of_hours"))
            return [self.transcript.add(db, conv, "system", texts.out_of_hours(self.hours()),
                                        [{"title": "留言", "payload": texts.LEAVE}])]
        now = self.ctx.now()
        conv.state, conv.queued_at, conv.skill_group, conv.handoff_reason = "queued", now, group, reason
        conv.handoff_json = json.dumps(context, ensure_ascii=False)
        conv.leave_offered = False
        conv.transferred_from, conv.wait_told_s, conv.wait_told_position = None, None, None
        conv.customer_seen_at = now
        db.add(Handoff(conversation_id=conv.id, reason=reason, skill_group=group, queued_at=now))
        db.flush()
        online = any(u.status == "online" for u, _ in self.agents(db))
        position, wait = self.position(db, conv, record=True)
        conv.leave_offered = not online
        return [self.transcript.add(db, conv, "system", texts.queue_message(self.hours(), position or 1, wait or 0,
                                                                             online),
                                    None if online else texts.WAIT_BUTTONS)]

    def keep_waiting(self, db: Session, conv: Conversation) -> Message:
        """继续等待: the same one queue message, as of now."""
        online = any(u.status == "online" for u, _ in self.agents(db))
        position, wait = self.position(db, conv, record=True)
        return self.transcript.add(db, conv, "system", texts.queue_message(self.hours(), position or 1, wait or 0,
                                                                           online))

    def end_handoff(self, db: Session, conv: Conversation, outcome: str) -> None:
        handoff = self._open_handoff(db, conv.id)
        if handoff is not None:
            handoff.closed_at, handoff.outcome = self.ctx.now(), outcome

    def leave_queue(self, db: Session, conv: Conversation, outcome: str) -> None:
        """The customer is no longer waiting (left, went silent, left a 留言): out of the queue, recorded."""
        self.end_handoff(db, conv, outcome)
        conv.state, conv.queued_at = "bot", None
        conv.transferred_from, conv.wait_told_s, conv.wait_told_position = None, None, None
        self.ctx.metrics.inc("bridge_queue_left_total", outcome=outcome)

    # ------------------------------------------------------------------ dispatch
    async def dispatch(self) -> None:
        async with self.ctx.lock:
            await self.dispatch_locked()

    async def dispatch_locked(self) -> None:
        """Assign waiting conversations whose customer is there to free agents, then tell everyone what changed
        (the caller holds the lock)."""
        out = Outbox()
        with self.ctx.sessions() as db, db.begin():
            agents = self.agents(db)
            slots = [AgentSlot(u.id, tuple(u.skills), u.capacity, load, u.status == "online", u.last_assigned_at)
                     for u, load in agents]
            by_id = {u.id: u for u, _ in agents}
            queued = {c.id: c for c in self.queued(db)}
            present = [c for c in queued.values() if self.presence_of(c) == "online"]
            for conv_id, agent_id in dispatch(waiting_of(present), slots):
                conv, agent = queued.pop(conv_id), by_id[agent_id]
                now = self.ctx.now()
                conv.state, conv.agent_id, conv.assigned_at = "agent", agent_id, now
                conv.transferred_from = None
                agent.last_assigned_at = now
                handoff = self._open_handoff(db, conv.id)
                if handoff is not None and handoff.assigned_at is None:
                    handoff.assigned_at = now
                    handoff.wait_s = (now - handoff.queued_at).total_seconds()
                    self.ctx.metrics.observe("bridge_queue_wait_seconds", handoff.wait_s, WAIT_BUCKETS)
                self.transcript.expire_buttons(db, conv)  # 继续等待 / 留言 are over
                joined = self.transcript.add(db, conv, "system", texts.agent_joined(public_name(agent)))
                out.to_customer(conv.id, StateChanged(state="agent", agent_name=public_name(agent)))
                out.to_customer(conv.id, NewMessage(message=message_out(joined)))
                out.to_agent(agent_id, Assigned(conversation=self.transcript.summary(db, conv)))
            remaining = list(queued.values())
            positions = queue_positions(waiting_of(remaining))
            estimate = self.estimator(db)  # once per dispatch, not once per waiting customer
            for conv in remaining:
                position = positions[conv.id]
                wait = self._told(conv, position, estimate(conv.skill_group or "通用", position), record=True)
                out.to_customer(conv.id, QueuePosition(position=position, estimated_wait_s=wait))
            out.to_all_agents(QueueLength(length=len(remaining)))
        await publish(self.ctx.hub, out)

    async def tick(self) -> None:
        """Periodic: customers who went away leave the queue (abandoned), those who waited past the queue timeout
        are offered 留言, then re-dispatch."""
        out = Outbox()
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                limit = self.ctx.now() - dt.timedelta(seconds=self.ctx.settings.queue_timeout_s)
                for conv in self.queued(db):
                    if self.presence_of(conv) == "gone":
                        self.leave_queue(db, conv, "abandoned")
                        self.transcript.expire_buttons(db, conv)
                        notice = self.transcript.add(db, conv, "system", texts.ABANDONED)
                        out.to_customer(conv.id, StateChanged(state="bot", agent_name=None))
                        out.to_customer(conv.id, NewMessage(message=message_out(notice)))
                    elif conv.queued_at and conv.queued_at < limit and not conv.leave_offered:
                        conv.leave_offered = True
                        notice = self.transcript.add(db, conv, "system", texts.QUEUE_TIMEOUT, texts.WAIT_BUTTONS)
                        out.to_customer(conv.id, NewMessage(message=message_out(notice)))
            await publish(self.ctx.hub, out)
            await self.dispatch_locked()

    async def requeue_agent(self, agent_id: int) -> None:
        """An agent went offline: their chats go back to the front of the queue (original queue time); a chat
        whose customer already left is closed instead (nobody is waiting for it)."""
        out = Outbox()
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                for conv in db.scalars(select(Conversation).where(Conversation.state == "agent",
                                                                  Conversation.agent_id == agent_id)).all():
                    out.to_agent(agent_id, Unassigned(conversation_id=conv.id))
                    if conv.customer_left_at is not None:
                        conv.state, conv.agent_id = "closed", None
                        continue
                    conv.state, conv.agent_id = "queued", None
                    self.transcript.expire_buttons(db, conv)
                    notice = self.transcript.add(db, conv, "system", texts.TRANSFERRING)
                    out.to_customer(conv.id, StateChanged(state="queued", agent_name=None))
                    out.to_customer(conv.id, NewMessage(message=message_out(notice)))
            await publish(self.ctx.hub, out)
            await self.dispatch_locked()

    # ------------------------------------------------------------------ the supervisor's view
    def overview(self) -> SupervisorOverview:
        """The queue by skill group (each group is one queue: its positions), long waits flagged, every agent's
        load, the live chats and the number of open 留言."""
        now = self.ctx.now()
        long_wait_s = self.ctx.settings.long_wait_s
        with self.ctx.sessions() as db:
            queued = self.queued(db)
            positions = queue_positions(waiting_of(queued))
            live = db.scalars(select(Conversation).where(Conversation.state == "agent")
                              .order_by(Conversation.assigned_at)).all()
            agents = sorted(self.agents(db), key=lambda pair: pair[0].username)
            open_messages = db.scalar(select(func.count()).select_from(LeaveMessage)
                                      .where(LeaveMessage.status == "open")) or 0
            items = []
            for c in queued:
                waiting_s = int((now - (c.queued_at or now)).total_seconds())
                items.append(QueueItem(conversation_id=c.id, skill_group=c.skill_group,
                                       handoff_reason=c.handoff_reason, waiting_s=waiting_s,
                                       position=positions.get(c.id), long_wait=waiting_s >= long_wait_s,
                                       customer_online=self.presence_of(c) == "online"))
            items.sort(key=lambda q: (q.skill_group or "", q.position or 0))
            return SupervisorOverview(queue=items, long_wait_s=long_wait_s,
                                      agents=[agent_out(a, load) for a, load in agents],
                                      live=[self.transcript.summary(db, c) for c in live],
                                      leave_messages_open=int(open_messages))
