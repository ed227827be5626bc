"""Issue 12, finding 8 (the server's side of the widget): buttons act once — after the customer moved on, a
button from an earlier step is marked expired (the widget draws it disabled, also after a reload) and a click
on it is refused, so tapping 3 from an old survey can no longer reach the bot; one queue message built from the
configured service hours replaces the bot's own announcement and the separate 暂无人工客服在线 notice; and the
wait a customer is told is smoothed and never grows while they move forward (a pure function, oracle-tested)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from api.app import create_app
from api.conversation.texts import hours_label
from api.conversation.wait_estimate import Told, smoothed_wait_s
from api.settings import Settings
from tests.api.conftest import Customer, ScriptedRasa, Staff


def texts_of(reply: dict) -> list[str]:
    return [m["text"] for m in reply["messages"]]


def test_buttons_of_an_earlier_survey_are_inert_and_refused(client: TestClient, rasa: ScriptedRasa) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    c = Customer(client)
    c.say("转人工")
    agent.post(f"/api/v1/agent/conversations/{c.id}/close", {"disposition": "resolved"})
    nps = c.history()["messages"][-1]
    assert len(nps["buttons"]) == 11 and nps["buttons_expired"] is False
    c.say("我想查一下余额")  # the customer moves on without answering: the survey is over
    reloaded = {m["id"]: m for m in c.history()["messages"]}
    assert reloaded[nps["id"]]["buttons_expired"] is True  # a reload draws them disabled
    calls = len(rasa.calls)
    r = client.post(f"/api/v1/conversations/{c.id}/messages", json={"payload": '/survey_nps{"score":3}'},
                    headers=c.auth)
    assert r.status_code == 409 and "该选项已失效" in r.json()["detail"]
    assert len(rasa.calls) == calls  # nothing reached the bot
    assert "3" not in [m["text"] for m in c.history()["messages"] if m["from"] == "customer"]
    welcome = c.created["messages"][0]
    assert reloaded[welcome["id"]]["buttons_expired"] is True
    r = client.post(f"/api/v1/conversations/{c.id}/messages", json={"payload": "/kb_helpful"}, headers=c.auth)
    assert r.status_code == 409  # a payload no button ever offered
    assert c.say(payload="/human_handoff")["state"] in ("queued", "agent")  # the quick replies always work


def test_a_live_button_acts_once(client: TestClient) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    c = Customer(client)
    c.say("转人工")
    agent.post(f"/api/v1/agent/conversations/{c.id}/close", {"disposition": "resolved"})
    assert "满意" in str(c.say(payload='/survey_nps{"score":9}'))
    r = client.post(f"/api/v1/conversations/{c.id}/messages", json={"payload": '/survey_nps{"score":3}'},
                    headers=c.auth)
    assert r.status_code == 409  # a second tap on the same scale


def test_one_queue_message_from_the_configured_hours(client: TestClient) -> None:
    c = Customer(client)
    reply = c.say("转人工")  # the bot answers with its own announcement and a handoff signal
    said = texts_of(reply)[1:]
    assert len(said) == 1, said  # not the bot's 7×24 announcement, and no second 暂无人工客服在线
    (notice,) = said
    assert "人工服务时间：全天24小时" in notice and "前面还有0位" in notice and "暂无空闲坐席" in notice
    assert "正在为您转接人工客服，请稍候。" not in notice and "当前暂无人工客服在线" not in notice
    assert {b["payload"] for b in reply["messages"][-1]["buttons"]} == {"/keep_waiting", "/leave_message"}
    agent = Staff(client, "agent")
    agent.patch_me(status="online", capacity=1)  # takes c
    Customer(client).say("转人工")  # first in line
    busy = Customer(client).say("转人工")["messages"][-1]["text"]
    assert "前面还有1位" in busy and "预计等待约" in busy and "暂无空闲坐席" not in busy


def test_the_hours_in_the_message_are_the_bridges(tmp_path: Path, rasa: ScriptedRasa) -> None:
    assert hours_label("00:00-00:00") == "全天24小时" and hours_label("08:30-20:00") == "每天08:30-20:00"
    assert hours_label("20:00-08:00") == "每天20:00-08:00（次日）"
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, service_hours="00:00-23:59")
    with TestClient(create_app(settings, rasa)) as client:  # type: ignore[arg-type]
        assert "人工服务时间：每天00:00-23:59" in Customer(client).say("转人工")["messages"][-1]["text"]


@pytest.mark.parametrize("raw, position, last, told", [
    (1620, 9, None, 1620),  # the first estimate is the raw one
    (360, 6, Told(1620, 9), 1080),  # 9th -> 6th: at most two thirds of the last; blended 1116 is more
    (2000, 6, Told(1080, 6), 1080),  # same place, the raw estimate jumps up: the told one does not
    (100, 6, Told(1080, 6), 688),  # same place, the raw estimate drops: it follows, smoothed
    (900, 8, Told(600, 5), 720),  # put back in the queue (8th after 5th): may grow, smoothed
    (0, 1, Told(60, 1), 36),
])
def test_smoothed_wait_oracle(raw: int, position: int, last: Told | None, told: int) -> None:
    assert smoothed_wait_s(raw, position, last) == told


@given(st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 3)), min_size=1, max_size=30),
       st.integers(1, 40))
def test_never_longer_while_moving_forward(steps: list[tuple[int, int]], start: int) -> None:
    """Whatever the raw estimates do, while the position does not grow the wait told does not either."""
    position, last = start, None
    for raw, advance in steps:
        position = max(1, position - advance)
        told = smoothed_wait_s(raw, position, last)
        if last is not None:
            assert told <= last.wait_s
        last = Told(told, position)


def test_the_widget_gets_a_wait_that_does_not_jump_up(tmp_path: Path, rasa: ScriptedRasa) -> None:
    """The reported jumps came from the raw estimate following who is on duty. Here a colleague steps away while
    the customer moves up from 3rd to 2nd: the raw estimate triples, the wait told still shrinks."""
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass", default_handle_time_s=180)
    with TestClient(create_app(settings, rasa)) as client:  # type: ignore[arg-type]
        agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
        agent.patch_me(status="online", capacity=1)
        boss.patch_me(status="online", capacity=3)
        served = [Customer(client) for _ in range(4)]
        for c in served:
            c.say("转人工")
        ahead = [Customer(client) for _ in range(2)]
        for c in ahead:
            c.say("转人工")
        me = Customer(client)
        first = me.say("转人工")
        assert first["queue_position"] == 3 and first["estimated_wait_s"] == 180  # 3rd with 4 seats
        boss.patch_me(status="away")  # 1 seat on duty now: the raw estimate for 3rd is 540 s
        mine = agent.get("/api/v1/agent/conversations")[0]["id"]
        agent.post(f"/api/v1/agent/conversations/{mine}/close", {"disposition": "resolved"})
        later = me.history()
        assert later["queue_position"] == 2 and later["estimated_wait_s"] <= first["estimated_wait_s"]
