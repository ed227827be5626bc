"""The agent's side of a conversation: their chats, reply (checked against the banned-wording list), typing,
close (into the survey), transfer to a skill group or a colleague, their status, and the grace period after a
console drops before their chats go back to the queue."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.compliance.audit import audit
from api.conversation import texts
from api.conversation.context import Context
from api.conversation.errors import ChatError
from api.conversation.events import Outbox, publish
from api.conversation.queue import HandoffQueue, agent_out
from api.conversation.steps import Steps
from api.conversation.transcript import Transcript, message_out
from api.schemas.customer import MessageOut
from api.schemas.events import AgentTyping, Assigned, NewMessage, StateChanged, Unassigned
from api.schemas.staff import AgentOut, ConversationDetail, ConversationSummary, LeaveMessageOut
from api.staff.accounts import AGENT_ROLES
from api.store.models import Conversation, LeaveMessage, User, iso


def _leave_out(m: LeaveMessage) -> LeaveMessageOut:
    return LeaveMessageOut(id=m.id, conversation_id=m.conversation_id, customer_id=m.customer_id,
                           callback_number=m.callback_number, text=m.text, created_at=iso(m.created_at) or "",
                           status=m.status)


class Desk:
    def __init__(self, ctx: Context, transcript: Transcript, queue: HandoffQueue, steps: Steps) -> None:
        self.ctx = ctx
        self.transcript = transcript
        self.queue = queue
        self.steps = steps

    def _owned(self, db: Session, agent: User, conv_id: str) -> Conversation:
        """The conversation, if this agent serves it now (a supervisor may act on any live chat)."""
        conv = self.transcript.load(db, conv_id)
        if conv.state != "agent" or (conv.agent_id != agent.id and agent.role != "supervisor"):
            raise ChatError(403, "this conversation is not assigned to you")
        return conv

    # ------------------------------------------------------------------ the agent
    def me(self, agent: User) -> AgentOut:
        with self.ctx.sessions() as db:
            return agent_out(agent, self.queue.load_of(db, agent.id))

    async def update_me(self, agent: User, status: str | None, capacity: int | None,
                        skills: list[str] | None) -> AgentOut:
        """Change status, capacity or skills (audited); going offline sends the agent's chats back to the
        queue, anything else may let the queue move."""
        changes = {k: v for k, v in (("status", status), ("capacity", capacity), ("skills", skills))
                   if v is not None}
        with self.ctx.sessions() as db, db.begin():
            row = db.get(User, agent.id)
            if row is None:
                raise ChatError(404, f"no agent {agent.username}")
            went_offline = status == "offline" and row.status != "offline"
            if status is not None:
                row.status = status
            if capacity is not None:
                row.capacity = capacity
            if skills is not None:
                row.skills_json = json.dumps(skills, ensure_ascii=False)
            audit(db, row.username, "agent_settings", row.username, **changes)
        if went_offline:
            await self.queue.requeue_agent(row.id)
        else:
            await self.queue.dispatch()
        return self.me(row)

    # ------------------------------------------------------------------ their chats
    def conversations(self, agent: User) -> list[ConversationSummary]:
        with self.ctx.sessions() as db:
            rows = db.scalars(select(Conversation).where(Conversation.state == "agent",
                                                         Conversation.agent_id == agent.id)
                              .order_by(Conversation.assigned_at)).all()
            return [self.transcript.summary(db, c) for c in rows]

    def conversation(self, agent: User, conv_id: str) -> ConversationDetail:
        with self.ctx.sessions() as db:
            conv = self.transcript.load(db, conv_id)
            if agent.role != "supervisor" and conv.agent_id != agent.id:
                raise ChatError(403, "this conversation is not assigned to you")
            return self.transcript.detail(db, conv)

    async def reply(self, agent: User, conv_id: str, text: str) -> MessageOut:
        """Send the agent's reply; one with banned wording is refused (422), flagged and audited, never sent."""
        hits = self.ctx.words.find(text, "output")
        if hits:
            with self.ctx.sessions() as db, db.begin():
                self._owned(db, agent, conv_id)
                self.transcript.flag(db, conv_id, "agent", hits, text, True, agent.username)
            terms = "、".join(h.term for h in hits)
            raise ChatError(422, f"消息包含合规禁用词（{terms}），未发送")
        out = Outbox()
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                conv = self._owned(db, agent, conv_id)
                sent = message_out(self.transcript.add(db, conv, "agent", text, agent_name=agent.display_name))
                out.to_customer(conv_id, NewMessage(message=sent))
        await publish(self.ctx.hub, out)
        return sent

    async def typing(self, agent: User, conv_id: str) -> None:
        with self.ctx.sessions() as db:
            self._owned(db, agent, conv_id)
        out = Outbox()
        out.to_customer(conv_id, AgentTyping())
        await publish(self.ctx.hub, out)

    async def close(self, agent: User, conv_id: str) -> ConversationSummary:
        """End the human service: the survey starts and the chat returns to a fresh bot session."""
        out = Outbox()
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                conv = self._owned(db, agent, conv_id)
                self.queue.end_handoff(db, conv, "served")
                audit(db, agent.username, "close_conversation", conv.id)
                notices = self.steps.start_survey(db, conv)
                out.to_customer(conv_id, StateChanged(state="bot", agent_name=None))
                for notice in notices:
                    out.to_customer(conv_id, NewMessage(message=message_out(notice)))
                summary = self.transcript.summary(db, conv)
            await publish(self.ctx.hub, out)
            await self.queue.dispatch_locked()
        return summary

    async def transfer(self, agent: User, conv_id: str, skill_group: str | None,
                       target: str | None) -> ConversationSummary:
        """Hand the chat to a named colleague (online, with free capacity) or back to a skill group's queue."""
        out = Outbox()
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                conv = self._owned(db, agent, conv_id)
                previous = conv.agent_id
                audit(db, agent.username, "transfer", conv.id, skill_group=skill_group, agent=target)
                if target:
                    other = db.scalars(select(User).where(User.username == target)).first()
                    if other is None or other.role not in AGENT_ROLES:
                        raise ChatError(404, f"no agent named {target}")
                    if other.status != "online" or self.queue.load_of(db, other.id) >= other.capacity:
                        raise ChatError(409, f"{target} is not online or has no free capacity")
                    conv.agent_id, conv.assigned_at = other.id, self.ctx.now()
                    notice = self.transcript.add(db, conv, "system", texts.agent_joined(other.display_name))
                    out.to_agent(other.id, Assigned(conversation=self.transcript.summary(db, conv)))
                    out.to_customer(conv.id, StateChanged(state="agent", agent_name=other.display_name))
                else:
                    conv.state, conv.agent_id = "queued", None
                    conv.skill_group = skill_group or conv.skill_group or "通用"
                    notice = self.transcript.add(db, conv, "system", texts.TRANSFERRING)
                    out.to_customer(conv.id, StateChanged(state="queued", agent_name=None))
                out.to_customer(conv.id, NewMessage(message=message_out(notice)))
                if previous:
                    out.to_agent(previous, Unassigned(conversation_id=conv.id))
                summary = self.transcript.summary(db, conv)
            await publish(self.ctx.hub, out)
            await self.queue.dispatch_locked()
        return summary

    # ------------------------------------------------------------------ 留言 to call back
    def leave_messages(self, status: str) -> list[LeaveMessageOut]:
        with self.ctx.sessions() as db:
            rows = db.scalars(select(LeaveMessage).where(LeaveMessage.status == status)
                              .order_by(LeaveMessage.id.desc()).limit(500)).all()
            return [_leave_out(m) for m in rows]

    def close_leave_message(self, agent: User, message_id: int) -> LeaveMessageOut:
        with self.ctx.sessions() as db, db.begin():
            row = db.get(LeaveMessage, message_id)
            if row is None:
                raise ChatError(404, f"leave message {message_id} not found")
            row.status, row.closed_by = "closed", agent.id
            audit(db, agent.username, "close_leave_message", str(message_id))
            return _leave_out(row)

    # ------------------------------------------------------------------ a dropped console
    async def socket_closed(self, agent_id: int) -> None:
        """An agent's console lost its WebSocket: after the grace period, if it has not reconnected, the agent
        goes offline and their chats go back to the queue (a closed laptop must not strand customers)."""
        await asyncio.sleep(self.ctx.settings.agent_grace_s)
        if self.ctx.hub.agent_connected(agent_id):
            return
        with self.ctx.sessions() as db, db.begin():
            agent = db.get(User, agent_id)
            if agent is None or agent.status == "offline":
                return
            agent.status = "offline"
            audit(db, agent.username, "agent_disconnected", agent.username, grace_s=self.ctx.settings.agent_grace_s)
        await self.queue.requeue_agent(agent_id)
