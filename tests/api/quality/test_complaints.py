"""Complaint analysis: the pure grouping (by cause with the newest examples, by agent with the coaching flag at
the threshold, by ISO week, unattributed) and the before/after window against hand-computed tables; then through
the API: complaints from wrap-ups, feedback items and complaint handoffs, each conversation counted once, with
the feedback pipeline's causes; who may read it (403 for agents and trainers)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.quality.complaints import Complaint, analyse, before_after
from api.rasa_client import BotTurn
from api.settings import Settings
from tests.api.conftest import Customer, ScriptedRasa, Staff

Q = "/api/v1/quality"
T0 = dt.datetime(2026, 11, 23, 9)  # a Monday: ISO week 2026-W48


def at(days: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def test_analyse_groups_by_cause_agent_and_week() -> None:
    complaints = [
        Complaint("c1", at(0), 7, "费用", ("wrapup",)),
        Complaint("c2", at(1), 7, "服务态度", ("wrapup", "feedback")),
        Complaint("c3", at(2), 8, "费用", ("handoff",)),
        Complaint("c4", at(7), 7, "费用", ("intent",)),  # the next week
        Complaint("c5", at(8), None, "系统/App故障", ("handoff",)),
        Complaint("c6", at(9), 8, "费用", ("dissatisfied",)),
        Complaint("c7", at(9.5), 9, "服务态度", ("wrapup",)),
        Complaint("c8", at(10), 7, "流程/手续", ("wrapup",)),
    ]
    result = analyse(complaints, threshold=3)
    assert result.total == 8 and result.unattributed == 1
    assert [(c.cause, c.count, c.examples) for c in result.by_cause] == [
        ("费用", 4, ("c6", "c4", "c3")),  # the newest three
        ("服务态度", 2, ("c7", "c2")),
        ("流程/手续", 1, ("c8",)),  # ties by name: 流 (U+6D41) before 系 (U+7CFB)
        ("系统/App故障", 1, ("c5",)),
    ]
    assert [(a.agent_id, a.count, a.causes, a.flagged) for a in result.by_agent] == [
        (7, 4, (("费用", 2), ("服务态度", 1), ("流程/手续", 1)), True),
        (8, 2, (("费用", 2),), False),
        (9, 1, (("服务态度", 1),), False),
    ]
    assert result.by_week == (("2026-W48", 3), ("2026-W49", 5))
    assert [a.flagged for a in analyse(complaints, threshold=1).by_agent] == [True, True, True]
    assert analyse([], threshold=2).by_cause == ()


@pytest.mark.parametrize(("now_days", "expected"), [
    (0, (3, 1, 0)),  # the coaching day: the complaint at the moment of it counts after
    (5.5, (3, 2, 5)),
    (40, (3, 3, 30)),  # the after window stops at 30 days: day 35 is not counted
])
def test_before_after_a_coaching(now_days: float, expected: tuple[int, int, int]) -> None:
    on = at(40)
    times = [at(5), at(10), at(20), at(39.9), at(40), at(45), at(69), at(75)]  # at(5): outside the 30 days
    assert before_after([t for t in times if t <= at(40 + now_days)], on, at(40 + now_days), 30) == expected


class ComplainingRasa(ScriptedRasa):
    """As ScriptedRasa, and 投诉 hands over for the reason complaint (the bot's complaint intent)."""

    async def send(self, sender: str, text: str) -> BotTurn:
        if "投诉" in text:
            self.calls.append((sender, text))
            return BotTurn(texts=[("非常抱歉给您带来不便，正在为您转接人工客服。", [])],
                           handoff={"reason": "complaint", "intent": "complaint", "confidence": 0.95, "slots": {}})
        return await super().send(sender, text)


@pytest.fixture()
def complaints_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, ComplainingRasa())) as client:  # type: ignore[arg-type]
        yield client


def served(client: TestClient, agent: Staff, text: str, disposition: str, note: str) -> Customer:
    c = Customer(client)
    c.say(text)
    agent.post(f"/api/v1/agent/conversations/{c.id}/messages", {"text": "您好，很高兴为您服务"})
    agent.post(f"/api/v1/agent/conversations/{c.id}/close", {"disposition": disposition, "note": note})
    return c


def make_complaints(client: TestClient) -> dict[str, Any]:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    rude = served(client, agent, "转人工", "complaint", "客户投诉坐席态度不耐烦")
    fee = served(client, agent, "转人工", "complaint", "客户反映手续费多扣")
    handed = served(client, agent, "我要投诉，你们的手续费太贵了", "resolved", "已解释收费标准")
    Customer(client).say("信用卡怎么还款")  # no complaint
    served(client, agent, "转人工", "resolved", "已解决")  # served, no complaint
    agent.patch_me(status="offline")
    waiting = Customer(client)
    waiting.say("投诉，App一直闪退")  # a complaint handoff nobody served
    return {"agent": agent, "rude": rude.id, "fee": fee.id, "handed": handed.id, "waiting": waiting.id}


def test_complaints_by_cause_and_agent_through_the_api(complaints_client: TestClient) -> None:
    client = complaints_client
    made = make_complaints(client)
    reviewer = Staff(client, "reviewer")
    report = reviewer.get(f"{Q}/complaints", days=7, threshold=3)
    assert (report["total"], report["unattributed"], report["threshold"]) == (4, 1, 3)
    assert [(c["cause"], c["count"], c["examples"]) for c in report["by_cause"]] == [
        ("费用", 2, [made["handed"], made["fee"]]),
        ("服务态度", 1, [made["rude"]]),
        ("系统/App故障", 1, [made["waiting"]]),
    ]
    assert report["by_agent"] == [{"username": "agent", "name": report["by_agent"][0]["name"], "count": 3,
                                   "causes": {"费用": 2, "服务态度": 1}, "flagged": True, "open_coaching": False}]
    week = dt.datetime.now(dt.timezone.utc).isocalendar()
    assert report["by_week"] == [{"period": f"{week[0]}-W{week[1]:02d}", "count": 4}]
    assert Staff(client, "supervisor").get(f"{Q}/complaints", threshold=4)["by_agent"][0]["flagged"] is False
    for who in ("agent", "trainer"):
        r = client.get(f"{Q}/complaints", headers=Staff(client, who).auth)
        assert r.status_code == 403
    assert client.get(f"{Q}/complaints", params={"threshold": 0},
                      headers=reviewer.auth).status_code == 422
