"""A KPI report as files: CSV (one table: every KPI with this period, the period before, the change and each
bucket of the trend; UTF-8 with a BOM so Excel reads the Chinese) and XLSX (openpyxl; sheets 汇总, 趋势, 按渠道,
按技能组, 按坐席, 转人工原因, NPS分布, 应急响应: hours at each surge level per day and the level changes). The
numbers are the API's, never recomputed here (hours are the API's seconds / 3600)."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from api.schemas.reports import KpiReport, Slice

SHEET_SUMMARY, SHEET_TREND, SHEET_SURGE = "汇总", "趋势", "应急响应"
LEVELS = (0, 1, 2)
LEVEL_NAMES = ("正常", "一级", "二级")  # 二级话务应急响应: level 0 is normal service
SLICE_SHEETS = (("按渠道", "by_channel", "渠道"), ("按技能组", "by_skill_group", "技能组"),
                ("按坐席", "by_agent", "坐席"))


def _labels(report: KpiReport) -> list[tuple[str, str]]:
    return [(d.key, d.label) for d in report.definitions]


def summary_rows(report: KpiReport) -> list[list[Any]]:
    """指标, key, 本期, 上期, 变化, then one column per trend bucket."""
    head: list[Any] = ["指标", "key", f"本期 {report.start}~{report.end}",
                       f"上期 {report.previous_start}~{report.previous_end}", "变化"]
    head += [p.bucket for p in report.series]
    rows = [head]
    current, previous = report.current.as_dict(), report.previous.as_dict()
    for key, label in _labels(report):
        rows.append([label, key, current[key], previous[key], report.change.get(key)]
                    + [p.kpis.as_dict()[key] for p in report.series])
    surge = report.surge  # the centre's, whatever the filters: not compared with the period before
    for level in LEVELS:
        rows.append([f"应急响应{LEVEL_NAMES[level]}时长（小时）", f"surge_level_{level}_hours",
                     _hours(surge.seconds[level]), None, None])
    rows.append(["应急响应级别变化次数", "surge_level_changes", surge.changes, None, None])
    return rows


def surge_rows(report: KpiReport) -> list[list[Any]]:
    """日期, the hours at each level, the changes that day; then the period's changes by direction."""
    rows: list[list[Any]] = [["日期"] + [f"{LEVEL_NAMES[i]}（小时）" for i in LEVELS] + ["级别变化次数"]]
    for d in report.surge.days:
        rows.append([d.day] + [_hours(s) for s in d.seconds] + [d.changes])
    s = report.surge
    rows += [["合计"] + [_hours(x) for x in s.seconds] + [s.changes],
             ["升级", s.raised], ["降级", s.lowered], ["人工调整", s.manual]]
    return rows


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 2)


def to_csv(report: KpiReport) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in summary_rows(report):
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _table(ws: Any, rows: list[list[Any]]) -> None:
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "B2"


def _slice_rows(report: KpiReport, slices: list[Slice], title: str) -> list[list[Any]]:
    labels = _labels(report)
    rows: list[list[Any]] = [[title] + [label for _, label in labels]]
    for s in slices:
        values = s.kpis.as_dict()
        rows.append([s.key] + [values[key] for key, _ in labels])
    return rows


def to_xlsx(report: KpiReport) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_SUMMARY
    _table(ws, summary_rows(report))
    labels = _labels(report)
    trend: list[list[Any]] = [["周期", "开始", "结束"] + [label for _, label in labels]]
    for p in report.series:
        values = p.kpis.as_dict()
        trend.append([p.bucket, p.start, p.end] + [values[key] for key, _ in labels])
    _table(wb.create_sheet(SHEET_TREND), trend)
    for sheet, attr, title in SLICE_SHEETS:
        _table(wb.create_sheet(sheet), _slice_rows(report, getattr(report, attr), title))
    _table(wb.create_sheet("转人工原因"), [["原因", "请求数"]] + [[k, v] for k, v in report.handoffs_by_reason.items()])
    nps = report.nps_distribution
    _table(wb.create_sheet("NPS分布"), [["分数", "人数"]] + [[score, n] for score, n in enumerate(nps.counts)]
           + [["推荐者", nps.promoters], ["中立者", nps.passives], ["贬损者", nps.detractors], ["NPS", nps.nps]])
    _table(wb.create_sheet(SHEET_SURGE), surge_rows(report))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
