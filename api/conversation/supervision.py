"""What a supervisor does to a live chat besides reading it (listen-in is the conversation detail, which shows
them every live chat): whisper to the agent — a message only the agent sees, never the customer — and take the
chat over. Both are audited. Also the wrap-up report: how human services ended, for the quality reports."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from api.compliance.audit import audit
from api.conversation import texts
from api.conversation.context import Context
from api.conversation.errors import ChatError
from api.conversation.events import Outbox, publish
from api.conversation.queue import HandoffQueue
from api.conversation.transcript import Transcript, message_out, public_name
from api.schemas.customer import MessageOut
from api.schemas.events import Assigned, ConversationMessage, NewMessage, StateChanged, Unassigned
from api.schemas.staff import ConversationSummary, WrapUpOut, WrapUpReport
from api.store.models import Conversation, User, WrapUp, iso


class Supervision:
    def __init__(self, ctx: Context, transcript: Transcript, queue: HandoffQueue) -> None:
        self.ctx = ctx
        self.transcript = transcript
        self.queue = queue

    @staticmethod
    def _live(conv: Conversation) -> Conversation:
        if conv.state != "agent" or conv.agent_id is None:
            raise ChatError(409, "该会话当前没有坐席在服务")
        return conv

    async def whisper(self, boss: User, conv_id: str, text: str) -> MessageOut:
        """A note to the serving agent in the chat's transcript, never sent to the customer."""
        out = Outbox()
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                conv = self._live(self.transcript.load(db, conv_id))
                note = message_out(self.transcript.add(db, conv, "whisper", text, agent_name=boss.display_name))
                audit(db, boss.username, "whisper", conv.id)
                if conv.agent_id is not None and conv.agent_id != boss.id:
                    out.to_agent(conv.agent_id, ConversationMessage(conversation_id=conv.id, message=note))
        await publish(self.ctx.hub, out)
        return note

    async def take_over(self, boss: User, conv_id: str) -> ConversationSummary:
        """The supervisor serves the chat from now on (within their own capacity); the agent loses it at once
        and the customer is told who serves them."""
        out = Outbox()
        async with self.ctx.lock:
            with self.ctx.sessions() as db, db.begin():
                conv = self._live(self.transcript.load(db, conv_id))
                if conv.agent_id == boss.id:
                    raise ChatError(409, "您已在接待该会话")
                if conv.customer_left_at is not None:
                    raise ChatError(409, texts.CUSTOMER_GONE)
                me = db.get(User, boss.id) or boss
                load = self.queue.load_of(db, me.id)
                if load >= me.capacity:
                    raise ChatError(409, f"您的接待已满（{load}/{me.capacity}），请先调高接待上限再接管")
                previous = conv.agent_id
                conv.agent_id, conv.assigned_at = me.id, self.ctx.now()
                self.transcript.expire_buttons(db, conv)
                joined = self.transcript.add(db, conv, "system", texts.agent_joined(public_name(me)))
                audit(db, boss.username, "take_over", conv.id, previous_agent=previous)
                if previous is not None:
                    out.to_agent(previous, Unassigned(conversation_id=conv.id))
                out.to_agent(me.id, Assigned(conversation=self.transcript.summary(db, conv)))
                out.to_customer(conv.id, StateChanged(state="agent", agent_name=public_name(me)))
                out.to_customer(conv.id, NewMessage(message=message_out(joined)))
                summary = self.transcript.summary(db, conv)
        await publish(self.ctx.hub, out)
        return summary

    def wrapups(self, days: int, limit: int = 200) -> WrapUpReport:
        """Dispositions over the last ``days`` and the newest wrap-ups."""
        since = self.ctx.now() - dt.timedelta(days=days)
        with self.ctx.sessions() as db:
            counts = dict(db.execute(select(WrapUp.disposition, func.count()).where(WrapUp.created_at >= since)
                                     .group_by(WrapUp.disposition)).all())
            rows = db.execute(select(WrapUp, User.username).outerjoin(User, User.id == WrapUp.agent_id)
                              .where(WrapUp.created_at >= since).order_by(WrapUp.id.desc()).limit(limit)).all()
            recent = [WrapUpOut(conversation_id=w.conversation_id, agent=name, disposition=w.disposition,
                                note=w.note, customer_left=w.customer_left, created_at=iso(w.created_at) or "")
                      for w, name in rows]
        return WrapUpReport(counts={k: int(v) for k, v in counts.items()}, recent=recent)
