"""One-to-one coaching through the API: a supervisor records it for an agent the complaint analysis flagged
(the report then shows the coaching open), the agent reads their own, reviewers read all; a complaint after it
counts as after; closing with the outcome, once; every refusal (403 for agents, reviewers and trainers creating
or closing, 404 unknown agent or record, 409 closing twice, 422 a follow-up in the past); audited. The engine
with a clock moved on shows whether the complaints fell."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.feedback.config import load_config
from api.quality.coaching import Coaching
from api.store.models import User
from tests.api.conftest import Staff
from tests.api.quality.test_complaints import complaints_client, make_complaints, served  # noqa: F401 - fixture

Q = "/api/v1/quality"


def test_coaching_records_flow_and_permissions(complaints_client: TestClient) -> None:  # noqa: F811
    client = complaints_client
    made = make_complaints(client)
    boss, reviewer, agent = Staff(client, "supervisor"), Staff(client, "reviewer"), made["agent"]
    tomorrow = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    body = {"agent": "agent", "reason": "近 7 天投诉 3 次（费用、服务态度）", "plan": "复盘录音，练习收费解释话术",
            "follow_up_on": tomorrow}
    for who in (agent, reviewer, Staff(client, "trainer")):
        assert client.post(f"{Q}/coaching", json=body, headers=who.auth).status_code == 403
    assert client.post(f"{Q}/coaching", json={**body, "agent": "trainer"}, headers=boss.auth).status_code == 404
    past = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    r = client.post(f"{Q}/coaching", json={**body, "follow_up_on": past}, headers=boss.auth)
    assert r.status_code == 422 and "跟进日期" in r.json()["detail"]

    record = boss.post(f"{Q}/coaching", body, status=201)
    assert (record["agent"], record["created_by"], record["status"], record["follow_up_on"]) == (
        "agent", "supervisor", "open", tomorrow)
    assert (record["complaints_before"], record["complaints_after"], record["overdue"]) == (3, 0, False)
    assert reviewer.get(f"{Q}/complaints", threshold=3)["by_agent"][0]["open_coaching"] is True

    agent.patch_me(status="online")  # takes the complaint handoff that waited: now one of theirs (before)
    served(client, agent, "转人工", "complaint", "客户投诉等待太久")  # a complaint after the coaching
    (mine,) = agent.get(f"{Q}/coaching")
    assert (mine["id"], mine["complaints_before"], mine["complaints_after"]) == (record["id"], 4, 1)
    assert reviewer.get(f"{Q}/coaching", status="open")[0]["id"] == record["id"]
    assert reviewer.get(f"{Q}/coaching", status="closed") == []

    for who in (agent, reviewer):
        r = client.post(f"{Q}/coaching/{record['id']}/close", json={"outcome": "x"}, headers=who.auth)
        assert r.status_code == 403
    assert client.post(f"{Q}/coaching/999/close", json={"outcome": "x"}, headers=boss.auth).status_code == 404
    closed = boss.post(f"{Q}/coaching/{record['id']}/close", {"outcome": "话术已掌握，跟进期内投诉 1 次"})
    assert (closed["status"], closed["closed_by"], closed["outcome"]) == ("closed", "supervisor",
                                                                         "话术已掌握，跟进期内投诉 1 次")
    r = client.post(f"{Q}/coaching/{record['id']}/close", json={"outcome": "再次"}, headers=boss.auth)
    assert r.status_code == 409
    assert reviewer.get(f"{Q}/complaints", threshold=3)["by_agent"][0]["open_coaching"] is False
    actions = [(e["action"], e["target"]) for e in boss.get("/api/v1/supervisor/audit", actor="supervisor")
               if e["action"].startswith("coaching")]
    assert actions == [("coaching_close", "agent"), ("coaching_create", "agent")]


def test_a_coaching_shows_whether_complaints_fell(complaints_client: TestClient) -> None:  # noqa: F811
    client = complaints_client
    make_complaints(client)
    boss = Staff(client, "supervisor")
    record = boss.post(f"{Q}/coaching", {"agent": "agent", "reason": "投诉多", "plan": "一对一辅导",
                                         "follow_up_on": dt.date.today().isoformat()}, status=201)
    settings = client.app.state.settings  # type: ignore[attr-defined]
    later = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(days=10)
    engine = Coaching(client.app.state.sessions,  # type: ignore[attr-defined]
                      lambda: load_config(settings.feedback_file), now=lambda: later)
    (out,) = engine.records(_user(client, "supervisor"), None)
    assert out.id == record["id"]
    assert (out.complaints_before, out.complaints_after, out.days_after, out.overdue) == (3, 0, 10, True)


def _user(client: TestClient, username: str) -> User:
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        user = db.scalars(select(User).where(User.username == username)).one()
        db.expunge(user)
        return user
