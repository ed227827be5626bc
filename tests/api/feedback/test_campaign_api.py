"""Themed surveys end to end through the API: a supervisor's campaign replaces the standard NPS question for the
conversations it targets, asks detractors its follow-up, shows live results, and a customer is not asked again
within the quiet days; after a bot-only chat the sampled survey keeps the chat open until it is answered."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.conversation import texts
from api.conversation.survey import BOT_SURVEY_INTRO, CLOSED_THANKS
from api.settings import Settings
from tests.api.conftest import Customer, ScriptedRasa, Staff
from tests.api.feedback.helpers import create_campaign, last_text, served_and_closed

NPS = '/survey_nps{{"score":{}}}'


def test_campaign_question_follow_up_results_and_quiet_days(client: TestClient) -> None:
    boss, agent = Staff(client, "supervisor"), Staff(client, "agent")
    agent.patch_me(status="online")
    campaign = create_campaign(boss)
    assert campaign["live"] and campaign["target"]["channels"] == ["web"]
    other = create_campaign(boss, topic="证券", target={"channels": ["app"]})  # never targets web chats

    c = Customer(client, customer_id="cust-1")
    served_and_closed(client, agent, c)
    assert last_text(c) == campaign["question"]  # instead of the standard question
    reply = c.say(payload=NPS.format(3))
    assert reply["messages"][-1]["text"] == campaign["followups"]["detractor"]  # a detractor is asked why
    reply = c.say("手机银行App老是闪退，我的卡号6222021234567890123")
    assert reply["messages"][-1]["text"] == texts.SURVEY_THANKS

    results = boss.get(f"/api/v1/campaigns/{campaign['id']}/results")
    assert (results["asked"], results["answered"], results["detractors"], results["nps"]) == (1, 1, 1, -100.0)
    assert results["distribution"][3] == 1 and sum(results["distribution"]) == 1
    (comment,) = results["comments"]
    assert comment["band"] == "detractor" and "6222021234567890123" not in comment["text"]  # masked
    assert results["feedback_items"] == 1
    assert boss.get(f"/api/v1/campaigns/{other['id']}/results")["asked"] == 0

    # the same customer again within the quiet days: the standard survey, not the campaign
    again = Customer(client, customer_id="cust-1")
    served_and_closed(client, agent, again)
    assert last_text(again) == texts.SURVEY_NPS
    # another customer, the campaign paused: the standard survey
    boss.client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"active": False}, headers=boss.auth)
    third = Customer(client, customer_id="cust-2")
    served_and_closed(client, agent, third)
    assert last_text(third) == texts.SURVEY_NPS
    listed = {x["id"]: x for x in boss.get("/api/v1/campaigns")["campaigns"]}
    assert listed[campaign["id"]]["active"] is False and listed[campaign["id"]]["live"] is False


def test_a_promoter_gets_no_follow_up_without_one_for_their_band(client: TestClient) -> None:
    boss, agent = Staff(client, "supervisor"), Staff(client, "agent")
    agent.patch_me(status="online")
    campaign = create_campaign(boss)
    c = Customer(client)
    served_and_closed(client, agent, c)
    reply = c.say(payload=NPS.format(10))
    assert reply["messages"][-1]["text"] == texts.SURVEY_THANKS
    assert boss.get(f"/api/v1/campaigns/{campaign['id']}/results")["promoters"] == 1


def test_campaign_input_is_checked(client: TestClient) -> None:
    boss = Staff(client, "supervisor")
    r = client.post("/api/v1/campaigns", headers=boss.auth,
                    json={"topic": "x", "question": "推荐可能性？", "starts_at": "2026-12-02T00:00:00Z",
                          "ends_at": "2026-12-01T00:00:00Z"})
    assert r.status_code == 422 and "结束时间" in r.json()["detail"]
    r = client.post("/api/v1/campaigns", headers=boss.auth,
                    json={"topic": "x", "question": "推荐可能性？", "starts_at": "2026-12-01T00:00:00Z",
                          "ends_at": "2026-12-02T00:00:00Z", "sample_rate": 1.5})
    assert r.status_code == 422
    assert client.get("/api/v1/campaigns/999/results", headers=boss.auth).status_code == 404


@pytest.fixture()
def sampled_client(tmp_path: Path, rasa: ScriptedRasa) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass", nps_bot_sample_rate=1.0)
    with TestClient(create_app(settings, rasa)) as c:  # type: ignore[arg-type]
        yield c


def end(client: TestClient, c: Customer) -> dict:
    r = client.post(f"/api/v1/conversations/{c.id}/end", headers=c.auth)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_bot_only_chat_survey_keeps_the_chat_open_until_answered(sampled_client: TestClient) -> None:
    client = sampled_client
    c = Customer(client, customer_id="cust-9")
    c.say("信用卡怎么还款")
    ended = end(client, c)
    assert ended["state"] == "bot"
    assert [m["text"] for m in ended["messages"]] == [BOT_SURVEY_INTRO, texts.SURVEY_NPS]
    c.say(payload=NPS.format(8))
    c.say(payload='/survey_csat{"rating":"不满意"}')
    reply = c.say(payload=texts.SURVEY_SKIP)
    assert reply["state"] == "closed" and reply["messages"][-1]["text"] == CLOSED_THANKS
    r = client.post(f"/api/v1/conversations/{c.id}/messages", json={"text": "还在吗"}, headers=c.auth)
    assert r.status_code == 409
    # the same customer within the quiet days: ending closes at once
    again = Customer(client, customer_id="cust-9")
    again.say("网点几点开门")
    assert end(client, again)["state"] == "closed"
    # nothing asked: no survey either
    silent = Customer(client)
    assert end(client, silent)["state"] == "closed"


def test_bot_only_chats_are_not_surveyed_at_rate_zero(client: TestClient) -> None:
    c = Customer(client)
    c.say("信用卡怎么还款")
    assert end(client, c)["state"] == "closed"


def test_typing_instead_of_answering_keeps_the_bot_chat_open(sampled_client: TestClient) -> None:
    c = Customer(sampled_client)
    c.say("信用卡怎么还款")
    end(sampled_client, c)
    reply = c.say("我还有个问题")
    assert reply["state"] == "bot" and reply["messages"][-1]["text"].startswith("您说的是")
