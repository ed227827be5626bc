"""The transcript, underneath every other part of the engine: add a masked message, flag a sensitive-word hit,
expire buttons whose step is over, load a conversation and show it. Text is masked (common.pii) before it is
stored, so nothing above this layer can store raw PII by mistake; a customer's message is masked with its
context (:meth:`Transcript.add_customer`).

Buttons act once: when the customer says anything (a click or typed text), or the conversation changes hands,
every button shown before goes inert (``buttons_expired``); the widget draws them disabled and a click on one
that is still on an old screen is refused. Only the quick replies every screen has (转人工, 留言) always work.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from api.compliance.audit import audit
from api.compliance.sensitive_words import Hit
from api.conversation import texts
from api.conversation.context import Context
from api.conversation.errors import ChatError
from api.conversation.handoff_context import earlier_conversations, handoff_context
from api.schemas.customer import MessageOut
from api.schemas.staff import ConversationDetail, ConversationSummary
from api.store.models import Conversation, Flag, Message, User, iso
from common.pii import CONTEXT_MESSAGES, asks_for_code, mask_escaped, mask_pii, mask_with_context


def _truncate_wal_after_commit(db: Session) -> None:
    """Once ``db`` commits, checkpoint and truncate SQLite's WAL: a row rewritten to mask what it held leaves
    no old copy there (the database file itself runs with secure_delete)."""
    bind = db.get_bind()
    if bind.dialect.name != "sqlite":
        return

    @event.listens_for(db, "after_commit", once=True)
    def truncate(session: Session) -> None:
        with bind.connect() as connection:  # type: ignore[union-attr]
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

ALWAYS_LIVE = frozenset({texts.HANDOFF, texts.LEAVE})  # the widget's quick replies, on every screen
STAFF_ONLY = ("whisper",)  # a supervisor's whisper to the agent never reaches the customer


def message_out(m: Message) -> MessageOut:
    return MessageOut.model_validate({"id": m.id, "from": m.sender, "text": m.text, "buttons": m.buttons,
                                      "created_at": iso(m.created_at), "agent_name": m.agent_name,
                                      "buttons_expired": bool(m.buttons_expired)})


def public_name(user: User) -> str:
    """The name customers see for an agent: their configured nickname, else their 工号 — never the internal
    display name (坐席小王, 班长老李 are titles for colleagues)."""
    return user.public_name or f"工号{1000 + user.id}"


class Transcript:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # ------------------------------------------------------------------ writing
    def add(self, db: Session, conv: Conversation, sender: str, text: str, buttons: list[dict[str, str]] | None = None,
            agent_name: str | None = None, meta: dict[str, Any] | None = None) -> Message:
        message = Message(conversation_id=conv.id, sender=sender, text=mask_pii(text),
                          buttons_json=json.dumps(buttons or [], ensure_ascii=False), agent_name=agent_name,
                          meta_json=json.dumps(meta, ensure_ascii=False) if meta else None, created_at=self.ctx.now(),
                          buttons_expired=False)
        db.add(message)
        conv.updated_at = self.ctx.now()
        db.flush()
        self.ctx.metrics.inc("bridge_messages_total", sender=sender, state=conv.state)
        return message

    def add_customer(self, db: Session, conv: Conversation, text: str, is_payload: bool = False,
                     meta: dict[str, Any] | None = None) -> Message:
        """The customer's message, masked with its context (:func:`common.pii.mask_with_context`): a card, ID or
        mobile typed across their last messages is masked in every row holding part of it (the old copy leaves
        the WAL once committed), and a bare code right after the bot asked for a 验证码 is masked too. A payload
        is masked with its ``\\uXXXX`` escapes read. What the bot is sent is the stored text."""
        if is_payload:
            return self.add(db, conv, "customer", mask_escaped(text), meta=meta)
        earlier = list(db.scalars(select(Message).where(Message.conversation_id == conv.id,
                                                        Message.sender == "customer")
                                  .order_by(Message.id.desc()).limit(CONTEXT_MESSAGES)))[::-1]
        said_last = db.scalars(select(Message).where(Message.conversation_id == conv.id, Message.sender != "customer")
                               .order_by(Message.id.desc()).limit(1)).first()
        asked = said_last is not None and (not earlier or said_last.id > earlier[-1].id) \
            and asks_for_code(said_last.text)
        masked = mask_with_context(text, [m.text for m in earlier], asked)
        rewritten = False
        for row, now in zip(earlier, masked.recent, strict=True):
            if row.text != now:
                row.text, rewritten = now, True
        if rewritten:
            _truncate_wal_after_commit(db)
        return self.add(db, conv, "customer", masked.text, meta=meta)

    @staticmethod
    def expire_buttons(db: Session, conv: Conversation) -> None:
        """Every button shown so far goes inert: its step is over."""
        db.flush()
        db.execute(update(Message).where(Message.conversation_id == conv.id, Message.buttons_expired.is_(False),
                                         Message.buttons_json != "[]").values(buttons_expired=True))

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
            raise ChatError(404, texts.CONVERSATION_NOT_FOUND)
        return conv

    @staticmethod
    def agent_name(db: Session, conv: Conversation) -> str | None:
        """The serving agent's customer-facing name."""
        agent = db.get(User, conv.agent_id) if conv.agent_id else None
        return public_name(agent) if agent else None

    @staticmethod
    def messages_after(db: Session, conv_id: str, after: int, for_customer: bool = True) -> list[Message]:
        query = select(Message).where(Message.conversation_id == conv_id, Message.id > after)
        if for_customer:
            query = query.where(Message.sender.not_in(STAFF_ONLY))
        return list(db.scalars(query.order_by(Message.id).limit(1000)).all())

    @staticmethod
    def button(db: Session, conv: Conversation, payload: str) -> tuple[str, bool]:
        """What the customer clicked, for their bubble (the title of the newest button with this payload), and
        whether that button still acts. A payload no button ever offered is the payload itself, not live."""
        recent = db.scalars(select(Message).where(Message.conversation_id == conv.id, Message.sender != "customer",
                                                  Message.buttons_json != "[]")
                            .order_by(Message.id.desc()).limit(30)).all()
        found: tuple[str, bool] | None = None  # an expired button with this payload
        for m in recent:
            for b in m.buttons:
                if b.get("payload") == payload:
                    if not m.buttons_expired:
                        return b.get("title") or payload, True
                    found = found or (b.get("title") or payload, False)
        title = found[0] if found else payload
        return title, payload in ALWAYS_LIVE

    def kb_query_text(self, conv_id: str) -> str:
        """The customer's last substantive message: what KB suggestions are computed from (not a button such as
        继续等待, nor 好的 / 在吗)."""
        with self.ctx.sessions() as db:
            rows = db.scalars(select(Message).where(Message.conversation_id == conv_id, Message.sender == "customer")
                              .order_by(Message.id.desc()).limit(50)).all()
            return texts.substantive_question([(m.text, "payload" in m.meta) for m in rows])

    def summary(self, db: Session, conv: Conversation) -> ConversationSummary:
        last = db.scalars(select(Message).where(Message.conversation_id == conv.id)
                          .order_by(Message.id.desc())).first()
        agent = db.get(User, conv.agent_id) if conv.agent_id else None
        return ConversationSummary.model_validate({
            "id": conv.id, "state": conv.state, "customer_id": conv.customer_id, "skill_group": conv.skill_group,
            "handoff_reason": conv.handoff_reason, "agent": agent.username if agent else None,
            "queued_at": iso(conv.queued_at), "assigned_at": iso(conv.assigned_at),
            "last_message": message_out(last) if last else None,
            "customer_online": self.ctx.hub.customer_connected(conv.id),
            "customer_left": conv.customer_left_at is not None})

    def detail(self, db: Session, conv: Conversation) -> ConversationDetail:
        rows = db.scalars(select(Message).where(Message.conversation_id == conv.id).order_by(Message.id)).all()
        return ConversationDetail(**dict(self.summary(db, conv)), handoff=conv.handoff,
                                  messages=[message_out(m) for m in rows],
                                  context=handoff_context(conv.handoff, rows),
                                  earlier=earlier_conversations(db, conv))
