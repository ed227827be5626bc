"""The transcript, underneath every other part of the engine: add a masked message, flag a sensitive-word hit,
load a conversation and show it. Text is masked (common.pii) before it is stored, so nothing above this layer
can store raw PII by mistake."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.compliance.audit import audit
from api.compliance.sensitive_words import Hit
from api.conversation.context import Context
from api.conversation.errors import ChatError
from api.schemas.customer import MessageOut
from api.schemas.staff import ConversationDetail, ConversationSummary
from api.store.models import Conversation, Flag, Message, User, iso
from common.pii import mask_pii


def message_out(m: Message) -> MessageOut:
    return MessageOut.model_validate({"id": m.id, "from": m.sender, "text": m.text, "buttons": m.buttons,
                                      "created_at": iso(m.created_at), "agent_name": m.agent_name})


class Transcript:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ------------------------------------------------------------------ writing
    def add(self, db: Session, conv: Conversation, sender: str, text: str, buttons: list[dict[str, str]] | None = None,
            agent_name: str | None = None, meta: dict[str, Any] | None = None) -> Message:
        message = Message(conversation_id=conv.id, sender=sender, text=mask_pii(text),
                          buttons_json=json.dumps(buttons or [], ensure_ascii=False), agent_name=agent_name,
                          meta_json=json.dumps(meta, ensure_ascii=False) if meta else None, created_at=self.ctx.now())
        db.add(message)
        conv.updated_at = self.ctx.now()
        db.flush()
        self.ctx.metrics.inc("bridge_messages_total", sender=sender, state=conv.state)
        return message

    def flag(self, db: Session, conv_id: str | None, source: str, hits: list[Hit], text: str, blocked: bool,
             actor: str) -> None:
        """Record each sensitive-word hit for supervisors (masked text) and in the audit log."""
        for hit in hits:
            db.add(Flag(conversation_id=conv_id, source=source, category=hit.category, term=hit.term,
                        text=mask_pii(text)[:2000], blocked=blocked, created_at=self.ctx.now()))
            audit(db, actor, "sensitive_word", conv_id, source=source, category=hit.category, term=hit.term,
                  blocked=blocked)
            self.ctx.metrics.inc("bridge_sensitive_hits_total", source=source, category=hit.category)

    # ------------------------------------------------------------------ reading
    @staticmethod
    def load(db: Session, conv_id: str) -> Conversation:
        conv = db.get(Conversation, conv_id)
        if conv is None:
            raise ChatError(404, f"conversation {conv_id} not found")
        return conv

    @staticmethod
    def agent_name(db: Session, conv: Conversation) -> str | None:
        agent = db.get(User, conv.agent_id) if conv.agent_id else None
        return agent.display_name if agent else None

    @staticmethod
    def messages_after(db: Session, conv_id: str, after: int) -> list[Message]:
        return list(db.scalars(select(Message).where(Message.conversation_id == conv_id, Message.id > after)
                               .order_by(Message.id).limit(1000)).all())

    @staticmethod
    def button_title(db: Session, conv: Conversation, payload: str) -> str:
        """What the customer clicked, for their bubble: the title of the newest button with this payload."""
        recent = db.scalars(select(Message).where(Message.conversation_id == conv.id, Message.sender != "customer")
                            .order_by(Message.id.desc()).limit(20)).all()
        for m in recent:
            for button in m.buttons:
                if button.get("payload") == payload:
                    return button.get("title") or payload
        return payload

    def latest_customer_text(self, conv_id: str) -> str:
        with self.ctx.sessions() as db:
            last = db.scalars(select(Message).where(Message.conversation_id == conv_id,
                                                    Message.sender == "customer")
                              .order_by(Message.id.desc())).first()
            return last.text if last else ""

    @staticmethod
    def summary(db: Session, conv: Conversation) -> ConversationSummary:
        last = db.scalars(select(Message).where(Message.conversation_id == conv.id)
                          .order_by(Message.id.desc())).first()
        agent = db.get(User, conv.agent_id) if conv.agent_id else None
        return ConversationSummary.model_validate({
            "id": conv.id, "state": conv.state, "customer_id": conv.customer_id, "skill_group": conv.skill_group,
            "handoff_reason": conv.handoff_reason, "agent": agent.username if agent else None,
            "queued_at": iso(conv.queued_at), "assigned_at": iso(conv.assigned_at),
            "last_message": message_out(last) if last else None})

    def detail(self, db: Session, conv: Conversation) -> ConversationDetail:
        rows = db.scalars(select(Message).where(Message.conversation_id == conv.id).order_by(Message.id)).all()
        return ConversationDetail(**dict(self.summary(db, conv)), handoff=conv.handoff,
                                  messages=[message_out(m) for m in rows])
