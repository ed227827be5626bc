"""The daily report: yesterday's KPIs written once after local midnight under ``DATA_DIR/reports/daily/`` as
``YYYY-MM-DD.json`` (the API's report), ``.csv`` and ``.xlsx``, and kept. The bridge's ticker calls
:meth:`DailyReports.run_due` (a file that exists is never rewritten); ``python -m api report --day`` writes any
day on demand (rewriting it). Files are written to a temporary name and renamed, so a reader never sees half a
report."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Callable

from sqlalchemy.orm import sessionmaker

from api.reports.export import to_csv, to_xlsx
from api.reports.facts import Filters
from api.reports.periods import DateRange, local_day
from api.reports.queries import facts_for, rules_of
from api.reports.report import build_report
from api.reports.surge_levels import with_surge
from api.settings import Settings
from api.store.models import utcnow

log = logging.getLogger(__name__)
RETRY_AFTER = dt.timedelta(hours=1)


def due_day(now_utc: dt.datetime, offset_h: float) -> dt.date:
    """The day whose report is due: the local day before today."""
    return local_day(now_utc, offset_h) - dt.timedelta(days=1)


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class DailyReports:
    def __init__(self, sessions: sessionmaker, settings: Settings, now: Callable[[], dt.datetime] = utcnow) -> None:
        self.sessions, self.settings, self.now = sessions, settings, now
        self.folder = settings.data_dir / "reports" / "daily"
        self._retry_at: dt.datetime | None = None

    def paths(self, day: dt.date) -> dict[str, Path]:
        return {ext: self.folder / f"{day.isoformat()}.{ext}" for ext in ("json", "csv", "xlsx")}

    def write(self, day: dt.date) -> dict[str, Path]:
        """Write the report of ``day`` (all three files; the JSON last, so its presence means complete)."""
        r = DateRange(day, day)
        facts = facts_for(self.sessions, r, self.settings.report_utc_offset_h)
        report = build_report(facts, r, "day", Filters(), rules_of(self.settings))
        report = with_surge(report, self.sessions, r, self.settings.report_utc_offset_h, self.now())
        self.folder.mkdir(parents=True, exist_ok=True)
        paths = self.paths(day)
        _write(paths["csv"], to_csv(report))
        _write(paths["xlsx"], to_xlsx(report))
        _write(paths["json"], report.model_dump_json(indent=1).encode("utf-8"))
        return paths

    def run_due(self) -> Path | None:
        """Yesterday's report if it has not been written yet; the JSON path written, else None. A failure is
        logged and tried again an hour later (never raised: the ticker calling this has other work)."""
        now = self.now()
        day = due_day(now, self.settings.report_utc_offset_h)
        if self.paths(day)["json"].exists() or (self._retry_at is not None and now < self._retry_at):
            return None
        try:
            paths = self.write(day)
        except Exception:  # noqa: BLE001 - a report that cannot be written now must not stop the ticker
            log.exception("daily report for %s not written; retrying in an hour", day)
            self._retry_at = now + RETRY_AFTER
            return None
        self._retry_at = None
        log.info("daily report written: %s", paths["json"])
        return paths["json"]
