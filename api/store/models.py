"""The bridge's tables (SQLAlchemy models). The schema is created and upgraded by the Alembic migrations in
api/store/migrations, never by ``create_all``, so a deployed database can be upgraded in place; a test checks
that the migrations build exactly these models."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def iso(value: dt.datetime | None) -> str | None:
    return value.replace(tzinfo=dt.timezone.utc).isoformat(timespec="seconds") if value else None


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # agent | supervisor | trainer
    password_hash: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default="offline")  # online | away | offline
    capacity: Mapped[int] = mapped_column(Integer, default=3)
    skills_json: Mapped[str] = mapped_column(Text, default='["通用"]')
    public_name: Mapped[str | None] = mapped_column(String(32), nullable=True)  # what customers see (昵称)
    team: Mapped[str | None] = mapped_column(String(32), nullable=True)  # an owner's team (feedback queue)
    last_assigned_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def skills(self) -> list[str]:
        return list(json.loads(self.skills_json or "[]"))


class AuthToken(Base):
    __tablename__ = "auth_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16), default="web")
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(16), default="bot", index=True)  # bot | queued | agent | closed
    session_no: Mapped[int] = mapped_column(Integer, default=1)  # a new Rasa session after each handoff
    skill_group: Mapped[str | None] = mapped_column(String(16), nullable=True)
    handoff_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    handoff_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    queued_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    leave_offered: Mapped[bool] = mapped_column(Boolean, default=False)
    stage: Mapped[str | None] = mapped_column(String(16), nullable=True)  # survey_nps|survey_csat|survey_comment|leave
    survey_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fallbacks: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    customer_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # last request/socket
    customer_left_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # ended the chat
    transferred_from: Mapped[int | None] = mapped_column(Integer, nullable=True)  # never routed back to them
    wait_told_s: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the last wait estimate told
    wait_told_position: Mapped[int | None] = mapped_column(Integer, nullable=True)  # at this position

    @property
    def rasa_sender(self) -> str:
        return f"{self.id}-{self.session_no}"

    @property
    def handoff(self) -> dict[str, Any] | None:
        return json.loads(self.handoff_json) if self.handoff_json else None


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(16))  # customer | bot | agent | system
    text: Mapped[str] = mapped_column(Text, default="")
    buttons_json: Mapped[str] = mapped_column(Text, default="[]")
    agent_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    meta_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    buttons_expired: Mapped[bool] = mapped_column(Boolean, default=False)  # its step is over: inert

    @property
    def buttons(self) -> list[dict[str, str]]:
        return list(json.loads(self.buttons_json or "[]"))

    @property
    def meta(self) -> dict[str, Any]:
        return dict(json.loads(self.meta_json)) if self.meta_json else {}


class Survey(Base):
    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    nps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    csat: Mapped[str | None] = mapped_column(String(8), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16), default="agent")  # agent | bot | campaign (api/feedback/)
    campaign_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    followup: Mapped[str | None] = mapped_column(Text, nullable=True)  # the follow-up question asked (band)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class LeaveMessage(Base):
    __tablename__ = "leave_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    callback_number: Mapped[str | None] = mapped_column(String(32), nullable=True)  # masked
    callback_number_enc: Mapped[str | None] = mapped_column(Text, nullable=True)  # the whole number, encrypted
    preferred_time: Mapped[str | None] = mapped_column(String(32), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)  # called_back | no_answer
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # call-back attempts made
    outcome_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CannedResponse(Base):
    __tablename__ = "canned_responses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    skill_group: Mapped[str] = mapped_column(String(16), default="通用")


class Handoff(Base):
    """One row per handoff (what the metrics and the supervisor count): reason, waits, outcome."""
    __tablename__ = "handoffs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    skill_group: Mapped[str] = mapped_column(String(16))
    queued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    wait_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    # served | left_message | abandoned (left the queue) | customer_left (ended the chat with an agent)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)


class WrapUp(Base):
    """The agent's 服务小结 when a human service ends: how it ended and a note, for the service-quality reports."""
    __tablename__ = "wrapups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    handoff_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    disposition: Mapped[str] = mapped_column(String(16), index=True)  # resolved|unresolved|callback|complaint
    note: Mapped[str] = mapped_column(Text, default="")  # masked
    customer_left: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """Append-only (the migration adds triggers refusing UPDATE and DELETE on SQLite)."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))  # a username, customer:<conversation>, or system
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str | None] = mapped_column(String(80), nullable=True)
    detail_json: Mapped[str | None] = mapped_column(Text, nullable=True)


class Flag(Base):
    """A sensitive-word hit for supervisors: who said it, the category and term, the masked text."""
    __tablename__ = "flags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    source: Mapped[str] = mapped_column(String(16))  # customer | bot | agent
    category: Mapped[str] = mapped_column(String(32))
    term: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SurveyCampaign(Base):
    """A themed NPS survey (专项NPS调查): its question, follow-ups by score band, target and sample rate."""
    __tablename__ = "survey_campaigns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    followups_json: Mapped[str] = mapped_column(Text, default="{}")  # {"detractor": "...", "passive": ...}
    target_json: Mapped[str] = mapped_column(Text, default="{}")  # {"channels": [], "skill_groups": [], ...}
    sample_rate: Mapped[float] = mapped_column(Float, default=1.0)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def followups(self) -> dict[str, str]:
        return dict(json.loads(self.followups_json or "{}"))

    @property
    def target(self) -> dict[str, list[str]]:
        return dict(json.loads(self.target_json or "{}"))


class FeedbackItem(Base):
    """A customer's opinion (survey comment, 不满意, complaint, 留言), masked, categorised and routed to an owner
    team: open -> assigned -> replied -> closed (api/feedback/lifecycle.py)."""
    __tablename__ = "feedback_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(16))  # survey_comment | csat | complaint | leave_message
    source_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id", ondelete="SET NULL"),
                                                        nullable=True, index=True)
    text: Mapped[str] = mapped_column(Text)  # masked
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the NPS score, when from a survey
    category: Mapped[str] = mapped_column(String(16), index=True)
    keywords_json: Mapped[str] = mapped_column(Text, default="[]")  # the keywords that chose the category
    team: Mapped[str] = mapped_column(String(32), index=True)
    skill_group: Mapped[str | None] = mapped_column(String(16), nullable=True)
    branch: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    due_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    first_reply_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)

    @property
    def keywords(self) -> list[str]:
        return list(json.loads(self.keywords_json or "[]"))


class FeedbackReply(Base):
    """An owner's reply to a feedback item, and how it reached the customer (message | callback_note | none)."""
    __tablename__ = "feedback_replies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class QualityReview(Base):
    """A conversation in the quality-review queue (质检, api/quality): why it was picked, the checklist items it
    is scored with (a snapshot: editing the checklist changes future reviews only), the engine's results for the
    automatic items, the reviewer's scores, and the agent's one appeal with the supervisor's decision. The score
    counts (reports, the agent's view) only once submitted."""
    __tablename__ = "quality_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), unique=True)
    target: Mapped[str] = mapped_column(String(8))  # agent | bot
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    reasons_json: Mapped[str] = mapped_column(Text, default="[]")
    checklist_version: Mapped[str] = mapped_column(String(16))
    items_json: Mapped[str] = mapped_column(Text)
    auto_json: Mapped[str] = mapped_column(Text, default="{}")  # item id -> {score, detail, message_ids}
    scores_json: Mapped[str] = mapped_column(Text, default="{}")  # item id -> the reviewer's score in [0, 1]
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open|submitted|appealed|decided
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    needs_coaching: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str] = mapped_column(Text, default="")  # masked
    total: Mapped[float | None] = mapped_column(Float, nullable=True)  # set on submit (and by an upheld appeal)
    submitted_total: Mapped[float | None] = mapped_column(Float, nullable=True)  # the reviewer's, kept
    appeal_text: Mapped[str | None] = mapped_column(Text, nullable=True)  # masked
    appealed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)  # upheld | rejected
    decision_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class ReviewComment(Base):
    """A reviewer's comment on one message of a reviewed conversation (gone with the message when it is erased);
    ``wrong_answer`` marks a bot answer as wrong for the trainers' report."""
    __tablename__ = "review_comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("quality_reviews.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    text: Mapped[str] = mapped_column(Text)  # masked
    wrong_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class PendingChange(Base):
    """Maker-checker (一人经办一人复核, api/workbench/approvals.py): a trainer's change to what the bot says, held
    with its diff until a second person (supervisor or reviewer, never the maker) approves or rejects it."""
    __tablename__ = "pending_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))  # kb_create | kb_update | kb_retire | … | deploy
    target: Mapped[str] = mapped_column(String(80))
    payload_json: Mapped[str] = mapped_column(Text)  # what applying it needs
    diff: Mapped[str] = mapped_column(Text, default="")
    maker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|approved|rejected|failed
    checker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class SurgeCapacity(Base):
    """An agent's capacity raised by the surge response at level 2 (api/surge/capacity.py): what it was and what
    it was raised to, so it is restored when the level falls — even after a restart — unless changed by hand."""
    __tablename__ = "surge_capacity"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    base: Mapped[int] = mapped_column(Integer)
    raised: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CoachingRecord(Base):
    """A one-to-one coaching of an agent (api/quality/coaching.py): why, the plan, the follow-up date, and the
    outcome when a supervisor closes it."""
    __tablename__ = "coaching_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    plan: Mapped[str] = mapped_column(Text)
    follow_up_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | closed
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
