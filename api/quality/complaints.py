"""Complaint analysis (投诉分析): every conversation of a period that drew a complaint — the complaint intent, a
handoff for the reason complaint, an agent's wrap-up disposition complaint, a feedback item of the complaint
type, a 不满意 rating with a comment — counted once, with its cause in the feedback pipeline's categories
(api/feedback/categories.yml: the feedback item's category, else the categories' keywords on what the customer
wrote), grouped by cause, by agent and by ISO week. Agents with at least ``threshold`` complaints are flagged for
one-to-one coaching (api/quality/coaching.py), and a coaching's effect is the agent's complaints in the same
number of days before and after it. The arithmetic is pure; the reading is ``load_complaints``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.feedback.categorise import categorise
from api.feedback.config import FeedbackConfig
from api.quality.report import week
from api.store.models import Conversation, FeedbackItem, Handoff, Message, Survey, WrapUp

COMPLAINT = "complaint"
EXAMPLES = 3  # example conversations per cause


@dataclass(frozen=True)
class Complaint:
    conversation_id: str
    at: dt.datetime
    agent_id: int | None
    cause: str
    sources: tuple[str, ...]  # intent | handoff | wrapup | feedback | dissatisfied


@dataclass(frozen=True)
class CauseCount:
    cause: str
    count: int
    examples: tuple[str, ...]  # the newest conversations first


@dataclass(frozen=True)
class AgentCount:
    agent_id: int
    count: int
    causes: tuple[tuple[str, int], ...]  # most frequent first, ties by name
    flagged: bool  # at or above the threshold: to coach one-to-one


@dataclass(frozen=True)
class Analysis:
    total: int
    by_cause: tuple[CauseCount, ...]  # most frequent first, ties by name
    by_agent: tuple[AgentCount, ...]  # most complained about first, ties by id
    by_week: tuple[tuple[str, int], ...]  # in order
    unattributed: int  # complaints about the bot or the queue (no agent served)


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def analyse(complaints: Sequence[Complaint], threshold: int) -> Analysis:
    """Complaints grouped by cause, agent and week; agents with ``threshold`` or more flagged."""
    causes = Counter(c.cause for c in complaints)
    newest = sorted(complaints, key=lambda c: (c.at, c.conversation_id), reverse=True)
    by_cause = tuple(CauseCount(cause, n, tuple(c.conversation_id for c in newest if c.cause == cause)[:EXAMPLES])
                     for cause, n in _ranked(causes))
    per_agent: dict[int, Counter[str]] = {}
    for c in complaints:
        if c.agent_id is not None:
            per_agent.setdefault(c.agent_id, Counter())[c.cause] += 1
    by_agent = tuple(sorted((AgentCount(a, sum(n.values()), tuple(_ranked(n)), sum(n.values()) >= threshold)
                             for a, n in per_agent.items()), key=lambda a: (-a.count, a.agent_id)))
    weeks = Counter(week(c.at) for c in complaints)
    return Analysis(len(complaints), by_cause, by_agent, tuple(sorted(weeks.items())),
                    sum(1 for c in complaints if c.agent_id is None))


def before_after(times: Sequence[dt.datetime], on: dt.datetime, now: dt.datetime,
                 window_days: int) -> tuple[int, int, int]:
    """An agent's complaints in the ``window_days`` before ``on`` and since it, up to ``now`` and at most
    ``window_days`` after it: (before, after, whole days after so far, at most the window)."""
    window = dt.timedelta(days=window_days)
    end = min(now, on + window)
    before = sum(1 for t in times if on - window <= t < on)
    after = sum(1 for t in times if on <= t <= end)
    return before, after, max(0, (end - on).days)


def _conversations(db: Session, start: dt.datetime, end: dt.datetime) -> dict[str, set[str]]:
    """The conversations started in [start, end) with a complaint marker, and which markers."""
    in_period = (Conversation.created_at >= start, Conversation.created_at < end)
    found: dict[str, set[str]] = {}

    def mark(ids: Sequence[str | None], source: str) -> None:
        for conv_id in ids:
            if conv_id is not None:
                found.setdefault(conv_id, set()).add(source)

    mark(db.scalars(select(Handoff.conversation_id).join(Conversation).where(
        *in_period, Handoff.reason == COMPLAINT)).all(), "handoff")
    mark(db.scalars(select(WrapUp.conversation_id).join(Conversation).where(
        *in_period, WrapUp.disposition == COMPLAINT)).all(), "wrapup")
    mark(db.scalars(select(FeedbackItem.conversation_id).join(Conversation).where(
        *in_period, FeedbackItem.source == COMPLAINT)).all(), "feedback")
    mark(db.scalars(select(Survey.conversation_id).join(Conversation).where(
        *in_period, Survey.csat == "不满意", Survey.comment.is_not(None), Survey.comment != "")).all(), "dissatisfied")
    for conv in db.scalars(select(Conversation).where(*in_period, Conversation.handoff_json.is_not(None))).all():
        handoff = conv.handoff or {}
        if handoff.get("intent") == COMPLAINT:
            mark([conv.id], "intent")
    return found


def load_complaints(db: Session, start: dt.datetime, end: dt.datetime, config: FeedbackConfig) -> list[Complaint]:
    """Every complaint of the conversations started in [start, end), one per conversation."""
    marked = _conversations(db, start, end)
    if not marked:
        return []
    ids = list(marked)
    convs = {c.id: c for c in db.scalars(select(Conversation).where(Conversation.id.in_(ids))).all()}
    categories: dict[str, str] = {}
    for conv_id, category in db.execute(select(FeedbackItem.conversation_id, FeedbackItem.category).where(
            FeedbackItem.conversation_id.in_(ids), FeedbackItem.source == COMPLAINT).order_by(FeedbackItem.id)):
        if conv_id is not None:
            categories[conv_id] = category  # the latest complaint item's category
    agents: dict[str, int] = {}
    for conv_id, agent_id in db.execute(select(WrapUp.conversation_id, WrapUp.agent_id).where(
            WrapUp.conversation_id.in_(ids), WrapUp.agent_id.is_not(None)).order_by(WrapUp.id)):
        if agent_id is not None:
            agents[conv_id] = agent_id
    said: dict[str, list[str]] = {}
    for conv_id, text in db.execute(select(Message.conversation_id, Message.text).where(
            Message.conversation_id.in_(ids), Message.sender == "customer").order_by(Message.id)):
        said.setdefault(conv_id, []).append(text or "")
    comments: dict[str, list[str]] = {}
    for conv_id, comment in db.execute(select(Survey.conversation_id, Survey.comment).where(
            Survey.conversation_id.in_(ids), Survey.comment.is_not(None))):
        comments.setdefault(conv_id, []).append(comment or "")
    found = []
    for conv_id, sources in marked.items():
        conv = convs[conv_id]
        cause = categories.get(conv_id) or categorise(
            " ".join(comments.get(conv_id, []) + said.get(conv_id, [])), config).category
        found.append(Complaint(conv_id, conv.created_at, agents.get(conv_id, conv.agent_id), cause,
                               tuple(sorted(sources))))
    return sorted(found, key=lambda c: (c.at, c.conversation_id))
