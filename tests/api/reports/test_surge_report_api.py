"""The surge response on /metrics and in the reports: a supervisor raises the level by hand and lowers it; the
gauge follows, the changes are counted, the KPI report, its CSV and XLSX carry the time at each level and the
changes of today."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.reports.periods import local_day
from api.store.models import utcnow
from tests.api.conftest import Staff


def metric(client: TestClient, line_start: str) -> str:
    found = [line for line in client.get("/metrics").text.splitlines() if line.startswith(line_start + " ")]
    assert len(found) == 1, line_start
    return found[0].split(" ")[1]


def test_level_changes_show_on_metrics_and_in_the_reports(client: TestClient) -> None:
    boss = Staff(client, "supervisor")
    assert metric(client, "bridge_surge_level") == "0"
    assert metric(client, 'bridge_surge_level_changes_total{direction="up"}') == "0"
    for level in (1, 2, 0):
        boss.post("/api/v1/surge/level", {"level": level, "reason": "演练"})
    assert metric(client, "bridge_surge_level") == "0"
    boss.post("/api/v1/surge/level", {"level": 1, "reason": "排队上升"})
    assert metric(client, "bridge_surge_level") == "1"
    assert metric(client, 'bridge_surge_level_changes_total{direction="up"}') == "3"
    assert metric(client, 'bridge_surge_level_changes_total{direction="down"}') == "1"

    today = local_day(utcnow(), client.app.state.settings.report_utc_offset_h).isoformat()  # type: ignore
    params = {"start": today, "end": today}
    surge = boss.get("/api/v1/reports/kpis", **params)["surge"]
    assert (surge["changes"], surge["raised"], surge["lowered"], surge["manual"]) == (4, 3, 1, 4)
    (day,) = surge["days"]
    assert day["day"] == today and day["changes"] == 4
    assert day["seconds"][0] > 0 and sum(day["seconds"]) > 0
    assert boss.get("/api/v1/reports/kpis", **params, channel="web")["surge"]["changes"] == 4  # centre-wide

    r = client.get("/api/v1/reports/export.csv", params=params, headers=boss.auth)
    rows = {row[1]: row for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))) if len(row) > 1}
    assert rows["surge_level_changes"][2] == "4"
    assert float(rows["surge_level_0_hours"][2]) == round(surge["seconds"][0] / 3600, 2)
    r = client.get("/api/v1/reports/export.xlsx", params=params, headers=boss.auth)
    sheet = list(load_workbook(io.BytesIO(r.content))["应急响应"].iter_rows(values_only=True))
    assert sheet[0][0] == "日期" and sheet[1][0] == today and sheet[1][4] == 4
    assert {row[0]: row[1] for row in sheet[2:]}["升级"] == 3
