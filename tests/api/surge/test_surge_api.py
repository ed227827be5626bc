"""The surge response through the API: customers queue up behind one agent, the tick raises level 1 then 2;
a supervisor coming online clears the queue and the tick steps down one level at a time, staying at level 1
while one customer still waits (hysteresis); a level set by hand holds; every change audited; the widget's
notice; refusals for the wrong role and a level that does not exist; the level in force outlives a restart and is
the same in every bridge process on one database (a second process sees a supervisor's change)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.store.models import utcnow
from api.surge.levels import Bounds, LevelRule, SurgeRules
from tests.api.conftest import Customer, ScriptedRasa, Staff

RULES = SurgeRules(level1=LevelRule(enter=Bounds(queued=2, longest_wait_s=600, per_agent=2),
                                    exit=Bounds(queued=0, longest_wait_s=300, per_agent=1)),
                   level2=LevelRule(enter=Bounds(queued=4, longest_wait_s=900, per_agent=4),
                                    exit=Bounds(queued=2, longest_wait_s=600, per_agent=3)),
                   min_hold_s=0, manual_hold_s=600, capacity_step=0)  # raised capacities: test_measures.py


@pytest.fixture()
def surge_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass", surge=RULES)
    with TestClient(create_app(settings, ScriptedRasa())) as client:  # type: ignore[arg-type]
        yield client


def tick(client: TestClient) -> dict[str, Any]:
    return client.app.state.surge.observe().model_dump()  # type: ignore[attr-defined]


def test_a_queue_raises_both_levels_and_clearing_it_steps_down_with_hysteresis(surge_client: TestClient) -> None:
    client = surge_client
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online", capacity=1)
    customers = [Customer(client) for _ in range(5)]
    customers[0].say("转人工")  # served at once
    assert tick(client)["level"] == 0
    for c in customers[1:3]:
        c.say("转人工")
    status = tick(client)
    assert (status["level"], status["stats"]["queued"], status["stats"]["per_agent"]) == (1, 2, 2.0)
    assert "告知排队客户真实等待时间" in "".join(status["measures"])
    for c in customers[3:]:
        c.say("转人工")
    assert tick(client)["level"] == 2
    assert client.get("/api/v1/surge/notice").json()["notice"].startswith("当前咨询量非常大")

    boss.patch_me(status="online", capacity=3)  # takes three of the four waiting
    status = tick(client)
    assert (status["level"], status["stats"]["queued"]) == (1, 1)  # level 2's exit cleared: one level down
    assert tick(client)["level"] == 1  # one still waits: level 1's exit (0) not cleared
    boss.patch_me(capacity=4)
    assert tick(client)["level"] == 0
    assert client.get("/api/v1/surge/notice").json() == {"level": 0, "notice": None, "expected_wait_s": None,
                                                         "leave_message_first": False}
    changes = [e["target"] for e in boss.get("/api/v1/supervisor/audit", action="surge_level")]
    assert changes == ["1->0", "2->1", "1->2", "0->1"]  # newest first


def test_a_level_set_by_hand_holds_and_only_supervisors_set_it(surge_client: TestClient) -> None:
    client = surge_client
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    assert agent.get("/api/v1/surge")["level"] == 0  # agents read it (their console)
    r = client.post("/api/v1/surge/level", json={"level": 2, "reason": "系统故障预警"}, headers=agent.auth)
    assert r.status_code == 403
    r = client.post("/api/v1/surge/level", json={"level": 3, "reason": "x"}, headers=boss.auth)
    assert r.status_code == 422
    assert client.get("/api/v1/surge").status_code == 401
    raised = boss.post("/api/v1/surge/level", {"level": 2, "reason": "系统故障预警"})
    assert (raised["level"], raised["manual"], raised["set_by"]) == (2, True, "supervisor")
    assert tick(client)["level"] == 2  # an empty queue does not step it down while the hand-set level holds
    later = utcnow() + dt.timedelta(seconds=RULES.manual_hold_s + 1)
    client.app.state.surge.now = lambda: later  # type: ignore[attr-defined]  # the hold has run out
    assert tick(client)["level"] == 1
    (entry, *_) = boss.get("/api/v1/supervisor/audit", action="surge_level")
    assert entry["target"] == "2->1" and entry["actor"] == "system"
    manual = boss.get("/api/v1/supervisor/audit", action="surge_level", actor="supervisor")
    assert manual[0]["detail"]["reason"] == "系统故障预警" and manual[0]["detail"]["manual"] is True


def test_the_level_outlives_a_restart_and_every_process_on_the_database_reads_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass", surge=RULES)
    first, second = (create_app(settings, ScriptedRasa()) for _ in range(2))  # type: ignore[arg-type]
    with TestClient(first) as a, TestClient(second) as b:
        boss_a, agent_b = Staff(a, "supervisor"), Staff(b, "agent")
        b.app.state.surge.refresh()  # type: ignore[attr-defined]  # b has read the level (0) just now
        assert agent_b.get("/api/v1/surge")["level"] == 0
        boss_a.post("/api/v1/surge/level", {"level": 2, "reason": "系统故障预警"})
        b.app.state.surge.refresh()  # type: ignore[attr-defined]  # what REFRESH_S seconds would do
        seen = agent_b.get("/api/v1/surge")
        assert (seen["level"], seen["manual"], seen["set_by"]) == (2, True, "supervisor")
        assert tick(b)["level"] == 2  # b's tick respects the hold a supervisor set through a
        assert b.get("/api/v1/surge/notice").json()["leave_message_first"] is True
    with TestClient(create_app(settings, ScriptedRasa())) as restarted:  # type: ignore[arg-type]
        status = Staff(restarted, "agent").get("/api/v1/surge")
        assert (status["level"], status["manual"]) == (2, True)  # not back to 0 after a restart
        later = utcnow() + dt.timedelta(seconds=RULES.manual_hold_s + 1)
        restarted.app.state.surge.now = lambda: later  # type: ignore[attr-defined]
        assert tick(restarted)["level"] == 1  # the hold over, the empty queue steps it down one level
