"""Themed survey campaigns (专项NPS调查): supervisors create, pause and end them; their results are computed from
the survey rows when asked (so they are live). NPS = % promoters (9-10) - % detractors (0-6) over the answers."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.compliance.audit import audit
from api.errors import NotFound
from api.feedback.sampling import score_band
from api.schemas.feedback import CampaignIn, CampaignOut, CampaignPatch, CampaignResults, CampaignTarget, FollowupAnswer
from api.store.models import FeedbackItem, Survey, SurveyCampaign, User, iso, utcnow


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def nps_of(scores: list[int]) -> float | None:
    """% promoters - % detractors, rounded to 2 decimals; None without answers."""
    if not scores:
        return None
    promoters = sum(score_band(s) == "promoter" for s in scores)
    detractors = sum(score_band(s) == "detractor" for s in scores)
    return round(100 * (promoters - detractors) / len(scores), 2)


def campaign_out(c: SurveyCampaign, now: dt.datetime) -> CampaignOut:
    return CampaignOut(id=c.id, topic=c.topic, question=c.question, followups=c.followups,
                       target=CampaignTarget.model_validate(c.target), sample_rate=c.sample_rate,
                       starts_at=iso(c.starts_at) or "", ends_at=iso(c.ends_at) or "", active=c.active,
                       live=c.active and c.starts_at <= now < c.ends_at, created_at=iso(c.created_at) or "")


class Campaigns:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def list(self, now: dt.datetime | None = None) -> list[CampaignOut]:
        now = now or utcnow()
        with self.sessions() as db:
            return [campaign_out(c, now) for c in db.scalars(select(SurveyCampaign).order_by(SurveyCampaign.id.desc()))]

    def create(self, body: CampaignIn, by: User) -> CampaignOut:
        with self.sessions() as db, db.begin():
            campaign = SurveyCampaign(
                topic=body.topic.strip(), question=body.question.strip(),
                followups_json=json.dumps({k: v.strip() for k, v in body.followups.items() if v.strip()},
                                          ensure_ascii=False),
                target_json=json.dumps(body.target.model_dump(), ensure_ascii=False), sample_rate=body.sample_rate,
                starts_at=_naive_utc(body.starts_at), ends_at=_naive_utc(body.ends_at), active=True,
                created_by=by.id, created_at=utcnow())
            db.add(campaign)
            db.flush()
            audit(db, by.username, "create_campaign", str(campaign.id), topic=campaign.topic)
            return campaign_out(campaign, utcnow())

    def _get(self, db: Session, campaign_id: int) -> SurveyCampaign:
        campaign = db.get(SurveyCampaign, campaign_id)
        if campaign is None:
            raise NotFound("调查活动不存在")
        return campaign

    def update(self, campaign_id: int, body: CampaignPatch, by: User) -> CampaignOut:
        with self.sessions() as db, db.begin():
            campaign = self._get(db, campaign_id)
            if body.active is not None:
                campaign.active = body.active
            if body.sample_rate is not None:
                campaign.sample_rate = body.sample_rate
            if body.ends_at is not None:
                campaign.ends_at = max(_naive_utc(body.ends_at), campaign.starts_at)
            audit(db, by.username, "update_campaign", str(campaign_id), **body.model_dump(exclude_none=True))
            return campaign_out(campaign, utcnow())

    def results(self, campaign_id: int, comments: int = 50) -> CampaignResults:
        with self.sessions() as db:
            campaign = self._get(db, campaign_id)
            surveys = list(db.scalars(select(Survey).where(Survey.campaign_id == campaign_id)
                                      .order_by(Survey.id.desc())))
            scores = [s.nps for s in surveys if s.nps is not None]
            bands = [score_band(s) for s in scores]
            items = db.scalar(select(func.count()).select_from(FeedbackItem).where(
                FeedbackItem.source == "survey", FeedbackItem.source_id.in_([s.id for s in surveys] or [-1])))
            said = [FollowupAnswer(score=s.nps, band=score_band(s.nps) if s.nps is not None else None,
                                   question=s.followup, text=s.comment or "", at=iso(s.created_at))
                    for s in surveys if s.comment][:comments]
            return CampaignResults(campaign=campaign_out(campaign, utcnow()), asked=len(surveys),
                                   answered=len(scores), nps=nps_of(scores), promoters=bands.count("promoter"),
                                   passives=bands.count("passive"), detractors=bands.count("detractor"),
                                   distribution=[scores.count(i) for i in range(11)], comments=said,
                                   feedback_items=int(items or 0))
