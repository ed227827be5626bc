"""Operations: ``GET /metrics`` (Prometheus text, not JSON) and ``GET /healthz``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from api.deps import RegistryDep, SessionDep, SettingsDep
from api.reports.exposition import render
from api.reports.restarts import restart_lines
from api.schemas.common import Health

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus text exposition format 0.0.4 (not JSON)"},
                       503: {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
                             "description": "The database is unavailable (Retry-After)"}})
async def metrics(sessions: SessionDep, registry: RegistryDep, settings: SettingsDep) -> str:
    lines = restart_lines(settings.data_dir)  # the supervisor's restart counts (api/reports/restarts.py)
    return render(sessions, registry) + "".join(f"{line}\n" for line in lines)


@router.get("/healthz", tags=["health"])
async def health() -> Health:
    return Health(status="ok")
