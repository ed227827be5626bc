"""The FastAPI application: ``create_app()`` wires settings, database (migrated on start), Rasa client,
WebSocket hub, chat service, demo accounts (development mode only), static pages and a queue ticker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import yaml
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from api.staff.accounts import seed_demo
from api.compliance.audit import audit
from api.chat import ChatService
from api.store.models import CannedResponse, make_engine, make_sessionmaker
from api.compliance.guards import install as install_guards
from api.conversation.hub import Hub
from api.workbench.kb_files import KbFiles
from api.reports.prometheus import Registry
from api.store.migrate import upgrade
from api.workbench.nlu_files import NluFiles
from api.rasa_client import RasaClient
from api.compliance.retention import purge_expired
from api.routes_customer import router as customer_router
from api.routes_metrics import router as metrics_router
from api.routes_staff import router as staff_router
from api.routes_trainer import router as trainer_router
from api.compliance.sensitive_words import SensitiveWords, WordListError
from api.settings import Settings
from api.workbench.training import Trainer, TrainingPaths
from common.institution import Institution

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
CANNED = Path(__file__).resolve().parent / "canned_responses.yml"


class BridgeStartupError(RuntimeError):
    """The bridge cannot start (database unreadable, word list broken); the message names the file."""


def _seed_canned(sessions: Any) -> None:
    with sessions() as db, db.begin():
        if db.scalars(select(CannedResponse)).first() is None:
            for item in yaml.safe_load(CANNED.read_text(encoding="utf-8")):
                db.add(CannedResponse(title=item["title"], text=item["text"], skill_group=item["skill_group"]))


def _institution_loader(domain: Path) -> Callable[[], Institution | None]:
    """The institution facts of ``domain.yml`` (re-read when the file changes), for filling KB answers' placeholders
    in agents' suggestions; None (logged) while the file is unreadable."""
    cache: dict[float, Institution] = {}

    def load() -> Institution | None:
        try:
            mtime = domain.stat().st_mtime
            if mtime not in cache:
                cache.clear()
                cache[mtime] = Institution.from_domain(domain)
            return cache[mtime]
        except (OSError, ValueError) as exc:
            log.error("institution facts unavailable: %s", exc)
            return None
    return load


def _kb_loader(settings: Settings) -> Callable[[], Any]:
    """The KB service for agents' suggestions, loaded on first use (None when disabled or unavailable)."""
    @lru_cache(maxsize=1)
    def load() -> Any:
        if not settings.kb_suggestions:
            return None
        try:
            from kb_index.service import open_service
            from kb_index.settings import KbSettings

            return open_service(KbSettings(), watch_interval_s=2.0)
        except Exception:  # noqa: BLE001 - suggestions are an aid; the console works without them
            log.exception("KB suggestions unavailable")
            return None
    return load


def _install_workbench(app: FastAPI, settings: Settings, sessions: Any) -> None:
    """The trainer workbench's file editors and model trainer, on the project directory in settings."""
    from kb_index.encoders import make_encoder
    from kb_index.settings import KbSettings

    project, kb_settings = settings.project_dir, KbSettings()
    nlu = project / "nlu_data"
    app.state.nlu_files = NluFiles(nlu / "nlu", project / "domain.yml", nlu / "rules.yml", nlu / "synonyms.yml",
                                   nlu / "jieba_userdict")
    encoder = lru_cache(maxsize=1)(lambda: make_encoder(kb_settings.encoder))
    app.state.kb_files = KbFiles(kb_settings, encoder)

    def on_event(action: str, target: str, detail: dict[str, Any]) -> None:
        with sessions() as db, db.begin():
            audit(db, str(detail.get("by") or "system"), action, target, **detail)

    root = Path(__file__).resolve().parent.parent
    data = root / "tests" / "data"
    paths = TrainingPaths(project=project, models=settings.data_dir / "models", rasa_venv=root / ".venvs" / "rasa",
                          heldout=data / "nlu_heldout", oos=data / "oos_heldout.txt")
    app.state.trainer = Trainer(paths, settings.rasa_url, settings.max_accuracy_drop, settings.keep_models, on_event)


def create_app(settings: Settings | None = None, rasa: RasaClient | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings.db_url)
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        raise BridgeStartupError(f"{settings.db_url}: cannot open or migrate the bridge database: "
                                 f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}") from exc
    sessions = make_sessionmaker(engine)
    rasa_client = rasa or RasaClient(settings.rasa_url, settings.rasa_timeout_s)
    try:
        words = SensitiveWords.from_file(settings.sensitive_words_file)
    except WordListError as exc:
        raise BridgeStartupError(str(exc)) from exc
    service = ChatService(settings, sessions, rasa_client, Hub(), Registry(), words)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def ticker() -> None:
            last_purge = 0.0
            while True:
                await asyncio.sleep(5)
                try:
                    await service.tick()
                    if time.monotonic() - last_purge > 3600:
                        last_purge = time.monotonic()
                        purged = purge_expired(sessions, settings.retention_days)
                        if purged["conversations"]:
                            log.info("retention: erased %s", purged)
                except Exception:  # noqa: BLE001 - keep ticking
                    log.exception("queue tick failed")

        task = asyncio.create_task(ticker())
        await service.dispatch()  # conversations queued before a restart are served again
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await rasa_client.close()
        engine.dispose()

    app = FastAPI(title="智能客服 bridge", version="1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.chat = service
    app.state.kb = _kb_loader(settings)
    app.state.institution = _institution_loader(settings.project_dir / "domain.yml")
    created = seed_demo(sessions, settings)
    if settings.development:
        print(f"development mode: demo accounts agent, supervisor, trainer (password: $DEMO_PASSWORD)"
              f"{'; created ' + ', '.join(created) if created else ''}", flush=True)
    _seed_canned(sessions)

    @app.exception_handler(SQLAlchemyError)
    async def database_error(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        log.error("database error on %s: %s", request.url.path, exc.__class__.__name__)
        return JSONResponse({"detail": "the service's database is unavailable; nothing was saved, please retry"},
                            status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"detail": "; ".join(problems) or "invalid request"}, status_code=422)

    install_guards(app, settings.rate_ip_per_min, settings.rate_conversation_per_min, settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=False,
                           allow_methods=["GET", "POST", "PATCH"], allow_headers=["Authorization", "Content-Type"])
    _install_workbench(app, settings, sessions)
    app.include_router(customer_router)
    app.include_router(trainer_router)
    app.include_router(staff_router)
    app.include_router(metrics_router)

    @app.get("/", include_in_schema=False)
    async def widget() -> FileResponse:
        return FileResponse(STATIC / "widget.html")

    @app.get("/trainer", include_in_schema=False)
    async def trainer_page() -> FileResponse:
        return FileResponse(STATIC / "trainer.html")

    @app.get("/console", include_in_schema=False)
    async def console() -> FileResponse:
        return FileResponse(STATIC / "console.html")

    @app.get("/healthz", tags=["health"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
