"""One-to-one coaching (一对一辅导) of agents, mostly those the complaint analysis flags: a supervisor records who,
why, the plan and the follow-up date, and closes it with the outcome; each record shows whether the agent's
complaints fell afterwards (api/quality/complaints.py ``before_after``). Agents read their own. Audited."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.compliance.audit import audit
from api.errors import Conflict, NotFound, Refused
from api.feedback.config import FeedbackConfig
from api.quality.complaints import analyse, before_after, load_complaints
from api.schemas.complaints import (
    AgentComplaintsOut,
    CauseOut,
    CoachingCloseIn,
    CoachingIn,
    CoachingOut,
    ComplaintReport,
    WeekCount,
)
from api.staff.accounts import AGENT_ROLES
from api.store.models import CoachingRecord, User, iso, utcnow
from common.pii import mask_pii

WINDOW_DAYS = 30  # complaints counted before and after a coaching


class Coaching:
    def __init__(self, sessions: sessionmaker, config: Callable[[], FeedbackConfig],
                 now: Callable[[], dt.datetime] = utcnow) -> None:
        self.sessions = sessions
        self.config = config
        self.now = now

    # ------------------------------------------------------------------ complaint analysis
    def report(self, days: int, threshold: int) -> ComplaintReport:
        today = self.now().date()
        since = today - dt.timedelta(days=days - 1)
        start = dt.datetime.combine(since, dt.time())
        end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
        with self.sessions() as db:
            result = analyse(load_complaints(db, start, end, self.config()), threshold)
            users = {u.id: u for u in db.scalars(select(User).where(
                User.id.in_([a.agent_id for a in result.by_agent]))).all()}
            coached = set(db.scalars(select(CoachingRecord.agent_id).where(CoachingRecord.status == "open")).all())
        return ComplaintReport(
            since=since.isoformat(), until=today.isoformat(), threshold=threshold, total=result.total,
            unattributed=result.unattributed,
            by_cause=[CauseOut(cause=c.cause, count=c.count, examples=list(c.examples)) for c in result.by_cause],
            by_agent=[AgentComplaintsOut(username=users[a.agent_id].username, name=users[a.agent_id].display_name,
                                         count=a.count, causes=dict(a.causes), flagged=a.flagged,
                                         open_coaching=a.agent_id in coached)
                      for a in result.by_agent if a.agent_id in users],
            by_week=[WeekCount(period=p, count=n) for p, n in result.by_week])

    # ------------------------------------------------------------------ coaching records
    def _out(self, db: Session, row: CoachingRecord) -> CoachingOut:
        agent = db.get(User, row.agent_id)
        maker = db.get(User, row.created_by)
        closer = db.get(User, row.closed_by) if row.closed_by else None
        now = self.now()
        start = row.created_at - dt.timedelta(days=WINDOW_DAYS)
        times = [c.at for c in load_complaints(db, start, now + dt.timedelta(seconds=1), self.config())
                 if c.agent_id == row.agent_id]
        before, after, days_after = before_after(times, row.created_at, now, WINDOW_DAYS)
        return CoachingOut(id=row.id, agent=agent.username if agent else "?",
                           agent_name=agent.display_name if agent else "?",
                           created_by=maker.username if maker else "?", reason=row.reason, plan=row.plan,
                           follow_up_on=row.follow_up_on.isoformat(), status=row.status, outcome=row.outcome,
                           closed_by=closer.username if closer else None, created_at=iso(row.created_at) or "",
                           closed_at=iso(row.closed_at),
                           overdue=row.status == "open" and row.follow_up_on < now.date(),
                           complaints_before=before, complaints_after=after, days_after=days_after,
                           window_days=WINDOW_DAYS)

    def records(self, user: User, status: str | None) -> list[CoachingOut]:
        """Supervisors and reviewers read every record, an agent their own; open first, then newest."""
        with self.sessions() as db:
            query = select(CoachingRecord)
            if user.role == "agent":
                query = query.where(CoachingRecord.agent_id == user.id)
            if status:
                query = query.where(CoachingRecord.status == status)
            rows = db.scalars(query.order_by(CoachingRecord.status.desc(), CoachingRecord.id.desc())
                              .limit(500)).all()
            return [self._out(db, r) for r in rows]

    def create(self, user: User, body: CoachingIn) -> CoachingOut:
        with self.sessions() as db, db.begin():
            agent = db.scalars(select(User).where(User.username == body.agent)).first()
            if agent is None or agent.role not in AGENT_ROLES:
                raise NotFound(f"没有坐席 {body.agent}")
            if body.follow_up_on < self.now().date():
                raise Refused("跟进日期不能早于今天")
            row = CoachingRecord(agent_id=agent.id, created_by=user.id, reason=mask_pii(body.reason),
                                 plan=mask_pii(body.plan), follow_up_on=body.follow_up_on, status="open",
                                 created_at=self.now())
            db.add(row)
            db.flush()
            audit(db, user.username, "coaching_create", agent.username, id=row.id,
                  follow_up_on=body.follow_up_on.isoformat())
            return self._out(db, row)

    def close(self, user: User, record_id: int, body: CoachingCloseIn) -> CoachingOut:
        with self.sessions() as db, db.begin():
            row = db.get(CoachingRecord, record_id)
            if row is None:
                raise NotFound("辅导记录不存在")
            if row.status != "open":
                raise Conflict("该辅导记录已结束")
            row.status, row.outcome, row.closed_by, row.closed_at = "closed", mask_pii(body.outcome), user.id, \
                self.now()
            agent = db.get(User, row.agent_id)
            audit(db, user.username, "coaching_close", agent.username if agent else None, id=row.id)
            return self._out(db, row)
