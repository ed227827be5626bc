"""Operations: ``GET /metrics`` (Prometheus text, not JSON) and ``GET /healthz``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.requests import HTTPConnection
from fastapi.responses import PlainTextResponse

from api.deps import RegistryDep, SessionDep, SettingsDep
from api.reports.exposition import render
from api.reports.restarts import restart_lines
from api.reports.surge_levels import load_changes
from api.reports.surge_levels import metric_lines as surge_metric_lines
from api.schemas.common import Health
from api.store.models import utcnow

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus text exposition format 0.0.4 (not JSON)"},
                       503: {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
                             "description": "The database is unavailable (Retry-After)"}})
async def metrics(conn: HTTPConnection, sessions: SessionDep, registry: RegistryDep, settings: SettingsDep
                  ) -> str:
    surge = getattr(conn.app.state, "surge", None)  # the surge response's lines (api/reports/surge_levels.py)
    changes = load_changes(sessions, utcnow(), 0)
    lines = surge_metric_lines(surge.level if surge is not None else None, changes, registry)
    lines += restart_lines(settings.data_dir)  # the supervisor's restart counts (api/reports/restarts.py)
    return render(sessions, registry) + "\n".join(lines) + "\n"


@router.get("/healthz", tags=["health"])
async def health() -> Health:
    return Health(status="ok")
