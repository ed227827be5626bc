"""What sampling and the automatic checks read from the bridge's tables: one :class:`Candidate` per
conversation (who served it, its ratings, flags, complaints and topics) and a conversation's transcript as the
checks' :class:`Transcript`. The reading is here; the rules stay pure (sampling.py, checks.py)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.quality.checks import Line, Transcript
from api.quality.sampling import Candidate
from api.store.models import Conversation, FeedbackItem, Flag, Handoff, Message, QualityReview, Survey, WrapUp

COMPLAINT = "complaint"  # the complaint intent, handoff reason, wrap-up disposition and feedback source


def _day_bounds(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime.combine(since, dt.time()), dt.datetime.combine(until + dt.timedelta(days=1), dt.time())


def _by_conversation(rows: Iterable[tuple[str | None, object]]) -> dict[str, list[object]]:
    found: dict[str, list[object]] = {}
    for conv_id, value in rows:
        if conv_id is not None:
            found.setdefault(conv_id, []).append(value)
    return found


def candidates(db: Session, since: dt.date, until: dt.date) -> list[Candidate]:
    """Every conversation started in the whole UTC days ``since``..``until`` that a customer spoke in."""
    start, end = _day_bounds(since, until)
    convs = db.scalars(select(Conversation).where(Conversation.created_at >= start, Conversation.created_at < end)
                       .order_by(Conversation.created_at)).all()
    ids = [c.id for c in convs]
    if not ids:
        return []
    spoke = set(db.scalars(select(Message.conversation_id).where(Message.conversation_id.in_(ids),
                                                                 Message.sender == "customer")))
    surveys = _by_conversation(db.execute(select(Survey.conversation_id, Survey).where(
        Survey.conversation_id.in_(ids)).order_by(Survey.id)).tuples())
    wrapups = _by_conversation(db.execute(select(WrapUp.conversation_id, WrapUp).where(
        WrapUp.conversation_id.in_(ids)).order_by(WrapUp.id)).tuples())
    flagged = set(db.scalars(select(Flag.conversation_id).where(Flag.conversation_id.in_(ids))))
    reasons = _by_conversation(db.execute(select(Handoff.conversation_id, Handoff.reason).where(
        Handoff.conversation_id.in_(ids))).tuples())
    groups = _by_conversation(db.execute(select(Handoff.conversation_id, Handoff.skill_group).where(
        Handoff.conversation_id.in_(ids))).tuples())
    complained = set(db.scalars(select(FeedbackItem.conversation_id).where(
        FeedbackItem.conversation_id.in_(ids), FeedbackItem.source == COMPLAINT)))
    found = []
    for conv in convs:
        if conv.id not in spoke:
            continue
        conv_surveys = [s for s in surveys.get(conv.id, []) if isinstance(s, Survey)]
        conv_wrapups = [w for w in wrapups.get(conv.id, []) if isinstance(w, WrapUp)]
        agent_id = next((w.agent_id for w in reversed(conv_wrapups) if w.agent_id is not None), None) \
            or next((s.agent_id for s in reversed(conv_surveys) if s.agent_id is not None), None) or conv.agent_id
        rated = [s for s in conv_surveys if s.nps is not None or s.csat is not None]
        handoff = conv.handoff or {}
        intent = handoff.get("intent") if isinstance(handoff.get("intent"), str) else None
        topics = {str(g) for g in groups.get(conv.id, []) if g} | {t for t in (intent, conv.skill_group) if t}
        complaint = (COMPLAINT in reasons.get(conv.id, []) or intent == COMPLAINT or conv.id in complained
                     or any(w.disposition == COMPLAINT for w in conv_wrapups))
        found.append(Candidate(conv.id, conv.created_at.date(), agent_id,
                               csat=rated[-1].csat if rated else None, nps=rated[-1].nps if rated else None,
                               flagged=conv.id in flagged, complaint=complaint, topics=frozenset(topics)))
    return found


def review_totals(db: Session, since: dt.date, until: dt.date) -> dict[int, list[float]]:
    """The final totals of submitted reviews of agents in the period, by agent."""
    start, end = _day_bounds(since, until)
    rows = db.execute(select(QualityReview.agent_id, QualityReview.total).where(
        QualityReview.agent_id.is_not(None), QualityReview.total.is_not(None),
        QualityReview.submitted_at >= start, QualityReview.submitted_at < end)).tuples()
    totals: dict[int, list[float]] = {}
    for agent_id, total in rows:
        if agent_id is not None and total is not None:
            totals.setdefault(agent_id, []).append(total)
    return totals


def transcript(db: Session, conv_id: str, target: str) -> Transcript:
    rows = db.scalars(select(Message).where(Message.conversation_id == conv_id).order_by(Message.id)).all()
    assigned = db.scalars(select(Handoff.assigned_at).where(Handoff.conversation_id == conv_id,
                                                            Handoff.assigned_at.is_not(None))
                          .order_by(Handoff.id)).first()
    return Transcript(tuple(Line(m.id, m.sender, m.text, m.created_at) for m in rows), target, assigned)


def kb_entry_of(message: Message) -> str | None:
    """The KB entry a bot answer came from (its lookup answered directly), if any."""
    kb = message.meta.get("kb")
    if not isinstance(kb, dict) or kb.get("action") != "answer":
        return None
    first = (kb.get("candidates") or [None])[0]
    return str(first["entry_id"]) if isinstance(first, dict) and first.get("entry_id") else None


def reasons_of(review: QualityReview) -> list[str]:
    return list(json.loads(review.reasons_json or "[]"))
