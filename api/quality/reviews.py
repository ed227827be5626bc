"""The review queue and its flows: sampling into the queue (the automatic items checked as a review is
opened), a reviewer's draft scores and comments, submitting (the score is final only then), the agent's one
appeal and a supervisor's decision. Every step is audited.

Who may do what: reviewers and supervisors review (never a conversation they served themselves; the first to
save a draft owns the review); an agent reads only their own submitted reviews and appeals each once; a
supervisor other than the reviewer decides the appeal."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.compliance.audit import audit
from api.compliance.sensitive_words import SensitiveWords
from api.conversation.transcript import message_out
from api.errors import Conflict, NotFound, Refused, ServiceError
from api.quality.candidates import candidates, kb_entry_of, reasons_of, review_totals, transcript
from api.quality.checklist import Checklist, Item, missing_items, total_score
from api.quality.checks import run_check
from api.quality.report import Marked, Scored, agent_scores, most_failed, wrong_answers
from api.quality.sampling import REASON_NAMES, Pick, Rules, sample, watched_agents
from api.schemas.quality import (
    AppealIn,
    CommentIn,
    CommentOut,
    DecisionIn,
    ItemResult,
    QualityReport,
    ReviewDetail,
    ReviewSummary,
    SampleIn,
    SampleOut,
    ScoresIn,
)
from api.staff.accounts import REVIEWER_ROLES
from api.store.models import Message, QualityReview, ReviewComment, User, iso, utcnow
from common.pii import mask_pii


class Forbidden(ServiceError):
    status = 403


def items_of(review: QualityReview) -> list[Item]:
    return [Item.from_dict(d) for d in json.loads(review.items_json)]


def _scores(review: QualityReview) -> dict[str, float | None]:
    """Every item's score: the engine's for automatic items, the reviewer's for the rest."""
    auto = json.loads(review.auto_json or "{}")
    manual = json.loads(review.scores_json or "{}")
    return {i.id: (auto.get(i.id) or {}).get("score") if i.automatic else manual.get(i.id) for i in items_of(review)}


