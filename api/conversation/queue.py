"""The handoff queue: enqueue a conversation for a human, dispatch waiting conversations to free agents, the
periodic tick (留言 offered past the queue timeout), requeue an agent's chats, wait estimates, and the
supervisor's view of it all. The assignment itself is decided by the pure ``routing`` module; this module reads
the rows it needs, applies the decisions and tells everyone what changed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.conversation import texts
from api.conversation.context import Context
from api.conversation.events import Outbox, publish
from api.conversation.routing import AgentSlot, Waiting, dispatch, estimated_wait_s, queue_positions, skill_group_for
from api.conversation.transcript import Transcript, message_out
from api.reports.prometheus import WAIT_BUCKETS
from api.schemas.events import Assigned, NewMessage, QueueLength, QueuePosition, StateChanged, Unassigned
from api.schemas.staff import AgentOut, QueueItem, SupervisorOverview
from api.staff.accounts import AGENT_ROLES
from api.store.models import Conversation, Handoff, LeaveMessage, Message, User, utcnow


def waiting_of(queued: Sequence[Conversation]) -> list[Waiting]:
    """Queued conversations as the router sees them."""
    return [Waiting(c.id, c.skill_group or "通用", c.queued_at or c.created_at) for c in queued]


def agent_out(user: User, load: int) -> AgentOut:
    return AgentOut(username=user.username, display_name=user.display_name, role=user.role, status=user.status,
                    capacity=user.capacity, skills=user.skills, load=load)


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
    def waiting(db: Session) -> list[Waiting]:
        return waiting_of(db.scalars(select(Conversation).where(Conversation.state == "queued")).all())

    def estimator(self, db: Session) -> Callable[[str, int], int]:
        """Wait estimates for (skill group, position), reading agents and recent handle times once."""
        online = [u for u, _ in self.agents(db) if u.status == "online"]
        recent = db.scalars(select(Handoff).where(Handoff.closed_at.is_not(None), Handoff.assigned_at.is_not(None))
                            .order_by(Handoff.id.desc()).limit(50)).all()
        handle = [(h.closed_at - h.assigned_at).total_seconds() for h in recent if h.closed_at and h.assigned_at]
        avg = sum(handle) / len(handle) if handle else self.ctx.settings.default_handle_time_s

        def estimate(group: str, position: int) -> int:
            capacity = sum(u.capacity for u in online if group in u.skills or "通用" in u.skills)
            return estimated_wait_s(position, capacity, avg)
        return estimate

    def position(self, db: Session, conv: Conversation) -> tuple[int | None, int | None]:
        """(position, estimated wait in seconds) of a queued conversation; (None, None) otherwise."""
        if conv.state != "queued":
            return None, None
        waiting = self.waiting(db)
        position = queue_positions(waiting).get(conv.id, len(waiting))
        estimate = self.estimator(db)
        return position, estimate(conv.skill_group or "通用", position)

    @staticmethod
    def _open_handoff(db: Session, conv_id: str) -> Handoff | None:
        return db.scalars(select(Handoff).where(Handoff.conversation_id == conv_id, Handoff.closed_at.is_(None))
                          .order_by(Handoff.id.desc())).first()

    # ------------------------------------------------------------------ in and out of the queue
    def enqueue(self, db: Session, conv: Conversation, reason: str, context: dict[str, Any] | None) -> list[Message]:
        """Queue the conversation for a human in the skill group of the bot's last intent; the notices the
        customer gets (position and wait; 留言 when nobody is online or outside service hours)."""
        if conv.state in ("queued", "agent"):
            return []
        context = context or {"reason": reason}
        context.setdefault("reason", reason)
        group = skill_group_for(context.get("intent"), context.get("slots"))
        self.ctx.metrics.inc("bridge_handoffs_total", reason=reason)
        if not self.ctx.settings.in_service_hours(dt.datetime.now()):
            conv.leave_offered = True
            return [self.transcript.add(db, conv, "system", texts.OUT_OF_HOURS,
                                        [{"title": "留言", "payload": texts.LEAVE}])]
        now = self.ctx.now()
        conv.state, conv.queued_at, conv.skill_group, conv.handoff_reason = "queued", now, group, reason
        conv.handoff_json = json.dumps(context, ensure_ascii=False)
        conv.leave_offered = False
        db.add(Handoff(conversation_id=conv.id, reason=reason, skill_group=group, queued_at=now))
        db.flush()
        online = any(u.status == "online" for u, _ in self.agents(db))
        position, wait = self.position(db, conv)
        notices = [self.transcript.add(db, conv, "system", texts.queue_notice(position or 1, wait or 0))]
        if not online:
            conv.leave_offered = True
            notices.append(self.transcript.add(db, conv, "system", texts.NOBODY_ONLINE, texts.WAIT_BUTTONS))
        return notices

    def end_handoff(self, db: Session, conv: Conversation, outcome: str) -> None:
        handoff = self._open_handoff(db, conv.id)
        if handoff is not None:
            handoff.closed_at, handoff.outcome = self.ctx.now(), outcome

    # ------------------------------------------------------------------ dispatch
    async def dispatch(self) -> None:
        async with self.ctx.lock:
            await self.dispatch_locked()

    async def dispatch_locked(self) -> None:
        """Assign waiting conversations to free agents, then tell everyone what changed (the caller holds the
        lock)."""
        out = Outbox()
        with self.ctx.sessions() as db, db.begin():
            agents = self.agents(db)
            slots = [AgentSlot(u.id, tuple(u.skills), u.capacity, load, u.status == "online", u.last_assigned_at)
                     for u, load in agents]
            by_id = {u.id: u for u, _ in agents}
            for conv_id, agent_id in dispatch(self.waiting(db), slots):
                conv, agent = self.transcript.load(db, conv_id), by_id[agent_id]
                now = self.ctx.now()
                conv.state, conv.agent_id, conv.assigned_at = "agent", agent_id, now
                agent.last_assigned_at = now
                handoff = self._open_handoff(db, conv.id)
                if handoff is not None and handoff.assigned_at is None:
                    handoff.assigned_at = now
                    handoff.wait_s = (now - handoff.queued_at).total_seconds()
                    self.ctx.metrics.observe("bridge_queue_wait_seconds", handoff.wait_s, WAIT_BUCKETS)
                joined = self.transcript.add(db, conv, "system", texts.agent_joined(agent.display_name))
                out.to_customer(conv.id, StateChanged(state="agent", agent_name=agent.display_name))
                out.to_customer(conv.id, NewMessage(message=message_out(joined)))
                out.to_agent(agent_id, Assigned(conversation=self.transcript.summary(db, conv)))
            remaining = self.waiting(db)
            positions = queue_positions(remaining)
            estimate = self.estimator(db)  # once per dispatch, not once per waiting customer
            for item in remaining:
                out.to_customer(item.id, QueuePosition(position=positions[item.id],
                                                       estimated_wait_s=estimate(item.skill_group,
                                                                                 positions[item.id])))
            out.to_all_agents(QueueLength(length=len(remaining)))
        await publish(self.ctx.hub, out)

    async def tick(self) -> None:
        """Periodic: offer 留言 to customers who waited past the queue timeout, then re-dispatch."""
        out = Outbox()
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                limit = self.ctx.now() - dt.timedelta(seconds=self.ctx.settings.queue_timeout_s)
                late = db.scalars(select(Conversation).where(Conversation.state == "queued",
                                                             Conversation.queued_at < limit,
                                                             Conversation.leave_offered.is_(False))).all()
                for conv in late:
                    conv.leave_offered = True
                    notice = self.transcript.add(db, conv, "system", texts.QUEUE_TIMEOUT, texts.WAIT_BUTTONS)
                    out.to_customer(conv.id, NewMessage(message=message_out(notice)))
            await publish(self.ctx.hub, out)
            await self.dispatch_locked()

    async def requeue_agent(self, agent_id: int) -> None:
        """An agent went offline: their chats go back to the front of the queue (original queue time)."""
        out = Outbox()
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                for conv in db.scalars(select(Conversation).where(Conversation.state == "agent",
                                                                  Conversation.agent_id == agent_id)).all():
                    conv.state, conv.agent_id = "queued", None
                    notice = self.transcript.add(db, conv, "system", texts.TRANSFERRING)
                    out.to_customer(conv.id, StateChanged(state="queued", agent_name=None))
                    out.to_customer(conv.id, NewMessage(message=message_out(notice)))
                    out.to_agent(agent_id, Unassigned(conversation_id=conv.id))
            await publish(self.ctx.hub, out)
            await self.dispatch_locked()

    # ------------------------------------------------------------------ the supervisor's view
    def overview(self) -> SupervisorOverview:
        """The queue (longest waiting first, with positions), every agent's load, the live chats and the
        number of open 留言."""
        now = utcnow()
        with self.ctx.sessions() as db:
            queued = db.scalars(select(Conversation).where(Conversation.state == "queued")).all()
            positions = queue_positions(waiting_of(queued))
            live = db.scalars(select(Conversation).where(Conversation.state == "agent")
                              .order_by(Conversation.assigned_at)).all()
            agents = sorted(self.agents(db), key=lambda pair: pair[0].username)
            open_messages = db.scalar(select(func.count()).select_from(LeaveMessage)
                                      .where(LeaveMessage.status == "open")) or 0
            queue = sorted((QueueItem(conversation_id=c.id, skill_group=c.skill_group,
                                      handoff_reason=c.handoff_reason,
                                      waiting_s=int((now - (c.queued_at or now)).total_seconds()),
                                      position=positions.get(c.id)) for c in queued),
                           key=lambda item: -item.waiting_s)
            return SupervisorOverview(queue=queue, agents=[agent_out(a, load) for a, load in agents],
                                      live=[self.transcript.summary(db, c) for c in live],
                                      leave_messages_open=int(open_messages))
