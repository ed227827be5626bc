"""Who is asked which survey (pure).

Triggers: ``agent`` — an agent closed a human service (the post-service survey is always asked, as before);
``bot`` — the customer ended a chat that the bot alone served (asked on ``NPS_BOT_SAMPLE_RATE``).

* A themed campaign (专项NPS调查) replaces the standard question when it is live (active, ``starts_at`` <= now <
  ``ends_at``), targets the conversation (each of channels, skill groups and business areas it names must contain
  one of the conversation's; an empty list is any) and its sample takes the conversation. Several may run: the
  oldest matching campaign asks.
* A customer is never asked a campaign or bot survey twice within ``quiet_days`` (by ``customer_id``; an
  anonymous customer has no history across conversations), and a conversation gets at most one campaign or bot
  survey (a conversation already surveyed gets only the agent's post-service survey again).
* Sampling is a deterministic hash of the campaign (or "bot") and the conversation id, so the decision is the
  same however often it is asked, and each campaign's sample is independent of the others'.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from api.conversation.routing import GENERAL, skill_group_for

BANDS = ("detractor", "passive", "promoter")
BAND_NAMES = {"detractor": "贬损者（0-6分）", "passive": "中立者（7-8分）", "promoter": "推荐者（9-10分）"}


def score_band(score: int) -> str:
    """NPS bands: 0-6 detractor, 7-8 passive, 9-10 promoter."""
    if not 0 <= score <= 10:
        raise ValueError(f"NPS score {score} outside 0-10")
    return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"


def sample_point(salt: str, key: str) -> float:
    """A point in [0, 1) fixed by (salt, key): the first 8 bytes of SHA-256 as a fraction."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def sampled(salt: str, key: str, rate: float) -> bool:
    return sample_point(salt, key) < rate


def recently_surveyed(last_surveyed_at: dt.datetime | None, now: dt.datetime, quiet_days: float) -> bool:
    """Asked a survey less than ``quiet_days`` ago (a survey exactly that long ago no longer counts)."""
    return last_surveyed_at is not None and now - last_surveyed_at < dt.timedelta(days=quiet_days)


def areas_for_intents(intents: Iterable[str | None]) -> frozenset[str]:
    """The business areas (信用卡, 理财, 证券, 通用 — the skill groups' areas) of a conversation's intents."""
    areas = {skill_group_for(intent) for intent in intents if intent}
    return frozenset(areas or {GENERAL})


@dataclass(frozen=True)
class Target:
    channels: tuple[str, ...] = ()
    skill_groups: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConversationFacts:
    id: str
    channel: str
    skill_groups: frozenset[str] = field(default_factory=frozenset)
    areas: frozenset[str] = field(default_factory=frozenset)
    already_surveyed: bool = False  # a campaign or bot survey, or any survey before this one


@dataclass(frozen=True)
class CampaignRule:
    id: int
    target: Target
    sample_rate: float
    starts_at: dt.datetime
    ends_at: dt.datetime
    active: bool = True


@dataclass(frozen=True)
class SurveyChoice:
    kind: str  # agent | bot (the trigger)
    campaign_id: int | None = None


def is_live(campaign: CampaignRule, now: dt.datetime) -> bool:
    return campaign.active and campaign.starts_at <= now < campaign.ends_at


def targets(target: Target, facts: ConversationFacts) -> bool:
    return ((not target.channels or facts.channel in target.channels)
            and (not target.skill_groups or bool(facts.skill_groups & set(target.skill_groups)))
            and (not target.areas or bool(facts.areas & set(target.areas))))


def choose_survey(trigger: str, facts: ConversationFacts, campaigns: Sequence[CampaignRule],
                  last_surveyed_at: dt.datetime | None, now: dt.datetime, bot_rate: float,
                  quiet_days: float) -> SurveyChoice | None:
    """The survey to ask at ``trigger`` (``agent`` or ``bot``), or None."""
    if trigger not in ("agent", "bot"):
        raise ValueError(f"unknown survey trigger {trigger}")
    may_ask = not facts.already_surveyed and not recently_surveyed(last_surveyed_at, now, quiet_days)
    if may_ask:
        for campaign in sorted(campaigns, key=lambda c: c.id):
            if is_live(campaign, now) and targets(campaign.target, facts) and sampled(
                    f"campaign-{campaign.id}", facts.id, campaign.sample_rate):
                return SurveyChoice(trigger, campaign.id)
    if trigger == "agent":
        return SurveyChoice("agent")
    if may_ask and sampled("bot", facts.id, bot_rate):
        return SurveyChoice("bot")
    return None
