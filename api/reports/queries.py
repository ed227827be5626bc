"""Reading the facts of a period from the bridge database (I/O only: what each row means is decided in
``api.reports.facts`` and the formulas in ``api.reports.kpis``).

Every fact carries its conversation's dimensions: the channel; the skill group (a handoff's own group, else the
conversation's; :data:`BOT_GROUP` for a conversation the bot handled alone); the agent — a handoff's agent is the
one whose 服务小结 closed it (or who serves it now), a survey's the agent it rates, a complaint's the wrap-up's,
any other fact's the agent who last served the conversation."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Iterable, Iterator, Sequence, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.reports.facts import (
    BOT_GROUP,
    NO_AGENT,
    ComplaintFact,
    ConversationFact,
    Dims,
    Facts,
    FlagFact,
    HandoffFact,
    KbFact,
    LeaveFact,
    MessageFact,
    SurveyFact,
)
from api.reports.kpis import Rules
from api.reports.periods import DateRange, previous_range, utc_window
from api.settings import Settings
from api.store.models import Conversation, Flag, Handoff, LeaveMessage, Message, Survey, User, WrapUp

T = TypeVar("T")
CHUNK = 500
EXCHANGED = ("customer", "bot", "agent")
UNKNOWN_CHANNEL = "（未知）"


def rules_of(settings: Settings) -> Rules:
    return Rules(connect_within_s=settings.report_connect_within_s,
                 callback_sla_s=settings.report_callback_sla_h * 3600)


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Dimensions:
    """Conversation dimensions, looked up once for every conversation the period's rows mention."""

    def __init__(self, db: Session, conv_ids: set[str]) -> None:
        self.names = {u.id: u.username for u in db.scalars(select(User)).all()}
        self.convs: dict[str, tuple[str, str | None, int | None]] = {}
        self.last_agent: dict[str, int] = {}
        self.handoff_agent: dict[int, int] = {}
        self.requested: set[str] = set()
        for batch in chunks(sorted(conv_ids)):
            for cid, channel, group, agent in db.execute(
                    select(Conversation.id, Conversation.channel, Conversation.skill_group, Conversation.agent_id)
                    .where(Conversation.id.in_(batch))).all():
                self.convs[cid] = (channel, group, agent)
            for cid, handoff_id, agent in db.execute(
                    select(WrapUp.conversation_id, WrapUp.handoff_id, WrapUp.agent_id)
                    .where(WrapUp.conversation_id.in_(batch)).order_by(WrapUp.id)).all():
                if agent is not None:
                    self.last_agent[cid] = agent
                    if handoff_id is not None:
                        self.handoff_agent[handoff_id] = agent
            self.requested.update(db.scalars(select(Handoff.conversation_id)
                                             .where(Handoff.conversation_id.in_(batch))).all())

    def agent_name(self, agent_id: int | None) -> str:
        return self.names.get(agent_id, NO_AGENT) if agent_id is not None else NO_AGENT

    def of(self, conv_id: str | None, group: str | None = None, agent_id: int | None = None,
           own_agent: bool = False) -> Dims:
        """The dimensions of a fact in ``conv_id``; ``group``/``agent_id`` are the fact's own when it has them
        (``own_agent``: the fact names its agent, even none)."""
        channel, conv_group, current = self.convs.get(conv_id or "", (UNKNOWN_CHANNEL, None, None))
        if not own_agent:
            agent_id = self.last_agent.get(conv_id or "", current)
        return Dims(channel=channel, skill_group=group or conv_group or BOT_GROUP, agent=self.agent_name(agent_id))


def _local(at: dt.datetime, offset_h: float) -> dt.datetime:
    return at + dt.timedelta(hours=offset_h)


