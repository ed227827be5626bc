"""The ``/metrics`` page (Prometheus text). Counts that must survive a restart (handoffs, waits, surveys,
states) are read from the database at scrape time; per-process ones (messages, bot reply latency) come from
the in-process registry."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from api.reports.kpi import nps_score
from api.reports.prometheus import WAIT_BUCKETS, Registry, bucketize, counter_lines, gauge_lines, histogram_lines
from api.store.models import Conversation, Handoff, LeaveMessage, Survey, WrapUp


def render(sessions: sessionmaker, registry: Registry) -> str:
    with sessions() as db:
        states = dict(db.execute(select(Conversation.state, func.count()).group_by(Conversation.state)).all())
        reasons = dict(db.execute(select(Handoff.reason, func.count()).group_by(Handoff.reason)).all())
        waits = [w for (w,) in db.execute(select(Handoff.wait_s).where(Handoff.wait_s.is_not(None))).all()]
        nps = [n for (n,) in db.execute(select(Survey.nps).where(Survey.nps.is_not(None))).all()]
        csat = dict(db.execute(select(Survey.csat, func.count()).where(Survey.csat.is_not(None))
                               .group_by(Survey.csat)).all())
        open_leave = db.scalar(select(func.count()).select_from(LeaveMessage).where(LeaveMessage.status == "open"))
        outcomes = dict(db.execute(select(Handoff.outcome, func.count()).where(Handoff.outcome.is_not(None))
                                   .group_by(Handoff.outcome)).all())
        dispositions = dict(db.execute(select(WrapUp.disposition, func.count()).group_by(WrapUp.disposition)).all())
    lines: list[str] = []
    lines += counter_lines("bridge_messages_total", "Messages stored, by sender and conversation state",
                           registry.series("bridge_messages_total"))
    lines += gauge_lines("bridge_conversations", "Conversations by state",
                         {(("state", s),): float(states.get(s, 0)) for s in ("bot", "queued", "agent", "closed")})
    lines += gauge_lines("bridge_queue_length", "Conversations waiting for an agent",
                         {(): float(states.get("queued", 0))})
    lines += counter_lines("bridge_handoffs_total", "Handoffs to a human, by reason",
                           {(("reason", r),): float(n) for r, n in reasons.items()})
    lines += counter_lines("bridge_handoff_outcomes_total", "Ended handoffs by outcome (served, left_message, "
                           "abandoned: left the queue, customer_left: ended the chat with an agent)",
                           {(("outcome", o),): float(n) for o, n in outcomes.items()})
    lines += counter_lines("bridge_wrapups_total", "Agents' wrap-ups (服务小结) by disposition",
                           {(("disposition", d),): float(n) for d, n in dispositions.items()})
    counts, total, n = bucketize(waits, WAIT_BUCKETS)
    lines += histogram_lines("bridge_queue_wait_seconds", "Time from queueing to an agent", WAIT_BUCKETS, counts,
                             total, n)
    lines += registry.histogram("bridge_bot_reply_seconds", "Bot (Rasa) reply latency seen by the bridge")
    lines += counter_lines("bridge_bot_errors_total", "Bot calls that failed or timed out",
                           registry.series("bridge_bot_errors_total") or {(): 0.0})
    lines += counter_lines("bridge_nps_responses_total", "NPS answers by score",
                           {(("score", str(s)),): float(nps.count(s)) for s in sorted(set(nps))})
    lines += gauge_lines("bridge_nps_score", "Net promoter score over all answers", {(): nps_score(nps)})
    lines += counter_lines("bridge_csat_responses_total", "CSAT answers by rating",
                           {(("rating", r),): float(c) for r, c in csat.items()})
    lines += gauge_lines("bridge_leave_messages_open", "Leave-messages not yet handled", {(): float(open_leave or 0)})
    return "\n".join(lines) + "\n"