class QualityReviews:
    def __init__(self, sessions: sessionmaker, words: SensitiveWords, checklist: Callable[[], Checklist]) -> None:
        self.sessions = sessions
        self.words = words
        self.checklist = checklist
        self._last_daily: dt.date | None = None

    # ------------------------------------------------------------------ sampling
    def run_daily(self, today: dt.date) -> SampleOut | None:
        """The daily routine and targeted sample of yesterday with the default rules (SampleIn's), once per day
        (from the bridge's ticker); a rerun after a restart adds nothing (sampling.py)."""
        if self._last_daily == today:
            return None
        self._last_daily = today
        return self.sample(None, SampleIn(day=today - dt.timedelta(days=1)))

    def sample(self, actor: User | None, body: SampleIn) -> SampleOut:
        """One day's sample; ``actor`` None: the daily run (audited as system, only when it queued anything)."""
        day = body.day or utcnow().date()
        rules = Rules(body.routine_agent, body.routine_bot, body.dissatisfied, body.flagged, body.watch_agents,
                      body.lookback_days, body.complaints_threshold, body.low_score, frozenset(body.topics))
        since = day - dt.timedelta(days=rules.lookback_days - 1)
        checklist = self.checklist()
        with self.sessions() as db, db.begin():
            history = candidates(db, since, day)
            watched = watched_agents(history, review_totals(db, since, day), day, rules) if rules.watch_agents \
                else set()
            already = set(db.scalars(select(QualityReview.conversation_id)))
            picks = sample(history, rules, day, watched, already)
            added = [self._open(db, pick, checklist) for pick in picks]
            names = sorted(u.username for u in db.scalars(select(User).where(User.id.in_(watched))))
            if actor is not None or added:
                audit(db, actor.username if actor else "system", "quality_sample", day.isoformat(), added=len(added),
                      watched=names, rules=body.model_dump(mode="json"))
            db.flush()
            return SampleOut(day=day.isoformat(), added=[self._summary(db, r) for r in added], watched_agents=names)

    def _open(self, db: Session, pick: Pick, checklist: Checklist) -> QualityReview:
        items = checklist.for_target(pick.target)
        lines = transcript(db, pick.conversation_id, pick.target)
        auto = {}
        for item in items:
            if item.check:
                outcome = run_check(item.check, lines, item.params, self.words)
                auto[item.id] = {"score": outcome.score, "detail": outcome.detail,
                                 "message_ids": list(outcome.message_ids)}
        review = QualityReview(conversation_id=pick.conversation_id, target=pick.target, agent_id=pick.agent_id,
                               reasons_json=json.dumps(list(pick.reasons)), checklist_version=checklist.version,
                               items_json=json.dumps([i.as_dict() for i in items], ensure_ascii=False),
                               auto_json=json.dumps(auto, ensure_ascii=False), scores_json="{}", status="open",
                               needs_coaching=False, summary="", created_at=utcnow())
        db.add(review)
        db.flush()
        return review

    # ------------------------------------------------------------------ reading
    def queue(self, status: str | None, reason: str | None) -> list[ReviewSummary]:
        with self.sessions() as db:
            query = select(QualityReview).order_by(QualityReview.id.desc()).limit(500)
            if status:
                query = query.where(QualityReview.status == status)
            rows = [r for r in db.scalars(query) if not reason or reason in reasons_of(r)]
            return [self._summary(db, r) for r in rows]

    def mine(self, agent: User) -> list[ReviewSummary]:
        """The agent's own reviews, once submitted (a draft score is not theirs to see)."""
        with self.sessions() as db:
            rows = db.scalars(select(QualityReview).where(QualityReview.agent_id == agent.id,
                                                          QualityReview.status != "open")
                              .order_by(QualityReview.id.desc()))
            return [self._summary(db, r) for r in rows]

    def detail(self, user: User, review_id: int) -> ReviewDetail:
        with self.sessions() as db:
            review = self._readable(db, user, review_id)
            return self._detail(db, review)

    # ------------------------------------------------------------------ the reviewer
    def save(self, user: User, review_id: int, body: ScoresIn) -> ReviewDetail:
        with self.sessions() as db, db.begin():
            review = self._editable(db, user, review_id)
            manual = {i.id for i in items_of(review) if not i.automatic}
            unknown = sorted(set(body.scores) - manual)
            if unknown:
                raise Refused(f"不能打分的项目：{'、'.join(unknown)}（自动检查项由系统判定，或不适用于本次质检）")
            bad = sorted(k for k, v in body.scores.items() if not 0 <= v <= 1)
            if bad:
                raise Refused(f"分值须在 0 到 1 之间：{'、'.join(bad)}")
            scores = json.loads(review.scores_json or "{}") | body.scores
            review.scores_json = json.dumps(scores)
            if body.needs_coaching is not None:
                review.needs_coaching = body.needs_coaching
            if body.summary is not None:
                review.summary = mask_pii(body.summary.strip())
            review.reviewer_id = user.id
            audit(db, user.username, "quality_score", str(review.id), scores=body.scores,
                  needs_coaching=review.needs_coaching)
            db.flush()
            return self._detail(db, review)

    def comment(self, user: User, review_id: int, body: CommentIn) -> ReviewDetail:
        with self.sessions() as db, db.begin():
            review = self._editable(db, user, review_id)
            message = db.get(Message, body.message_id)
            if message is None or message.conversation_id != review.conversation_id:
                raise NotFound("该消息不属于本次质检的会话")
            if body.wrong_answer and message.sender != "bot":
                raise Refused("只有机器人的回答可以标记为答错")
            db.add(ReviewComment(review_id=review.id, message_id=message.id, author_id=user.id,
                                 text=mask_pii(body.text.strip()), wrong_answer=body.wrong_answer,
                                 created_at=utcnow()))
            review.reviewer_id = user.id
            audit(db, user.username, "quality_comment", str(review.id), message_id=message.id,
                  wrong_answer=body.wrong_answer)
            db.flush()
            return self._detail(db, review)

    def submit(self, user: User, review_id: int) -> ReviewDetail:
        with self.sessions() as db, db.begin():
            review = self._editable(db, user, review_id)
            scores = _scores(review)
            missing = missing_items(items_of(review), scores)
            if missing:
                titles = [i.title for i in items_of(review) if i.id in missing]
                raise Refused(f"还有 {len(missing)} 项未打分，不能提交：{'、'.join(titles)}", problems=titles)
            review.total = review.submitted_total = total_score(items_of(review), scores)
            review.status, review.submitted_at, review.reviewer_id = "submitted", utcnow(), user.id
            audit(db, user.username, "quality_submit", str(review.id), total=review.total,
                  needs_coaching=review.needs_coaching)
            db.flush()
            return self._detail(db, review)

    # ------------------------------------------------------------------ the agent and the supervisor
    def appeal(self, agent: User, review_id: int, body: AppealIn) -> ReviewDetail:
        with self.sessions() as db, db.begin():
            review = self._get(db, review_id)
            if review.agent_id != agent.id:
                raise Forbidden("只能对自己的质检结果申诉")
            if review.status == "open":
                raise Conflict("质检尚未提交，不能申诉")
            if review.appealed_at is not None:
                raise Conflict("每次质检只能申诉一次")
            review.appeal_text, review.appealed_at, review.status = mask_pii(body.reason.strip()), utcnow(), "appealed"
            audit(db, agent.username, "quality_appeal", str(review.id))
            db.flush()
            return self._detail(db, review)

    def decide(self, boss: User, review_id: int, body: DecisionIn) -> ReviewDetail:
        with self.sessions() as db, db.begin():
            review = self._get(db, review_id)
            if review.status != "appealed":
                raise Conflict("该质检没有待处理的申诉")
            if review.reviewer_id == boss.id:
                raise Forbidden("不能裁决对自己质检结果的申诉，请由其他班长处理")
            if body.upheld and body.total is None:
                raise Refused("申诉成立时请给出调整后的总分")
            if body.upheld:
                review.total = body.total
            review.decision = "upheld" if body.upheld else "rejected"
            review.decision_comment = mask_pii(body.comment.strip())
            review.decided_by, review.decided_at, review.status = boss.id, utcnow(), "decided"
            audit(db, boss.username, "quality_appeal_decided", str(review.id), decision=review.decision,
                  total=review.total, submitted_total=review.submitted_total)
            db.flush()
            return self._detail(db, review)

    # ------------------------------------------------------------------ access
    @staticmethod
    def _get(db: Session, review_id: int) -> QualityReview:
        review = db.get(QualityReview, review_id)
        if review is None:
            raise NotFound(f"没有编号为 {review_id} 的质检")
        return review

    def _readable(self, db: Session, user: User, review_id: int) -> QualityReview:
        review = self._get(db, review_id)
        if user.role in REVIEWER_ROLES:
            return review
        if review.agent_id == user.id and review.status != "open":
            return review
        raise Forbidden("无权限查看该质检")

    def _editable(self, db: Session, user: User, review_id: int) -> QualityReview:
        review = self._get(db, review_id)
        if review.status != "open":
            raise Conflict("质检已提交，评分不能再修改")
        if review.agent_id == user.id:
            raise Forbidden("不能质检自己服务的会话")
        if review.reviewer_id is not None and review.reviewer_id != user.id:
            owner = db.get(User, review.reviewer_id)
            raise Conflict(f"该会话已由{owner.display_name if owner else '其他质检员'}质检")
        return review

    # ------------------------------------------------------------------ answers
    @staticmethod
    def _summary(db: Session, review: QualityReview) -> ReviewSummary:
        agent = db.get(User, review.agent_id) if review.agent_id else None
        reviewer = db.get(User, review.reviewer_id) if review.reviewer_id else None
        reasons = reasons_of(review)
        return ReviewSummary(
            id=review.id, conversation_id=review.conversation_id, target=review.target,  # type: ignore[arg-type]
            agent=agent.username if agent else None, agent_name=agent.display_name if agent else None,
            reasons=reasons, reason_names=[REASON_NAMES.get(r, r) for r in reasons],
            status=review.status,  # type: ignore[arg-type]
            total=review.total if review.status != "open" else None, needs_coaching=review.needs_coaching,
            reviewer=reviewer.display_name if reviewer else None, created_at=iso(review.created_at) or "",
            submitted_at=iso(review.submitted_at), decision=review.decision)  # type: ignore[arg-type]

    def _detail(self, db: Session, review: QualityReview) -> ReviewDetail:
        auto: dict[str, Any] = json.loads(review.auto_json or "{}")
        scores = _scores(review)
        items = [ItemResult(id=i.id, title=i.title, weight=i.weight, automatic=i.automatic, score=scores.get(i.id),
                            detail=(auto.get(i.id) or {}).get("detail"),
                            message_ids=(auto.get(i.id) or {}).get("message_ids") or [])
                 for i in items_of(review)]
        messages = db.scalars(select(Message).where(Message.conversation_id == review.conversation_id)
                              .order_by(Message.id)).all()
        authors = {u.id: u.display_name for u in db.scalars(select(User))}
        comments = [CommentOut(id=c.id, message_id=c.message_id, text=c.text, wrong_answer=c.wrong_answer,
                               author=authors.get(c.author_id or 0), created_at=iso(c.created_at) or "")
                    for c in db.scalars(select(ReviewComment).where(ReviewComment.review_id == review.id)
                                        .order_by(ReviewComment.id))]
        return ReviewDetail(**self._summary(db, review).model_dump(), checklist_version=review.checklist_version,
                            items=items, messages=[message_out(m) for m in messages], comments=comments,
                            summary=review.summary, submitted_total=review.submitted_total,
                            appeal_text=review.appeal_text, decision_comment=review.decision_comment)

    # ------------------------------------------------------------------ the report
    def report(self, days: int) -> QualityReport:
        since = utcnow() - dt.timedelta(days=days)
        with self.sessions() as db:
            users = {u.id: u for u in db.scalars(select(User))}
            rows = db.scalars(select(QualityReview).where(QualityReview.total.is_not(None),
                                                          QualityReview.submitted_at >= since)).all()
            scored = []
            for r in rows:
                agent = users.get(r.agent_id or 0)
                scored.append(Scored(agent.username if agent else None, agent.display_name if agent else None,
                                     r.submitted_at or r.created_at, float(r.total or 0),
                                     {i.id: i.title for i in items_of(r)}, _scores(r), r.needs_coaching))
            marked = [Marked(kb_entry_of(m), m.text, m.conversation_id) for m in db.scalars(
                select(Message).join(ReviewComment, ReviewComment.message_id == Message.id)
                .where(ReviewComment.wrong_answer.is_(True), ReviewComment.created_at >= since)
                .order_by(ReviewComment.id))]
        coaching = sorted({s.agent for s in scored if s.needs_coaching and s.agent})
        return QualityReport(since=since.date().isoformat(), by_agent=agent_scores(scored),
                             most_failed=most_failed(scored), wrong_answers=wrong_answers(marked), coaching=coaching)
