"""The agent's side of a conversation: their chats, reply (checked against the banned-wording list), typing,
close with the 服务小结 (into the survey, unless the customer already left), transfer to a skill group or a
colleague, their status, and the grace period after a console drops before their chats go back to the queue.

Every refusal is in Chinese and says what to do instead. Capacity is a promise to the agent: lowering it below
the chats they serve now is refused (they finish or transfer some first), and neither the queue nor a transfer
ever gives an agent a chat above it.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Mapping, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.compliance.audit import audit
from api.conversation import texts
from api.conversation.context import Context
from api.conversation.errors import ChatError
from api.conversation.events import Outbox, publish
from api.conversation.queue import HandoffQueue, agent_out
from api.conversation.steps import Steps
from api.conversation.transcript import Transcript, message_out, public_name
from api.schemas.customer import MessageOut
from api.schemas.events import AgentTyping, Assigned, NewMessage, StateChanged, Unassigned
from api.schemas.staff import AgentOut, ConversationDetail, ConversationSummary
from api.staff.accounts import AGENT_ROLES
from api.store.models import Conversation, Handoff, User, WrapUp
from common.pii import mask_pii

STATUS_NAMES = {"online": "在线", "away": "离开", "offline": "离线"}


class _Applied(NamedTuple):
    user: User
    id: int
    went_offline: bool


class Desk:
    def __init__(self, ctx: Context, transcript: Transcript, queue: HandoffQueue, steps: Steps) -> None:
        self.ctx = ctx
        self.transcript = transcript
        self.queue = queue
        self.steps = steps

    def owned(self, db: Session, agent: User, conv_id: str) -> Conversation:
        """The conversation, if this agent serves it now (a supervisor may act on any live chat)."""
        conv = self.transcript.load(db, conv_id)
        if conv.state != "agent" or (conv.agent_id != agent.id and agent.role != "supervisor"):
            raise ChatError(403, texts.NOT_YOUR_CHAT)
        return conv

    # ------------------------------------------------------------------ the agent
    def me(self, agent: User) -> AgentOut:
        with self.ctx.sessions() as db:
            row = db.get(User, agent.id) or agent
            return agent_out(row, self.queue.load_of(db, agent.id))

    async def update_me(self, agent: User, status: str | None, capacity: int | None, skills: list[str] | None,
                        nickname: str | None = None) -> AgentOut:
        """Change status, capacity, skills or the name customers see (audited); going offline sends the agent's
        chats back to the queue, anything else may let the queue move."""
        changes = {k: v for k, v in (("status", status), ("capacity", capacity), ("skills", skills),
                                     ("public_name", nickname)) if v is not None}
        async with self.ctx.lock:  # the load read and the capacity written together (dispatch may run elsewhere)
            row = self._apply_settings(agent, status, capacity, skills, nickname, changes)
        if row.went_offline:
            await self.queue.requeue_agent(row.id)
        else:
            await self.queue.dispatch()
        return self.me(row.user)

    def _apply_settings(self, agent: User, status: str | None, capacity: int | None, skills: list[str] | None,
                        nickname: str | None, changes: Mapping[str, object]) -> _Applied:
        with self.ctx.sessions() as db, db.begin():
            row = db.get(User, agent.id)
            if row is None:
                raise ChatError(404, f"没有坐席 {agent.username}")
            load = self.queue.load_of(db, row.id)
            if capacity is not None and capacity < load:
                raise ChatError(409, f"您正在接待 {load} 个会话，接待上限不能低于 {load}。"
                                     "请先结束或转出部分会话，再调低上限。")
            went_offline = status == "offline" and row.status != "offline"
            if status is not None:
                row.status = status
            if capacity is not None:
                row.capacity = capacity
            if skills is not None:
                row.skills_json = json.dumps(skills, ensure_ascii=False)
            if nickname is not None:
                row.public_name = nickname.strip()
            audit(db, row.username, "agent_settings", row.username, **changes)
        return _Applied(row, row.id, went_offline)

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
                raise ChatError(403, texts.NOT_YOUR_CHAT)
            return self.transcript.detail(db, conv)

    async def reply(self, agent: User, conv_id: str, text: str) -> MessageOut:
        """Send the agent's reply; one with banned wording is refused (422), flagged and audited, never sent;
        one to a customer who left is refused (409): it would go nowhere."""
        hits = self.ctx.words.find(text, "output")
        if hits:
            with self.ctx.sessions() as db, db.begin():
                self.owned(db, agent, conv_id)
                self.transcript.flag(db, conv_id, "agent", hits, text, True, agent.username)
            terms = "、".join(h.term for h in hits)
            raise ChatError(422, f"消息包含合规禁用词（{terms}），未发送")
        out = Outbox()
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                conv = self.owned(db, agent, conv_id)
                if conv.customer_left_at is not None:
                    raise ChatError(409, texts.CUSTOMER_GONE)
                row = db.get(User, agent.id) or agent
                sent = message_out(self.transcript.add(db, conv, "agent", text, agent_name=public_name(row)))
                out.to_customer(conv_id, NewMessage(message=sent))
        await publish(self.ctx.hub, out)
        return sent

    async def typing(self, agent: User, conv_id: str) -> None:
        with self.ctx.sessions() as db:
            self.owned(db, agent, conv_id)
        out = Outbox()
        out.to_customer(conv_id, AgentTyping())
        await publish(self.ctx.hub, out)

    async def close(self, agent: User, conv_id: str, disposition: str, note: str) -> ConversationSummary:
        """End the human service with the agent's 服务小结 (stored for the reports): the survey starts and the
        chat returns to a fresh bot session — or, when the customer already left, the conversation closes."""
        out = Outbox()
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                conv = self.owned(db, agent, conv_id)
                left = conv.customer_left_at is not None
                self.queue.end_handoff(db, conv, "customer_left" if left else "served")
                handoff = db.scalars(select(Handoff).where(Handoff.conversation_id == conv.id)
                                     .order_by(Handoff.id.desc())).first()
                wrapup = WrapUp(conversation_id=conv.id, handoff_id=handoff.id if handoff else None,
                                agent_id=conv.agent_id, disposition=disposition, note=mask_pii(note.strip())[:1000],
                                customer_left=left, created_at=self.ctx.now())
                db.add(wrapup)
                if disposition == "complaint":  # a complaint is an opinion for its owner team (意见建议闭环)
                    db.flush()
                    self.steps.survey.intake.complaint(db, wrapup, conv, self.ctx.now())
                audit(db, agent.username, "close_conversation", conv.id, disposition=disposition)
                self.ctx.metrics.inc("bridge_wrapups_total", disposition=disposition)
                if left:
                    conv.state, conv.agent_id = "closed", None
                else:
                    notices = self.steps.start_survey(db, conv)
                    out.to_customer(conv_id, StateChanged(state="bot", agent_name=None))
                    for notice in notices:
                        out.to_customer(conv_id, NewMessage(message=message_out(notice)))
                summary = self.transcript.summary(db, conv)
            await publish(self.ctx.hub, out)
            await self.queue.dispatch_locked()
        return summary

    def _colleague(self, db: Session, agent: User, target: str) -> User:
        """A named colleague who can take the chat now; a Chinese refusal naming why not."""
        other = db.scalars(select(User).where(User.username == target)).first()
        if other is None or other.role not in AGENT_ROLES:
            raise ChatError(404, f"没有用户名为 {target} 的坐席")
        if other.id == agent.id:
            raise ChatError(422, "不能转接给自己")
        if other.status != "online":
            status = STATUS_NAMES.get(other.status, "不在线")
            raise ChatError(409, f"坐席 {other.display_name}（{target}）当前{status}，无法转接")
        load = self.queue.load_of(db, other.id)
        if load >= other.capacity:
            raise ChatError(409, f"坐席 {other.display_name}（{target}）接待已满（{load}/{other.capacity}），无法转接")
        return other

    def _group_has_someone(self, db: Session, agent: User, group: str) -> None:
        """Someone other than the sender is on duty with the group's skill; else a Chinese refusal."""
        if not any(u.status == "online" and u.id != agent.id and group in u.skills for u, _ in self.queue.agents(db)):
            raise ChatError(409, f"{group}技能组当前没有其他在线坐席，暂时无法转接；可稍后再试，或转给指定坐席")

    async def transfer(self, agent: User, conv_id: str, skill_group: str | None,
                       target: str | None) -> ConversationSummary:
        """Hand the chat to a named colleague (online, with free capacity) or to a skill group's queue (someone
        with the skill is on duty; it never comes back to the sender). It leaves the sender's list at once."""
        out = Outbox()
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                conv = self.owned(db, agent, conv_id)
                if conv.customer_left_at is not None:
                    raise ChatError(409, texts.CUSTOMER_GONE)
                previous = conv.agent_id
                self.transcript.expire_buttons(db, conv)
                if target:
                    other = self._colleague(db, agent, target)
                    conv.agent_id, conv.assigned_at = other.id, self.ctx.now()
                    notice = self.transcript.add(db, conv, "system", texts.agent_joined(public_name(other)))
                    out.to_agent(other.id, Assigned(conversation=self.transcript.summary(db, conv)))
                    out.to_customer(conv.id, StateChanged(state="agent", agent_name=public_name(other)))
                else:
                    group = skill_group or conv.skill_group or "通用"
                    self._group_has_someone(db, agent, group)
                    conv.state, conv.agent_id, conv.skill_group = "queued", None, group
                    conv.transferred_from = previous
                    conv.wait_told_s = conv.wait_told_position = None
                    notice = self.transcript.add(db, conv, "system", texts.transferring_to(group))
                    out.to_customer(conv.id, StateChanged(state="queued", agent_name=None))
                audit(db, agent.username, "transfer", conv.id, skill_group=skill_group, agent=target)
                out.to_customer(conv.id, NewMessage(message=message_out(notice)))
                if previous:
                    out.to_agent(previous, Unassigned(conversation_id=conv.id))
                summary = self.transcript.summary(db, conv)
            await publish(self.ctx.hub, out)
            await self.queue.dispatch_locked()
        return summary

    # ------------------------------------------------------------------ a dropped console
    async def socket_closed(self, agent_id: int) -> None:
        """An agent's console lost its WebSocket: after the grace period, if it has not reconnected (to any
        bridge process), the agent goes offline and their chats go back to the queue (a closed laptop must not
        strand customers). With several processes the deadline is also recorded in Redis, so the process
        running the periodic jobs acts on it (:meth:`grace_over`) should this one die meanwhile."""
        grace = self.ctx.settings.agent_grace_s
        self.ctx.hub.grace_started(agent_id, time.time() + grace)
        await asyncio.sleep(grace)
        await self.grace_over(agent_id)

    async def grace_over(self, agent_id: int) -> None:
        """The agent's grace period ended: offline and requeued unless a console of theirs is open again."""
        self.ctx.hub.grace_done(agent_id)
        if self.ctx.hub.agent_connected(agent_id):
            return
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                agent = db.get(User, agent_id)
                if agent is None or agent.status == "offline":
                    return
                agent.status = "offline"
                audit(db, agent.username, "agent_disconnected", agent.username,
                      grace_s=self.ctx.settings.agent_grace_s)
        await self.queue.requeue_agent(agent_id)

    async def graces_due(self) -> None:
        """Agents whose grace period ended on any process (the periodic jobs, with several processes)."""
        for agent_id in self.ctx.hub.due_graces():
            await self.grace_over(agent_id)
