"""留言 for agents and supervisors: the list (date, status, attempts, the conversation behind it), revealing a
callback number, recording the outcome of a call back (已回拨 closes it; 未接通 counts an attempt and keeps it
open), closing one, and reading its conversation.

The number is shown masked everywhere; the whole number only comes from :meth:`Callbacks.reveal`, to an agent
or supervisor, one 留言 at a time, and every reveal is in the audit log (who, which 留言 — never the number).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.compliance.audit import audit
from api.conversation.context import Context
from api.conversation.errors import ChatError
from api.conversation.transcript import Transcript
from api.schemas.staff import ConversationDetail, LeaveMessageOut, RevealedNumber
from api.store.encryption import UnreadableSecret
from api.store.models import LeaveMessage, User, iso

OUTCOME_NAMES = {"called_back": "已回拨", "no_answer": "未接通"}


def leave_out(m: LeaveMessage) -> LeaveMessageOut:
    return LeaveMessageOut(id=m.id, conversation_id=m.conversation_id, customer_id=m.customer_id,
                           callback_number=m.callback_number, has_number=bool(m.callback_number_enc),
                           preferred_time=m.preferred_time, text=m.text, created_at=iso(m.created_at) or "",
                           status=m.status, outcome=m.outcome, attempts=m.attempts or 0,
                           outcome_at=iso(m.outcome_at))


class Callbacks:
    def __init__(self, ctx: Context, transcript: Transcript) -> None:
        self.ctx = ctx
        self.transcript = transcript

    @staticmethod
    def _get(db: Session, message_id: int) -> LeaveMessage:
        row = db.get(LeaveMessage, message_id)
        if row is None:
            raise ChatError(404, f"留言 {message_id} 不存在")
        return row

    def list(self, status: str) -> list[LeaveMessageOut]:
        """Newest first; ``status`` open, closed or all."""
        with self.ctx.sessions() as db:
            query = select(LeaveMessage).order_by(LeaveMessage.id.desc()).limit(500)
            if status != "all":
                query = query.where(LeaveMessage.status == status)
            return [leave_out(m) for m in db.scalars(query).all()]

    def reveal(self, staff: User, message_id: int) -> RevealedNumber:
        """The whole callback number, audited."""
        with self.ctx.sessions() as db, db.begin():
            row = self._get(db, message_id)
            if not row.callback_number_enc:
                raise ChatError(404, "该留言没有可回拨的号码")
            try:
                number = self.ctx.cipher.decrypt(row.callback_number_enc)
            except UnreadableSecret as exc:
                raise ChatError(409, "无法解密该号码（密钥已更换或数据已损坏），请联系管理员") from exc
            audit(db, staff.username, "reveal_callback_number", str(message_id), role=staff.role)
            return RevealedNumber(callback_number=number)

    def record_outcome(self, staff: User, message_id: int, outcome: str) -> LeaveMessageOut:
        with self.ctx.sessions() as db, db.begin():
            row = self._get(db, message_id)
            if row.status == "closed":
                raise ChatError(409, f"留言 {message_id} 已处理完成")
            row.outcome, row.outcome_at = outcome, self.ctx.now()
            row.attempts = (row.attempts or 0) + 1
            if outcome == "called_back":
                row.status, row.closed_by = "closed", staff.id
            audit(db, staff.username, "leave_message_outcome", str(message_id), outcome=outcome,
                  attempts=row.attempts)
            return leave_out(row)

    def close(self, staff: User, message_id: int) -> LeaveMessageOut:
        with self.ctx.sessions() as db, db.begin():
            row = self._get(db, message_id)
            row.status, row.closed_by = "closed", staff.id
            audit(db, staff.username, "close_leave_message", str(message_id))
            return leave_out(row)

    def conversation(self, message_id: int) -> ConversationDetail:
        """The conversation a 留言 was left in (read-only, masked, whispers included): any agent may call back."""
        with self.ctx.sessions() as db:
            row = self._get(db, message_id)
            return self.transcript.detail(db, self.transcript.load(db, row.conversation_id))
