"""``/openapi.json`` is the reference contract: every JSON route declares its response schema, every refusal
its body, and every WebSocket event model is listed (and matches the event table in docs/bridge_api.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIWebSocketRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.app import ROUTERS, create_app
from api.schemas import events
from api.settings import Settings
from tests.api.conftest import ScriptedRasa

ROOT = Path(__file__).resolve().parents[2]
NON_JSON = {("get", "/metrics"): "text/plain",  # Prometheus text
            ("get", "/api/v1/reports/export.csv"): "text/csv",  # report downloads
            ("get", "/api/v1/reports/export.xlsx"): "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
SOCKET_NAMES = {"customer": "/api/v1/conversations/{conv_id}/ws", "agent": "/api/v1/agent/ws"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = Settings(data_dir=tmp_path_factory.mktemp("openapi"), kb_suggestions=False)
    return create_app(settings, ScriptedRasa())  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def spec(app: FastAPI) -> dict[str, Any]:
    with TestClient(app) as client:
        return dict(client.get("/openapi.json").json())


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield method, path, op


def untyped(spec: dict[str, Any]) -> list[str]:
    """Operations whose success answer has no schema (JSON routes) or an unexpected media type."""
    found = []
    for method, path, op in operations(spec):
        success: dict[str, dict[str, Any]] = {c: r for c, r in op["responses"].items() if c.startswith("2")}
        if not success:
            found.append(f"{method.upper()} {path}: no success answer")
        for code, response in success.items():
            content: dict[str, Any] = response.get("content", {})
            if code == "204":
                ok = not content
            elif (method, path) in NON_JSON:
                ok = set(content) == {NON_JSON[method, path]} and bool(content[NON_JSON[method, path]].get("schema"))
            else:
                schema = content.get("application/json", {}).get("schema", {})
                ok = "$ref" in schema or "$ref" in schema.get("items", {})
            if not ok:
                found.append(f"{method.upper()} {path} {code}")
    return found


def test_the_check_finds_a_route_without_a_response_model() -> None:
    bare = FastAPI()

    @bare.get("/untyped")
    async def untyped_route() -> dict:
        return {}

    assert untyped(bare.openapi()) == ["GET /untyped 200"]


def test_every_route_declares_its_response_schema(spec: dict[str, Any]) -> None:
    assert untyped(spec) == []
    trainer = [p for _, p, _ in operations(spec) if p.startswith("/api/v1/trainer/")]
    assert len(trainer) == 31  # with GET /api/v1/trainer/kb-lint (issue 13), GET/PUT .../institution (issue 16)
    assert {"/healthz", "/metrics", "/api/v1/agent/me", "/api/v1/supervisor/overview"} <= set(spec["paths"])


def test_every_refusal_is_documented_as_the_error_body(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        if (method, path) in NON_JSON or path == "/healthz":
            continue
        refusal = op["responses"].get("4XX", {}).get("content", {}).get("application/json", {})
        assert refusal.get("schema") == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)
    assert "HTTPValidationError" not in str(spec["paths"])  # 422s answer {"detail": str}, not FastAPI's list


def event_models() -> set[str]:
    return {name for name, obj in vars(events).items()
            if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == events.__name__}


def listed_events(spec: dict[str, Any]) -> dict[str, dict[str, str]]:
    """socket path -> {event type: model name}, from the unions ``x-websockets`` points at."""
    schemas = spec["components"]["schemas"]
    out = {}
    for path, directions in spec["x-websockets"].items():
        union = schemas[directions["server-to-client"]["$ref"].rsplit("/", 1)[1]]
        out[path] = {t: ref.rsplit("/", 1)[1] for t, ref in union["discriminator"]["mapping"].items()}
        assert sorted(out[path].values()) == sorted(item["$ref"].rsplit("/", 1)[1] for item in union["oneOf"])
    return out


def test_every_websocket_event_model_is_listed(spec: dict[str, Any]) -> None:
    listed = listed_events(spec)
    assert set(listed) == {r.path for router in ROUTERS for r in router.routes if isinstance(r, APIWebSocketRoute)}
    names = {name for by_type in listed.values() for name in by_type.values()}
    assert names == event_models() and len(names) == 12
    assert names <= set(spec["components"]["schemas"])


def test_the_documented_event_table_matches_the_models(spec: dict[str, Any]) -> None:
    doc = (ROOT / "docs" / "bridge_api.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (customer|agent) \| `([a-z_]+)` \| `(\w+)` \|", doc, flags=re.M)
    documented: dict[str, dict[str, str]] = {}
    for socket, event_type, model in rows:
        documented.setdefault(SOCKET_NAMES[socket], {})[event_type] = model
    assert documented == listed_events(spec)
