"""The reports API from outside, on traffic driven through the app (scripted bot): the day's KPIs are the ones
worked out by hand from the story below, the drill-down names the conversations behind a number with masked
transcripts, exports (CSV, XLSX opened with openpyxl) hold the API's totals, the daily report is written once
after midnight and by the CLI, a request out of service hours is recorded, and only supervisors get in."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from api.cli import main as cli_main
from api.reports.daily import DailyReports
from api.reports.periods import local_day
from api.settings import Settings
from api.store.database import open_database
from api.store.models import Handoff, utcnow
from tests.api.conftest import Customer, ScriptedRasa, Staff

KPIS = "/api/v1/reports/kpis"


def today() -> str:
    return local_day(utcnow(), 8).isoformat()


def story(client: TestClient) -> dict[str, Customer]:
    """Five customers today: A asks the KB (answered); B asks for a human, is served, the agent's 服务小结 is a
    complaint and B scores NPS 3 / 不满意; C asks for a human while the only agent is busy and leaves the queue;
    D leaves a 留言 (not called back); E swears (a sensitive-word hit)."""
    agent = Staff(client, "agent")
    agent.patch_me(status="online", capacity=1)
    a, b, c, d, e = (Customer(client) for _ in range(5))
    a.say("水电费怎么代扣")
    assert b.say("转人工")["state"] == "agent"
    assert c.say("转人工")["state"] == "queued"
    assert client.post(f"/api/v1/conversations/{c.id}/end", headers=c.auth).status_code == 200
    b.say("我的手机号是13912345678")
    agent.post(f"/api/v1/agent/conversations/{b.id}/messages", {"text": "您好，请问有什么可以帮您？"})
    agent.post(f"/api/v1/agent/conversations/{b.id}/close", {"disposition": "complaint", "note": "客户投诉等待久"})
    b.say(payload='/survey_nps{"score":3}')
    b.say(payload='/survey_csat{"rating":"不满意"}')
    r = client.post(f"/api/v1/conversations/{d.id}/leave-message", headers=d.auth,
                    json={"callback_number": "13912345678", "text": "请回电"})
    assert r.status_code == 200, r.text
    e.say("你们是垃圾客服吗")
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_the_days_kpis_match_the_story(client: TestClient) -> None:
    people = story(client)
    boss = Staff(client, "supervisor")
    day = today()
    report = boss.get(KPIS, start=day, end=day)
    k = report["current"]
    assert k["conversations"] == 5
    assert k["bot_self_service_rate"] == 60.0  # A, D, E never asked for a human
    assert (k["kb_lookups"], k["kb_answer_rate"]) == (1, 100.0)
    assert k["handoff_requests"] == 2 and k["out_of_hours_requests"] == 0
    assert k["connect_rate"] == 50.0 and k["abandon_rate"] == 50.0  # B at once, C left
    assert k["avg_wait_s"] is not None and k["avg_wait_s"] < 60
    assert (k["leave_messages"], k["callback_sla_rate"]) == (1, 0.0)
    assert (k["csat_answers"], k["satisfaction_rate"]) == (1, 0.0)
    assert (k["nps_answers"], k["nps"]) == (1, -100.0)
    assert (k["complaints"], k["complaint_rate"]) == (1, 20.0)
    assert k["sensitive_hits"] == 1
    assert report["previous"]["conversations"] == 0 and report["change"]["conversations"] == 5.0
    defs = boss.get("/api/v1/reports/definitions")
    assert [d["key"] for d in defs] == list(k) and defs == report["definitions"]  # every KPI has its formula
    assert report["handoffs_by_reason"] == {"customer_request": 2}
    assert report["nps_distribution"]["counts"][3] == 1
    agents = {s["key"]: s["kpis"] for s in report["by_agent"]}
    assert agents["agent"]["complaints"] == 1 and agents["agent"]["nps"] == -100.0
    only_agent = boss.get(KPIS, start=day, end=day, agent="agent")["current"]
    assert only_agent["conversations"] == 1 and only_agent["handoff_requests"] == 1  # B (C had no agent)

    drill = boss.get("/api/v1/reports/drilldown", kpi="complaints", start=day, end=day)
    assert drill["count"] == 1 and [c["conversation_id"] for c in drill["conversations"]] == [people["b"].id]
    drill = boss.get("/api/v1/reports/drilldown", kpi="abandoned", start=day, end=day)
    assert [c["conversation_id"] for c in drill["conversations"]] == [people["c"].id]
    drill = boss.get("/api/v1/reports/drilldown", kpi="bot_self_service", start=day, end=day)
    assert {c["conversation_id"] for c in drill["conversations"]} == {people[x].id for x in "ade"}
    messages = boss.get("/api/v1/reports/drilldown", kpi="messages", start=day, end=day)
    assert messages["count"] == k["messages"]
    transcript = boss.get(f"/api/v1/reports/conversations/{people['b'].id}")
    texts = " ".join(m["text"] for m in transcript["messages"])
    assert "139****5678" in texts and "13912345678" not in texts  # masked
    (viewed,) = boss.get("/api/v1/supervisor/audit", action="report_view_conversation")
    assert (viewed["actor"], viewed["target"]) == ("supervisor", people["b"].id)


def test_exports_hold_the_apis_totals(client: TestClient) -> None:
    story(client)
    boss = Staff(client, "supervisor")
    start = (local_day(utcnow(), 8) - dt.timedelta(days=6)).isoformat()
    params = {"start": start, "end": today(), "granularity": "day"}
    report = boss.get(KPIS, **params)
    r = client.get("/api/v1/reports/export.xlsx", params=params, headers=boss.auth)
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    summary = {row[1]: row for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    for key in ("conversations", "messages", "handoff_requests", "complaints", "nps", "connect_rate"):
        assert summary[key][2] == report["current"][key], key
    trend = list(book["趋势"].iter_rows(values_only=True))
    column = trend[0].index("会话量")
    assert len(trend) == 8 and sum(row[column] for row in trend[1:]) == report["current"]["conversations"]
    channels = list(book["按渠道"].iter_rows(values_only=True))
    assert sum(row[column - 2] for row in channels[1:]) == report["current"]["conversations"]
    nps = {row[0]: row[1] for row in book["NPS分布"].iter_rows(min_row=2, values_only=True)}
    assert nps[3] == 1 and nps["贬损者"] == 1 and nps["NPS"] == report["current"]["nps"]

    r = client.get("/api/v1/reports/export.csv", params=params, headers=boss.auth)
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    rows = {row[1]: row for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig")))}
    assert rows["conversations"][2] == str(report["current"]["conversations"])
    assert rows["complaint_rate"][2] == str(report["current"]["complaint_rate"])
    exports = boss.get("/api/v1/supervisor/audit", action="report_export")
    assert [(e["actor"], e["target"].rsplit(".", 1)[1]) for e in exports] == [("supervisor", "csv"),
                                                                               ("supervisor", "xlsx")]


def test_only_supervisors_see_reports(client: TestClient) -> None:
    people = story(client)
    paths = [KPIS, "/api/v1/reports/drilldown?kpi=conversations", "/api/v1/reports/export.xlsx",
             "/api/v1/reports/export.csv", f"/api/v1/reports/conversations/{people['a'].id}",
             "/api/v1/reports/definitions"]
    for username in ("agent", "trainer"):
        staff = Staff(client, username)
        for path in paths:
            r = client.get(path, headers=staff.auth)
            assert r.status_code == 403 and "无权限" in r.json()["detail"], (username, path)
    for headers in ({}, people["a"].auth):  # nobody signed in; a customer's conversation token is no staff login
        for path in paths:
            assert client.get(path, headers=headers).status_code == 401, path
    boss = Staff(client, "supervisor")
    r = client.get("/api/v1/reports/drilldown", params={"kpi": "nonsense"}, headers=boss.auth)
    assert r.status_code == 422 and "未知的指标" in r.json()["detail"]
    r = client.get(KPIS, params={"start": "2026-11-05", "end": "2026-11-01"}, headers=boss.auth)
    assert r.status_code == 422 and "结束日期" in r.json()["detail"]


def test_the_daily_report_is_written_once_after_midnight_and_by_the_cli(
        client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    story(client)
    _, sessions = open_database(settings.db_url)
    tomorrow_noon = utcnow() + dt.timedelta(days=1)
    reports = DailyReports(sessions, settings, now=lambda: tomorrow_noon)
    written = reports.run_due()
    assert written is not None and written.name == f"{today()}.json"
    assert json.loads(written.read_text(encoding="utf-8"))["current"]["conversations"] == 5
    assert {p.name for p in written.parent.iterdir()} == {f"{today()}.{ext}" for ext in ("json", "csv", "xlsx")}
    assert reports.run_due() is None  # kept, not rewritten

    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("APP_ENV", "development")
    day = local_day(utcnow(), 8) - dt.timedelta(days=3)
    assert cli_main(["report", "--day", day.isoformat()]) == 0
    quiet = json.loads((settings.data_dir / "reports" / "daily" / f"{day}.json").read_text(encoding="utf-8"))
    assert quiet["current"]["conversations"] == 0 and quiet["start"] == day.isoformat()


def test_a_handoff_request_out_of_service_hours_is_recorded(tmp_path: Path, rasa: ScriptedRasa) -> None:
    now = dt.datetime.now()
    start, end = (now + dt.timedelta(hours=1)).strftime("%H:%M"), (now + dt.timedelta(hours=2)).strftime("%H:%M")
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass",
                        service_hours=f"{start}-{end}")
    with TestClient(create_app(settings, rasa)) as client:  # type: ignore[arg-type]
        c = Customer(client)
        assert c.say("转人工")["state"] == "bot"
        _, sessions = open_database(settings.db_url)
        with sessions() as db:
            (row,) = db.query(Handoff).all()
            assert (row.conversation_id, row.outcome, row.reason) == (c.id, "out_of_hours", "customer_request")
            assert row.closed_at is not None and row.assigned_at is None
        k = Staff(client, "supervisor").get(KPIS, start=today(), end=today())["current"]
        assert (k["handoff_requests"], k["out_of_hours_requests"], k["connect_rate"]) == (1, 1, None)
        assert k["bot_self_service_rate"] == 0.0  # the customer asked for a human


def test_a_daily_report_that_fails_is_logged_and_retried_an_hour_later(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise OSError("disk unavailable")

    clock = [utcnow()]
    reports = DailyReports(broken, settings, now=lambda: clock[0])  # type: ignore[arg-type]
    assert reports.run_due() is None and "not written" in caplog.text
    _, sessions = open_database(settings.db_url)
    reports.sessions = sessions
    clock[0] += dt.timedelta(minutes=30)
    assert reports.run_due() is None  # not yet: once an hour
    clock[0] += dt.timedelta(minutes=31)
    assert reports.run_due() is not None


def test_the_page_and_its_charting_library_are_served_locally(client: TestClient, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from api.routes import reports as routes

    page = client.get("/reports")
    assert page.status_code == 200 and 'src="/static/reports/main.js"' in page.text
    assert "https://" not in page.text  # nothing from a CDN
    library = tmp_path / "echarts.esm.min.js"
    library.write_text("export const init = () => null;\n", encoding="utf-8")
    monkeypatch.setattr(routes, "ECHARTS", library)
    r = client.get("/reports/vendor/echarts.esm.min.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"] and "init" in r.text
    monkeypatch.setattr(routes, "ECHARTS", tmp_path / "missing.js")
    r = client.get("/reports/vendor/echarts.esm.min.js")
    assert r.status_code == 404 and "make setup" in r.json()["detail"]


def test_a_kb_miss_that_hands_off_counts_as_a_lookup(client: TestClient, rasa: ScriptedRasa,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Two KB misses in a row hand off with the second lookup inside the handoff signal (actions/kb_fallback.py):
    the engine keeps it on the bot's message, so the KB rates count it — and the agent still sees it once."""
    from api.rasa_client import BotTurn

    scripted = rasa.send

    async def send(sender: str, text: str) -> BotTurn:
        if text != "查不到的问题":
            return await scripted(sender, text)
        return BotTurn(texts=[("抱歉，还是没能理解您的问题。", []), ("正在为您转接人工客服。", [])],
                       handoff={"reason": "repeated_fallback", "intent": "nlu_fallback", "slots": {},
                                "kb": {"query": text, "action": "fallback", "candidates": []}})

    monkeypatch.setattr(rasa, "send", send)
    c = Customer(client)
    assert c.say("查不到的问题")["state"] == "queued"
    boss = Staff(client, "supervisor")
    report = boss.get(KPIS, start=today(), end=today())
    assert (report["current"]["kb_lookups"], report["current"]["kb_fallback_rate"]) == (1, 100.0)
    assert report["handoffs_by_reason"] == {"repeated_fallback": 1}
    detail = boss.get(f"/api/v1/reports/conversations/{c.id}")
    assert [k["action"] for k in detail["context"]["kb_lookups"]] == ["fallback"]
