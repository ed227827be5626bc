"""The measures the surge engine applies by itself: level 2 raises every agent's capacity by the configured step
and the router uses it; stepping down restores it, keeps a capacity changed by hand, and names an agent left over
capacity (status and audit) instead of cutting anyone off; the widget's notice carries the expected wait and
offers 留言 first at level 2; a restart keeps a level set by hand while it holds, then steps down and
restores. Pure parts against hand-computed tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.store.models import utcnow
from api.surge.capacity import raised_capacity, restored_capacity
from api.surge.control import notice_text
from api.surge.levels import Bounds, LevelRule, SurgeRules
from tests.api.conftest import Customer, ScriptedRasa, Staff

RULES = SurgeRules(level1=LevelRule(enter=Bounds(queued=2, longest_wait_s=600, per_agent=2),
                                    exit=Bounds(queued=0, longest_wait_s=300, per_agent=1)),
                   level2=LevelRule(enter=Bounds(queued=4, longest_wait_s=900, per_agent=4),
                                    exit=Bounds(queued=2, longest_wait_s=600, per_agent=3)),
                   min_hold_s=0, manual_hold_s=600, capacity_step=2)


@pytest.mark.parametrize(("base", "step", "raised"), [(3, 2, 5), (1, 1, 2), (19, 2, 20), (20, 3, 20), (4, 0, 4)])
def test_raised_capacity_stays_within_the_bound(base: int, step: int, raised: int) -> None:
    assert raised_capacity(base, step) == raised


@pytest.mark.parametrize(("current", "base", "raised", "restored"),
                         [(5, 3, 5, 3), (4, 3, 5, 4), (8, 3, 5, 8), (2, 2, 4, 2)])
def test_restored_capacity_keeps_a_hand_change(current: int, base: int, raised: int, restored: int) -> None:
    assert restored_capacity(current, base, raised) == restored


@pytest.mark.parametrize(("level", "wait_s", "expected"), [
    (0, 600, None),
    (1, 20, "当前咨询量较大，人工客服需要排队，预计等待约 1 分钟。您也可以选择留言，我们会尽快回电。"),
    (2, 540, "当前咨询量非常大，人工客服繁忙，预计等待约 9 分钟。建议您留言，我们将在承诺时限内回电。"),
])
def test_notice_text(level: int, wait_s: int, expected: str | None) -> None:
    assert notice_text(level, wait_s) == expected


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass", surge=RULES,
                    default_handle_time_s=120)


@pytest.fixture()
def surge_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, ScriptedRasa())) as client:  # type: ignore[arg-type]
        yield client


def tick(client: TestClient) -> dict[str, Any]:
    return client.app.state.surge.observe().model_dump()  # type: ignore[attr-defined]


def capacity_of(staff: Staff) -> int:
    return int(staff.get("/api/v1/agent/me")["capacity"])


def test_level_2_raises_capacity_the_router_uses_and_stepping_down_restores_it(surge_client: TestClient) -> None:
    client = surge_client
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online", capacity=1)
    customers = [Customer(client) for _ in range(6)]
    customers[0].say("转人工")  # served at once
    for c in customers[1:3]:
        c.say("转人工")
    assert tick(client)["level"] == 1
    assert capacity_of(agent) == 1  # level 1 leaves capacities alone
    notice = client.get("/api/v1/surge/notice").json()
    # 2 queued, one agent online with capacity 1: the 3rd in line waits ceil(3/1) * 120 s
    assert notice == {"level": 1, "notice": notice_text(1, 360), "expected_wait_s": 360,
                      "leave_message_first": False}
    for c in customers[3:]:
        c.say("转人工")
    status = tick(client)
    assert (status["level"], status["capacity_raised"]) == (2, 2)  # the agent and the supervisor
    assert capacity_of(agent) == 3 and capacity_of(boss) == 5
    notice = client.get("/api/v1/surge/notice").json()
    assert notice["leave_message_first"] is True and notice["notice"].startswith("当前咨询量非常大")
    assert client.portal is not None
    service = client.app.state.chat  # type: ignore[attr-defined]
    client.portal.call(service.tick)  # the queue's tick
    assert agent.get("/api/v1/agent/me")["load"] == 3  # the raised capacity is used: two more chats
    raised = boss.get("/api/v1/supervisor/audit", action="surge_capacity", actor="system")
    assert {e["target"]: e["detail"]["capacity"] for e in raised}["agent"] == "1->3"

    boss.post("/api/v1/surge/level", {"level": 0, "reason": "排队已缓解"})
    status = boss.get("/api/v1/surge")
    assert status["capacity_raised"] == 0
    assert capacity_of(agent) == 1 and capacity_of(boss) == 3  # restored
    assert status["over_capacity"] == [{"username": "agent", "load": 3, "capacity": 1}]  # named, not cut off
    (entry, *_) = boss.get("/api/v1/supervisor/audit", action="surge_over_capacity")
    assert entry["target"] == "agent 3/1"
    assert agent.get("/api/v1/agent/me")["over_capacity"] is True


def test_a_capacity_changed_by_hand_at_level_2_is_kept(surge_client: TestClient) -> None:
    client = surge_client
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    boss.post("/api/v1/surge/level", {"level": 2, "reason": "演练"})
    assert capacity_of(agent) == 5  # 3 + 2
    agent.patch_me(capacity=6)
    tick(client)  # the tick does not raise an agent twice
    assert capacity_of(agent) == 6
    boss.post("/api/v1/surge/level", {"level": 1, "reason": "演练结束"})
    assert capacity_of(agent) == 6 and capacity_of(boss) == 3


def test_a_restart_in_level_2_restores_capacities(settings: Settings) -> None:
    with TestClient(create_app(settings, ScriptedRasa())) as client:  # type: ignore[arg-type]
        Staff(client, "supervisor").post("/api/v1/surge/level", {"level": 2, "reason": "演练"})
        assert capacity_of(Staff(client, "agent")) == 5
    with TestClient(create_app(settings, ScriptedRasa())) as client:  # type: ignore[arg-type]
        assert tick(client)["level"] == 2  # the level set by hand still holds after the restart
        assert capacity_of(Staff(client, "agent")) == 5
        later = utcnow() + dt.timedelta(seconds=settings.surge.manual_hold_s + 1)
        client.app.state.surge.now = lambda: later  # type: ignore[attr-defined]  # the hold has run out
        assert tick(client)["level"] == 1  # an empty queue: one level down
        assert capacity_of(Staff(client, "agent")) == 3
