"""The reports API (role supervisor; agents, trainers and customers get 403/401): the KPI report of a period
with trend, slices and the change against the period before; the conversations behind a number and their
masked transcripts; CSV and XLSX exports of the same report. ``pages``: the reports page and its locally served
charting library (Apache ECharts, fetched by ``make setup`` into vendor/, never from a CDN)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import FileResponse, Response

from api.compliance.audit import record
from api.deps import SessionDep, SettingsDep, SupervisorUser, TranscriptDep
from api.reports.export import to_csv, to_xlsx
from api.reports.facts import Filters
from api.reports.periods import DateRange, local_day
from api.reports.queries import facts_for, rules_of
from api.reports.report import DRILLS, build_report, drill_down
from api.reports.report import definitions as report_definitions
from api.reports.surge_levels import with_surge
from api.schemas.reports import DrillDown, Granularity, KpiDefinition, KpiReport
from api.schemas.staff import ConversationDetail
from api.store.models import utcnow

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
pages = APIRouter(include_in_schema=False)
ROOT = FilePath(__file__).resolve().parents[2]
STATIC = ROOT / "api" / "static"
ECHARTS = ROOT / "vendor" / "echarts" / "echarts.esm.min.js"  # the Makefile's ECHARTS
MAX_DAYS = 366
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Day = Annotated[dt.date | None, Query(description="local date YYYY-MM-DD; default: the last 30 days to today")]
Text = Annotated[str | None, Query(max_length=64)]


def _range(start: dt.date | None, end: dt.date | None, offset_h: float) -> DateRange:
    end = end or local_day(utcnow(), offset_h)
    start = start or end - dt.timedelta(days=29)
    if end < start:
        raise HTTPException(422, "结束日期不能早于开始日期")
    if (end - start).days + 1 > MAX_DAYS:
        raise HTTPException(422, f"报表周期最长 {MAX_DAYS} 天")
    return DateRange(start, end)


def _report(sessions: SessionDep, settings: SettingsDep, start: dt.date | None, end: dt.date | None,
            granularity: Granularity, filters: Filters) -> KpiReport:
    r = _range(start, end, settings.report_utc_offset_h)
    facts = facts_for(sessions, r, settings.report_utc_offset_h)
    report = build_report(facts, r, granularity, filters, rules_of(settings))
    return with_surge(report, sessions, r, settings.report_utc_offset_h, utcnow())


@router.get("/kpis")
def kpis(user: SupervisorUser, sessions: SessionDep, settings: SettingsDep, start: Day = None, end: Day = None,
         granularity: Granularity = "day", channel: Text = None, skill_group: Text = None,
         agent: Text = None) -> KpiReport:
    """Every KPI of the period (local dates, inclusive) and of the period before it (the previous calendar month
    or ISO week for a whole one, else as many days before), the change, the trend by ``granularity``, slices by
    channel, skill group and agent, handoff reasons and the NPS distribution; filters narrow every figure."""
    return _report(sessions, settings, start, end, granularity, Filters(channel, skill_group, agent))


@router.get("/definitions")
def definitions(user: SupervisorUser) -> list[KpiDefinition]:
    """Each KPI's name, unit and formula."""
    return report_definitions()


@router.get("/drilldown")
def drilldown(user: SupervisorUser, sessions: SessionDep, settings: SettingsDep,
              kpi: Annotated[str, Query(max_length=32)], start: Day = None, end: Day = None, channel: Text = None,
              skill_group: Text = None, agent: Text = None, reason: Text = None) -> DrillDown:
    """The conversations behind a number of the report with the same period and filters (``count`` is what
    the KPI counts); ``reason`` narrows a handoff drill-down to one reason."""
    if kpi not in DRILLS:
        raise HTTPException(422, f"未知的指标：{kpi}；可选：{'、'.join(DRILLS)}")
    r = _range(start, end, settings.report_utc_offset_h)
    facts = facts_for(sessions, r, settings.report_utc_offset_h, with_previous=False)
    return drill_down(facts, kpi, r, Filters(channel, skill_group, agent), rules_of(settings), reason)


@router.get("/conversations/{conv_id}")
def conversation(conv_id: Annotated[str, Path(max_length=32)], user: SupervisorUser, sessions: SessionDep,
                 transcript: TranscriptDep) -> ConversationDetail:
    """A conversation behind a number, read-only: its transcript as stored (masked); audited."""
    with sessions() as db:
        detail = transcript.detail(db, transcript.load(db, conv_id))
    record(sessions, user.username, "report_view_conversation", conv_id)
    return detail


def _download(sessions: SessionDep, user: SupervisorUser, report: KpiReport, data: bytes, media: str,
              name: str) -> Response:
    """The file, with the export in the audit log (who, which period and filters)."""
    record(sessions, user.username, "report_export", name, start=report.start, end=report.end,
           **report.filters.model_dump(exclude_none=True))
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


EXPORT_DOC = "The report of ``/kpis`` with the same parameters, as a file."


@router.get("/export.csv", response_class=Response, description=EXPORT_DOC,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}}})
def export_csv(user: SupervisorUser, sessions: SessionDep, settings: SettingsDep, start: Day = None, end: Day = None,
               granularity: Granularity = "day", channel: Text = None, skill_group: Text = None,
               agent: Text = None) -> Response:
    report = _report(sessions, settings, start, end, granularity, Filters(channel, skill_group, agent))
    return _download(sessions, user, report, to_csv(report), "text/csv; charset=utf-8",
                     f"kpi-{report.start}-{report.end}.csv")


@router.get("/export.xlsx", response_class=Response, description=EXPORT_DOC,
            responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
def export_xlsx(user: SupervisorUser, sessions: SessionDep, settings: SettingsDep, start: Day = None,
                end: Day = None, granularity: Granularity = "day", channel: Text = None, skill_group: Text = None,
                agent: Text = None) -> Response:
    report = _report(sessions, settings, start, end, granularity, Filters(channel, skill_group, agent))
    return _download(sessions, user, report, to_xlsx(report), XLSX, f"kpi-{report.start}-{report.end}.xlsx")


@pages.get("/reports")
async def reports_page() -> FileResponse:
    return FileResponse(STATIC / "reports.html")


@pages.get("/reports/vendor/echarts.esm.min.js")
async def echarts() -> FileResponse:
    if not ECHARTS.is_file():
        raise HTTPException(404, "图表库 ECharts 未安装：请运行 make setup")
    return FileResponse(ECHARTS, media_type="text/javascript")