def load_facts(db: Session, start: dt.datetime, end: dt.datetime, offset_h: float) -> Facts:
    """Every fact with start <= UTC time < end, its time in local time (UTC + ``offset_h``)."""
    convs = db.execute(select(Conversation.id, Conversation.created_at)
                       .where(Conversation.created_at >= start, Conversation.created_at < end)).all()
    messages = db.execute(select(Message.conversation_id, Message.created_at, Message.sender, Message.meta_json)
                          .where(Message.created_at >= start, Message.created_at < end,
                                 Message.sender.in_(EXCHANGED))).all()
    handoffs = db.scalars(select(Handoff).where(Handoff.queued_at >= start, Handoff.queued_at < end)).all()
    leaves = db.scalars(select(LeaveMessage).where(LeaveMessage.created_at >= start,
                                                   LeaveMessage.created_at < end)).all()
    answered = func.coalesce(Survey.answered_at, Survey.created_at)
    surveys = db.scalars(select(Survey).where(answered >= start, answered < end)).all()
    complaints = db.scalars(select(WrapUp).where(WrapUp.created_at >= start, WrapUp.created_at < end,
                                                 WrapUp.disposition == "complaint")).all()
    flags = db.scalars(select(Flag).where(Flag.created_at >= start, Flag.created_at < end)).all()
    mentioned = {c.id for c in convs} | {m.conversation_id for m in messages} \
        | {r.conversation_id for rows in (handoffs, leaves, surveys, complaints) for r in rows} \
        | {f.conversation_id for f in flags if f.conversation_id}
    dims = _Dimensions(db, mentioned)
    facts = Facts()
    for cid, created in convs:
        facts.conversations.append(ConversationFact(cid, _local(created, offset_h), dims.of(cid),
                                                    handoff_requested=cid in dims.requested))
    for cid, created, sender, meta_json in messages:
        at, d = _local(created, offset_h), dims.of(cid)
        facts.messages.append(MessageFact(cid, at, d, sender=sender))
        kb = json.loads(meta_json).get("kb") if meta_json and sender == "bot" else None
        if isinstance(kb, dict) and kb.get("action"):
            facts.kb.append(KbFact(cid, at, d, action=str(kb["action"])))
    for h in handoffs:
        agent = dims.handoff_agent.get(h.id)
        if agent is None and h.closed_at is None:
            agent = dims.convs.get(h.conversation_id, ("", None, None))[2]
        handle = (h.closed_at - h.assigned_at).total_seconds() if h.closed_at and h.assigned_at else None
        facts.handoffs.append(HandoffFact(h.conversation_id, _local(h.queued_at, offset_h),
                                          dims.of(h.conversation_id, h.skill_group, agent, own_agent=True),
                                          reason=h.reason, wait_s=h.wait_s, handle_s=handle, outcome=h.outcome))
    for m in leaves:
        after = (m.outcome_at - m.created_at).total_seconds() \
            if m.outcome == "called_back" and m.outcome_at else None
        facts.leaves.append(LeaveFact(m.conversation_id, _local(m.created_at, offset_h), dims.of(m.conversation_id),
                                      called_back_after_s=after))
    for s in surveys:
        if s.nps is None and s.csat is None:
            continue  # asked, never answered
        facts.surveys.append(SurveyFact(s.conversation_id, _local(s.answered_at or s.created_at, offset_h),
                                        dims.of(s.conversation_id, agent_id=s.agent_id, own_agent=True),
                                        nps=s.nps, csat=s.csat))
    facts.complaints.extend(_complaints(handoffs, complaints, dims, facts.handoffs, offset_h))
    for f in flags:
        facts.flags.append(FlagFact(f.conversation_id or "", _local(f.created_at, offset_h),
                                    dims.of(f.conversation_id), category=f.category, source=f.source))
    return facts


def _complaints(handoffs: Sequence[Handoff], wrapups: Sequence[WrapUp], dims: _Dimensions,
                handoff_facts: Sequence[HandoffFact], offset_h: float) -> list[ComplaintFact]:
    """One complaint per conversation: the bot handed it off as a complaint (the customer said 投诉), or the
    agent's 服务小结 says 投诉 — at the earlier of the two, with the wrap-up's agent when there is one."""
    found: dict[str, ComplaintFact] = {}
    for h, fact in zip(handoffs, handoff_facts, strict=True):
        if h.reason == "complaint":
            found.setdefault(h.conversation_id, ComplaintFact(h.conversation_id, fact.at, fact.dims))
    for w in wrapups:
        at = _local(w.created_at, offset_h)
        mine = ComplaintFact(w.conversation_id, at, dims.of(w.conversation_id, agent_id=w.agent_id, own_agent=True))
        earlier = found.get(w.conversation_id)
        found[w.conversation_id] = replace(mine, at=min(at, earlier.at)) if earlier else mine
    return sorted(found.values(), key=lambda c: c.at)


def facts_for(sessions: sessionmaker, r: DateRange, offset_h: float, with_previous: bool = True) -> Facts:
    """The facts of ``r`` (and of the period before it, for the comparison)."""
    first = previous_range(r).start if with_previous else r.start
    start, end = utc_window(DateRange(first, r.end), offset_h)
    with sessions() as db:
        return load_facts(db, start, end, offset_h)
