"""Quality review API (质检): reviewers and supervisors sample conversations into the queue, score and comment;
an agent reads their own submitted reviews and appeals once; a supervisor decides appeals; the report."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.requests import HTTPConnection

from api.deps import AgentUser, SessionDep, SettingsDep, SupervisorUser, staff
from api.feedback.config import load_config
from api.quality.coaching import Coaching
from api.quality.reviews import QualityReviews
from api.schemas.complaints import CoachingCloseIn, CoachingIn, CoachingOut, ComplaintReport
from api.schemas.quality import (
    AppealIn,
    ChecklistItemOut,
    ChecklistOut,
    CommentIn,
    DecisionIn,
    QualityReport,
    ReviewDetail,
    ReviewSummary,
    SampleIn,
    SampleOut,
    ScoresIn,
)
from api.staff.accounts import AGENT_ROLES, REVIEWER_ROLES
from api.store.models import User

router = APIRouter(prefix="/api/v1/quality", tags=["quality"])
ReviewerUser = Annotated[User, Depends(staff(*REVIEWER_ROLES))]
ReaderUser = Annotated[User, Depends(staff(*REVIEWER_ROLES, *AGENT_ROLES))]


def _reviews(conn: HTTPConnection) -> QualityReviews:
    reviews = getattr(conn.app.state, "quality", None)
    if reviews is None:
        raise HTTPException(503, "质检功能未启用")
    return reviews


ReviewsDep = Annotated[QualityReviews, Depends(_reviews)]


def _coaching(sessions: SessionDep, settings: SettingsDep) -> Coaching:
    return Coaching(sessions, lambda: load_config(settings.feedback_file))


CoachingDep = Annotated[Coaching, Depends(_coaching)]


@router.get("/checklist")
async def checklist(user: ReaderUser, reviews: ReviewsDep) -> ChecklistOut:
    """The checklist new reviews are opened with (api/quality/checklist.yml)."""
    current = reviews.checklist()
    return ChecklistOut(version=current.version, items=[
        ChecklistItemOut(id=i.id, title=i.title, weight=i.weight, applies_to=list(i.applies_to),  # type: ignore[arg-type]
                         automatic=i.automatic) for i in current.items])


@router.post("/sample")
async def sample(body: SampleIn, user: ReviewerUser, reviews: ReviewsDep) -> SampleOut:
    """One day's routine and targeted samples into the queue (a conversation is queued once)."""
    return reviews.sample(user, body)


@router.get("/queue")
async def queue(user: ReviewerUser, reviews: ReviewsDep,
                status: Literal["open", "submitted", "appealed", "decided"] | None = None,
                reason: Annotated[str | None, Query(max_length=32)] = None) -> list[ReviewSummary]:
    """Newest first (at most 500); ``reason`` keeps one sampling reason (dissatisfied, flagged, agent_watch …)."""
    return reviews.queue(status, reason)


@router.get("/mine")
async def mine(user: AgentUser, reviews: ReviewsDep) -> list[ReviewSummary]:
    """The signed-in agent's submitted reviews."""
    return reviews.mine(user)


@router.get("/report")
async def report(user: ReviewerUser, reviews: ReviewsDep,
                 days: Annotated[int, Query(ge=1, le=366)] = 30) -> QualityReport:
    """Scores by agent and week, the most-failed items, bot answers marked wrong, agents to coach."""
    return reviews.report(days)


@router.get("/reviews/{review_id}")
async def review(review_id: int, user: ReaderUser, reviews: ReviewsDep) -> ReviewDetail:
    return reviews.detail(user, review_id)


@router.put("/reviews/{review_id}/scores")
async def save_scores(review_id: int, body: ScoresIn, user: ReviewerUser, reviews: ReviewsDep) -> ReviewDetail:
    """A draft: nothing is final (or shown to the agent) before the review is submitted."""
    return reviews.save(user, review_id, body)


@router.post("/reviews/{review_id}/comments", status_code=201)
async def comment(review_id: int, body: CommentIn, user: ReviewerUser, reviews: ReviewsDep) -> ReviewDetail:
    return reviews.comment(user, review_id, body)


@router.post("/reviews/{review_id}/submit")
async def submit(review_id: int, user: ReviewerUser, reviews: ReviewsDep) -> ReviewDetail:
    """Every item must be scored; the total is final from here on (changed only by an upheld appeal)."""
    return reviews.submit(user, review_id)


@router.post("/reviews/{review_id}/appeal")
async def appeal(review_id: int, body: AppealIn, user: AgentUser, reviews: ReviewsDep) -> ReviewDetail:
    """The agent of the review, once."""
    return reviews.appeal(user, review_id, body)


@router.post("/reviews/{review_id}/decision")
async def decide(review_id: int, body: DecisionIn, user: SupervisorUser, reviews: ReviewsDep) -> ReviewDetail:
    """A supervisor other than the reviewer."""
    return reviews.decide(user, review_id, body)


@router.get("/complaints")
async def complaints(user: ReviewerUser, coaching: CoachingDep, days: Annotated[int, Query(ge=1, le=366)] = 30,
                     threshold: Annotated[int, Query(ge=1, le=100)] = 2) -> ComplaintReport:
    """投诉分析: the period's complaints by cause (with example conversations), by agent and by week; agents with
    ``threshold`` or more flagged for one-to-one coaching."""
    return coaching.report(days, threshold)


@router.get("/coaching")
async def coaching_records(user: ReaderUser, coaching: CoachingDep,
                           status: Literal["open", "closed"] | None = None) -> list[CoachingOut]:
    """Coaching records, open first (an agent reads their own), each with the complaints before and after it."""
    return coaching.records(user, status)


@router.post("/coaching", status_code=201)
async def create_coaching(body: CoachingIn, user: SupervisorUser, coaching: CoachingDep) -> CoachingOut:
    """A supervisor records a one-to-one coaching: who, why, the plan and the follow-up date (audited)."""
    return coaching.create(user, body)


@router.post("/coaching/{record_id}/close")
async def close_coaching(record_id: int, body: CoachingCloseIn, user: SupervisorUser,
                         coaching: CoachingDep) -> CoachingOut:
    """A supervisor closes it with the outcome (audited); a closed record cannot be closed again (409)."""
    return coaching.close(user, record_id, body)
