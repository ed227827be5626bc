"""Themed survey campaigns (专项NPS调查), role supervisor: list, create, pause/resume or shorten one, and its live
results (answers, NPS, score distribution, follow-up answers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import SessionDep, SupervisorUser
from api.feedback.campaigns import Campaigns
from api.schemas.feedback import CampaignIn, CampaignList, CampaignOut, CampaignPatch, CampaignResults

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])


def _campaigns(sessions: SessionDep) -> Campaigns:
    return Campaigns(sessions)


CampaignsDep = Annotated[Campaigns, Depends(_campaigns)]


@router.get("")
async def list_campaigns(user: SupervisorUser, campaigns: CampaignsDep) -> CampaignList:
    return CampaignList(campaigns=campaigns.list())


@router.post("", status_code=201)
async def create_campaign(body: CampaignIn, user: SupervisorUser, campaigns: CampaignsDep) -> CampaignOut:
    """A campaign asks its question instead of the standard NPS question to the conversations it targets and
    samples, from ``starts_at`` until ``ends_at``."""
    return campaigns.create(body, user)


@router.patch("/{campaign_id}")
async def update_campaign(campaign_id: int, body: CampaignPatch, user: SupervisorUser,
                          campaigns: CampaignsDep) -> CampaignOut:
    return campaigns.update(campaign_id, body, user)


@router.get("/{campaign_id}/results")
async def campaign_results(campaign_id: int, user: SupervisorUser, campaigns: CampaignsDep) -> CampaignResults:
    return campaigns.results(campaign_id)
