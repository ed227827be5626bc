"""Schema migrations match the models; queue timeout and service hours offer 留言; metrics are well formed."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from api.app import create_app
from api.reports.prometheus import bucketize, histogram_lines
from api.settings import Settings
from api.store.database import make_engine
from api.store.migrate import upgrade
from api.store.models import Base
from tests.api.conftest import Customer, ScriptedRasa, Staff


def test_migrations_build_exactly_the_models_schema(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    upgrade(engine)  # idempotent
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_queue_timeout_offers_a_leave_message_once(tmp_path: Path, rasa: ScriptedRasa) -> None:
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, queue_timeout_s=60, demo_password="x1234")
    app = create_app(settings, rasa)  # type: ignore[arg-type]
    with TestClient(app) as client:
        Staff(client, "agent", "x1234").patch_me(status="online", capacity=1)
        Customer(client).say("转人工")  # takes the only seat
        c = Customer(client)
        c.say("转人工")
        service = app.state.chat
        later = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(seconds=61)
        service.now = lambda: later
        assert client.portal is not None
        client.portal.call(service.tick)
        client.portal.call(service.tick)
        history = c.history()["messages"]
        timeouts = [m for m in history if "排队人数较多" in m["text"]]
        assert len(timeouts) == 1 and {b["payload"] for b in timeouts[0]["buttons"]} == {"/keep_waiting",
                                                                                          "/leave_message"}
        reply = c.say(payload="/keep_waiting")
        assert reply["state"] == "queued" and "前面还有0位" in reply["messages"][-1]["text"]


def test_outside_service_hours_only_a_leave_message_is_offered(tmp_path: Path, rasa: ScriptedRasa) -> None:
    now = dt.datetime.now()
    start, end = (now + dt.timedelta(hours=1)).strftime("%H:%M"), (now + dt.timedelta(hours=2)).strftime("%H:%M")
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, service_hours=f"{start}-{end}")
    with TestClient(create_app(settings, rasa)) as client:  # type: ignore[arg-type]
        reply = Customer(client).say("转人工")
        assert reply["state"] == "bot" and "不在人工客服服务时间" in reply["messages"][-1]["text"]


def test_service_hours_across_midnight() -> None:
    s = Settings(service_hours="20:00-08:00")
    assert s.in_service_hours(dt.datetime(2026, 1, 1, 23, 0)) and s.in_service_hours(dt.datetime(2026, 1, 1, 7, 59))
    assert not s.in_service_hours(dt.datetime(2026, 1, 1, 12, 0))
    assert Settings(service_hours="00:00-00:00").in_service_hours(dt.datetime(2026, 1, 1, 3, 0))


def test_histogram_lines_are_cumulative_prometheus_text() -> None:
    counts, total, n = bucketize([0.01, 0.2, 0.2, 7.0, 99.0], (0.1, 1.0, 10.0))
    lines = histogram_lines("x_seconds", "help", (0.1, 1.0, 10.0), counts, total, n)
    assert lines[2:] == ['x_seconds_bucket{le="0.1"} 1', 'x_seconds_bucket{le="1"} 3', 'x_seconds_bucket{le="10"} 4',
                         'x_seconds_bucket{le="+Inf"} 5', "x_seconds_sum 106.41", "x_seconds_count 5"]


def test_metrics_endpoint_is_parseable(client: TestClient) -> None:
    Customer(client).say("你好")
    text = client.get("/metrics").text
    sample = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.]+(e[+-]?[0-9]+)?$')
    for line in text.strip().splitlines():
        assert line.startswith("# ") or sample.match(line), line
    assert 'bridge_messages_total{sender="customer",state="bot"} 1' in text
    assert "bridge_queue_length 0" in text
