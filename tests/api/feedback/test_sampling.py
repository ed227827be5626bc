"""Campaign targeting and sampling (api/feedback/sampling.py), checked against hand-worked cases: which survey a
conversation gets at each trigger, the once-per-N-days rule at its edges, at most one campaign or bot survey per
conversation, the oldest matching campaign first, and sample rates that hold over many conversations."""

from __future__ import annotations

import datetime as dt

import pytest

from api.feedback.sampling import (
    CampaignRule,
    ConversationFacts,
    SurveyChoice,
    Target,
    areas_for_intents,
    choose_survey,
    recently_surveyed,
    sample_point,
    sampled,
    score_band,
    targets,
)

NOW = dt.datetime(2026, 12, 1, 10, 0)
DAY = dt.timedelta(days=1)


def campaign(cid: int, rate: float = 1.0, **target: tuple[str, ...]) -> CampaignRule:
    return CampaignRule(cid, Target(**target), rate, NOW - DAY, NOW + DAY)


def facts(cid: str = "c1", channel: str = "web", groups: tuple[str, ...] = (), areas: tuple[str, ...] = ("通用",),
          surveyed: bool = False) -> ConversationFacts:
    return ConversationFacts(cid, channel, frozenset(groups), frozenset(areas), surveyed)


@pytest.mark.parametrize("score, band", [(0, "detractor"), (6, "detractor"), (7, "passive"), (8, "passive"),
                                         (9, "promoter"), (10, "promoter")])
def test_score_bands(score: int, band: str) -> None:
    assert score_band(score) == band


def test_score_outside_the_scale_is_refused() -> None:
    with pytest.raises(ValueError):
        score_band(11)


@pytest.mark.parametrize("last, days, expected", [
    (None, 30, False),
    (NOW - 29 * DAY, 30, True),
    (NOW - 30 * DAY + dt.timedelta(seconds=1), 30, True),
    (NOW - 30 * DAY, 30, False),  # exactly N days ago no longer counts
    (NOW - 31 * DAY, 30, False),
    (NOW - dt.timedelta(hours=1), 0, False),  # 0 days: no quiet period
])
def test_once_per_n_days(last: dt.datetime | None, days: float, expected: bool) -> None:
    assert recently_surveyed(last, NOW, days) is expected


@pytest.mark.parametrize("target, expected", [
    (Target(), True),
    (Target(channels=("web",)), True),
    (Target(channels=("app",)), False),
    (Target(skill_groups=("信用卡",)), True),
    (Target(skill_groups=("证券",)), False),
    (Target(areas=("理财", "信用卡")), True),
    (Target(channels=("web",), skill_groups=("信用卡",), areas=("证券",)), False),  # every list must match
])
def test_targeting(target: Target, expected: bool) -> None:
    conv = facts(groups=("信用卡", "通用"), areas=("信用卡",))
    assert targets(target, conv) is expected


def test_business_areas_come_from_the_intents() -> None:
    assert areas_for_intents(["credit_card_annual_fee", "stock_account_open", None]) == {"信用卡", "证券"}
    assert areas_for_intents(["greet"]) == {"通用"}
    assert areas_for_intents([]) == {"通用"}


def test_an_agent_service_always_gets_a_survey_and_a_campaign_replaces_the_standard_one() -> None:
    assert choose_survey("agent", facts(), [], None, NOW, 0.0, 30) == SurveyChoice("agent")
    assert choose_survey("agent", facts(), [campaign(3)], None, NOW, 0.0, 30) == SurveyChoice("agent", 3)
    # surveyed within the quiet days: the standard survey, never the campaign
    assert choose_survey("agent", facts(), [campaign(3)], NOW - DAY, NOW, 0.0, 30) == SurveyChoice("agent")
    # a second service in a conversation already surveyed: the standard survey again
    assert choose_survey("agent", facts(surveyed=True), [campaign(3)], None, NOW, 0.0, 30) == SurveyChoice("agent")


def test_bot_only_chats_are_sampled_and_quiet_days_hold() -> None:
    assert choose_survey("bot", facts(), [], None, NOW, 1.0, 30) == SurveyChoice("bot")
    assert choose_survey("bot", facts(), [], None, NOW, 0.0, 30) is None
    assert choose_survey("bot", facts(), [], NOW - 2 * DAY, NOW, 1.0, 30) is None
    assert choose_survey("bot", facts(), [], NOW - 2 * DAY, NOW, 1.0, 1) == SurveyChoice("bot")
    assert choose_survey("bot", facts(surveyed=True), [], None, NOW, 1.0, 30) is None
    assert choose_survey("bot", facts(), [campaign(5)], None, NOW, 0.0, 30) == SurveyChoice("bot", 5)


def test_the_oldest_live_targeted_sampled_campaign_asks() -> None:
    ended = CampaignRule(1, Target(), 1.0, NOW - 3 * DAY, NOW)  # ends_at is exclusive
    paused = CampaignRule(2, Target(), 1.0, NOW - DAY, NOW + DAY, active=False)
    future = CampaignRule(3, Target(), 1.0, NOW + dt.timedelta(seconds=1), NOW + DAY)
    other_channel = campaign(4, channels=("app",))
    never_sampled = campaign(5, rate=0.0)
    newer, older = campaign(9), campaign(7, areas=("通用",))
    choice = choose_survey("bot", facts(), [ended, paused, future, other_channel, never_sampled, newer, older],
                           None, NOW, 0.0, 30)
    assert choice == SurveyChoice("bot", 7)


def test_sampling_is_deterministic_independent_and_holds_its_rate() -> None:
    ids = [f"conv-{i}" for i in range(4000)]
    assert all(0 <= sample_point("bot", i) < 1 for i in ids[:50])
    assert [sampled("bot", i, 0.3) for i in ids[:50]] == [sampled("bot", i, 0.3) for i in ids[:50]]
    for rate in (0.1, 0.25, 0.5):
        share = sum(sampled("campaign-1", i, rate) for i in ids) / len(ids)
        assert abs(share - rate) < 0.03, (rate, share)
    assert not any(sampled("bot", i, 0.0) for i in ids) and all(sampled("bot", i, 1.0) for i in ids)
    # two campaigns at 50 % pick different halves (about a quarter of conversations are in both)
    both = sum(sampled("campaign-1", i, 0.5) and sampled("campaign-2", i, 0.5) for i in ids) / len(ids)
    assert abs(both - 0.25) < 0.03


def test_unknown_trigger_is_refused() -> None:
    with pytest.raises(ValueError):
        choose_survey("email", facts(), [], None, NOW, 1.0, 30)
