"""``python -m api demo-data``: refused outside development; in development it drives traffic through the engine
(so the rows are the engine's: handoffs with waits, wrap-ups, surveys, 留言, flags) and the reports read a
believable spread of figures from them, with every demo agent offline again at the end."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.cli import main as cli_main
from api.reports.demo import DemoRefused, run_demo
from api.reports.facts import Filters
from api.reports.periods import DateRange, local_day
from api.reports.queries import facts_for, rules_of
from api.reports.report import build_report
from api.settings import Settings
from api.store.database import open_database
from api.store.models import Conversation, Handoff, Message, Survey, User, WrapUp, utcnow


def test_refused_outside_development(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    production = Settings.model_construct(data_dir=tmp_path, environment="production")
    with pytest.raises(DemoRefused, match="开发模式"):
        run_demo(production, 2)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("APP_ENV", "production")
    for name in ("RASA_JWT_SECRET", "RASA_CHANNEL_SECRET"):  # a production deployment that would start
        monkeypatch.setenv(name, secrets.token_hex(24))
    assert cli_main(["demo-data", "--days", "2"]) == 2  # refused before anything else is checked
    assert "开发模式" in capsys.readouterr().err
    assert not (tmp_path / "bridge").exists()  # no database was even opened


def test_a_fortnight_of_demo_traffic_through_the_engine(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass")
    summary = run_demo(settings, days=14, per_day=25, seed=4)
    conversations = int(re.search(r"conversations (\d+)", summary).group(1))  # type: ignore[union-attr]
    _, sessions = open_database(settings.db_url)
    with sessions() as db:
        assert db.scalar(select(func.count()).select_from(Conversation)) == conversations
        assert db.scalar(select(func.count()).select_from(Message).where(Message.sender == "agent")) > 0
        assert db.scalar(select(func.count()).select_from(Handoff).where(Handoff.wait_s > 0)) > 0
        assert db.scalar(select(func.count()).select_from(WrapUp)) > 0
        assert db.scalar(select(func.count()).select_from(Survey).where(Survey.nps.is_not(None))) > 0
        assert set(db.scalars(select(User.status)).all()) == {"offline"}
        first = db.scalar(select(func.min(Conversation.created_at)))
    today = local_day(utcnow(), settings.report_utc_offset_h)
    assert first is not None and local_day(first, 8) >= today - dt.timedelta(days=14)
    r = DateRange(today - dt.timedelta(days=14), today - dt.timedelta(days=1))
    report = build_report(facts_for(sessions, r, 8), r, "day", Filters(), rules_of(settings))
    k = report.current
    assert k.conversations == conversations
    assert all(p.kpis.conversations > 0 for p in report.series)  # every day has traffic
    assert 40 < (k.bot_self_service_rate or 0) < 95
    assert k.kb_answer_rate and k.kb_suggest_rate and k.kb_fallback_rate
    assert k.connect_rate is not None and 30 < k.connect_rate <= 100
    assert k.avg_wait_s and k.p90_wait_s and k.p90_wait_s >= k.avg_wait_s * 0.5 and k.avg_handle_s
    assert k.nps_answers > 5 and k.csat_answers > 5 and k.nps is not None
    assert {s.key for s in report.by_skill_group} >= {"信用卡", "通用"}
    assert len([s for s in report.by_agent if s.key.startswith("demo_")]) >= 2
