"""The FastAPI application: ``create_app()`` wires settings, database (migrated on start), Rasa client, the
conversation engine, the trainer workbench, demo accounts (development mode only), the routers, one handler
for every refusal the engine and the workbench raise, static pages and a queue ticker.

With ``REDIS_URL`` set the process is one of several (``api.cluster``): pushes, presence, socket closes and the
rate limits are shared through Redis, and the ticker's jobs run only in the process holding the lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from api.cluster.engine_lock import startup_lock
from api.cluster.node import ClusterNode
from api.compliance.audit import record
from api.compliance.guards import install as install_guards
from api.compliance.limits import EdgeLimits
from api.compliance.paths import hide_paths
from api.compliance.retention import Retention
from api.compliance.sensitive_words import SensitiveWords, WordListError
from api.conversation.hub import Hub
from api.conversation.service import ChatService
from api.errors import BridgeStartupError, ServiceError
from api.feedback.config import FeedbackConfigError
from api.feedback.config import load_config as load_feedback_config
from api.feedback.demo import seed_demo_owner
from api.quality.checklist import ChecklistError, load_checklist
from api.quality.reviews import QualityReviews
from api.rasa_client import RasaClient
from api.reports.daily import DailyReports
from api.reports.prometheus import Registry
from api.routes import agent, auth, customer, metrics, reports, supervisor, trainer_kb, trainer_models, trainer_nlu
from api.routes import campaigns as campaign_routes
from api.routes import feedback as feedback_routes
from api.routes.approvals import router as approvals_router
from api.routes.quality import router as quality_router
from api.routes.surge import router as surge_router
from api.schemas.common import ERROR_RESPONSES
from api.schemas.events import SOCKETS, event_schemas
from api.schemas.validation import problems_in_chinese
from api.settings import Settings
from api.staff.accounts import seed_demo
from api.staff.canned import seed_canned
from api.staff.sockets import SocketRegistry
from api.store.database import open_database
from api.store.models import utcnow
from api.surge.control import SurgeControl
from api.surge.deflection import Deflection
from api.workbench.kb_files import KbFiles
from api.workbench.nlu_files import NluFiles
from api.workbench.training import Trainer, TrainingPaths
from common.institution import Institution, placeholder_facts
from kb_index.entry import KbSourceError

__all__ = ["BridgeStartupError", "create_app"]
log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
ROUTERS = (customer.router, trainer_nlu.router, trainer_kb.router, trainer_models.router, auth.router,
           agent.router, supervisor.router, reports.router)  # JSON APIs, sharing the error answers; metrics: text
FEEDBACK_ROUTERS = (campaign_routes.router, feedback_routes.router)  # the NPS programme and the feedback loop


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


def _install_workbench(app: FastAPI, settings: Settings, sessions: sessionmaker, rasa: RasaClient) -> None:
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
        record(sessions, str(detail.get("by") or "system"), action, target, **detail)

    root = Path(__file__).resolve().parent.parent
    data = root / "nlu_eval"  # held-out sets, never trained on
    paths = TrainingPaths(project=project, models=settings.data_dir / "models", rasa_venv=root / ".venvs" / "rasa",
                          heldout=data / "nlu_heldout", oos=data / "oos_heldout.txt")
    app.state.trainer = Trainer(paths, rasa, settings.max_accuracy_drop, settings.keep_models, on_event)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def refused(request: Request, exc: ServiceError) -> JSONResponse:
        """Every refusal of the engine and the workbench: its status, ``detail``, and ``problems`` if any."""
        body: dict[str, Any] = {"detail": hide_paths(exc.detail)}
        if exc.problems is not None:
            body["problems"] = [hide_paths(p) for p in exc.problems]
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(KbSourceError)
    async def kb_source_error(request: Request, exc: KbSourceError) -> JSONResponse:
        """A KB source file that does not load (someone edited it by hand): named, never with its full path."""
        return JSONResponse({"detail": f"知识库文件有误，未保存：{hide_paths(str(exc))}"}, status_code=422)

    @app.exception_handler(SQLAlchemyError)
    async def database_error(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        log.error("database error on %s: %s", request.url.path, exc.__class__.__name__)
        return JSONResponse({"detail": "服务的数据库暂时不可用，本次操作未保存，请稍后重试"},
                            status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = problems_in_chinese(list(exc.errors()))
        return JSONResponse({"detail": "；".join(problems) or "请求无效"}, status_code=422)


def _openapi_with_events(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``/openapi.json`` plus the WebSocket events (OpenAPI has no WebSockets): both event unions and their models
    under ``components.schemas``, and ``x-websockets`` naming the union each socket carries."""
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, model_schema in event_schemas().items():
                components.setdefault(name, model_schema)
            schema["x-websockets"] = {path: {"server-to-client": {"$ref": f"#/components/schemas/{name}"}}
                                      for path, (name, _) in SOCKETS.items()}
            app.openapi_schema = schema
        return app.openapi_schema
    return openapi


def _refuse_placeholder_facts(settings: Settings) -> None:
    """Outside development the bridge does not start while domain.yml's institution facts are placeholders: a
    customer must never be told to call 客服热线95xxx."""
    if settings.development:
        return
    domain = settings.project_dir / "domain.yml"
    try:
        left = placeholder_facts(Institution.from_domain(domain))
    except ValueError as exc:
        raise BridgeStartupError(str(exc)) from exc
    if left:
        raise BridgeStartupError(f"{domain}: institution facts are still placeholders ({', '.join(left)}); set the "
                                 "real name, hotline, app name and hours as the slots' initial values "
                                 "(allowed only with APP_ENV=development)")


def create_app(settings: Settings | None = None, rasa: RasaClient | None = None) -> FastAPI:
    settings = settings or Settings()
    _refuse_placeholder_facts(settings)
    engine, sessions = open_database(settings.db_url)
    rasa_client = rasa or RasaClient(settings.rasa_urls, settings.rasa_timeout_s, settings.rasa_jwt_secret,
                                     settings.rasa_channel_secret, settings.rasa_webhook_path)
    try:
        words = SensitiveWords.from_file(settings.sensitive_words_file)
    except WordListError as exc:
        raise BridgeStartupError(str(exc)) from exc
    node = ClusterNode(settings.redis_url, settings.presence_ttl_s, settings.cluster_lease_s) \
        if settings.redis_url else None
    if node is not None:
        node.check()
    hub = Hub(node.presence) if node is not None else Hub()
    service = ChatService(settings, sessions, rasa_client, hub, Registry(), words, engine=engine)
    surge = SurgeControl(sessions, settings.surge, handle_time_s=settings.default_handle_time_s)
    service.turn.deflect = Deflection(lambda: surge.level, settings.surge.simple_intents,
                                      settings.project_dir / "domain.yml")  # surge level 1's first answer
    quality = QualityReviews(sessions, words, lambda: load_checklist(settings.quality_checklist_file))
    try:
        load_feedback_config(settings.feedback_file)  # a broken categories file stops the start, named
    except FeedbackConfigError as exc:
        raise BridgeStartupError(str(exc)) from exc
    try:
        load_checklist(settings.quality_checklist_file)  # a broken checklist stops the start, named
    except ChecklistError as exc:
        raise BridgeStartupError(str(exc)) from exc
    limits = EdgeLimits.create(settings.rate_ip_per_min, settings.rate_conversation_per_min,
                               settings.token_guesses_per_min, settings.ws_max_per_address,
                               settings.login_failures_per_user, settings.login_failures_per_address,
                               settings.login_window_s, settings.login_lockout_s,
                               shared=node.link if node is not None else None)
    sockets = SocketRegistry(settings.ws_recheck_s)
    if node is not None:
        hub.bus = sockets.bus = node.connect(hub.deliver, sockets.close_local)
    daily = DailyReports(sessions, settings)
    retention = Retention(sessions, rasa_client, settings.data_dir / "kb" / "unanswered.db",  # KbSettings' path
                          sockets.close_conversations)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def ticker() -> None:
            last_purge = 0.0
            while True:
                await asyncio.sleep(settings.tick_interval_s)
                if node is not None and not node.lease.held:
                    continue  # another bridge process runs the periodic jobs
                try:
                    await service.tick()
                    if node is not None:
                        await service.desk.graces_due()  # agents whose console closed on any process
                    await asyncio.to_thread(surge.observe)  # the surge level from the queue
                    if settings.quality_daily_sample:  # yesterday's quality sample, once a day
                        await asyncio.to_thread(quality.run_daily, utcnow().date())
                    await asyncio.to_thread(daily.run_due)  # yesterday's report, once after midnight
                    if time.monotonic() - last_purge > 3600:
                        last_purge = time.monotonic()
                        purged = await retention.purge_expired(settings.retention_days)
                        if purged.conversations:
                            log.info("retention: erased %s", purged.counts())
                except Exception:  # noqa: BLE001 - keep ticking
                    log.exception("queue tick failed")

        if node is not None:
            await node.start()
        task = asyncio.create_task(ticker())
        await service.dispatch()  # conversations queued before a restart are served again
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if node is not None:
            await node.stop()
        await rasa_client.close()
        engine.dispose()

    app = FastAPI(title="智能客服 bridge", version="1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.chat = service
    app.state.limits, app.state.sockets, app.state.retention = limits, sockets, retention
    app.state.cluster = node
    app.state.kb = _kb_loader(settings)
    app.state.surge = surge
    app.state.quality = quality
    app.state.institution = _institution_loader(settings.project_dir / "domain.yml")
    with startup_lock(engine):  # several bridges starting at once on PostgreSQL seed one after the other
        created = seed_demo(sessions, settings) + seed_demo_owner(sessions, settings)
        seed_canned(sessions)
    if settings.development:
        print(f"development mode: demo accounts agent, supervisor, trainer, reviewer (password: $DEMO_PASSWORD)"
              f"{'; created ' + ', '.join(created) if created else ''}", flush=True)

    _install_error_handlers(app)
    install_guards(app, settings, limits)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=False,
                           allow_methods=["GET", "POST", "PATCH"], allow_headers=["Authorization", "Content-Type"])
    _install_workbench(app, settings, sessions, rasa_client)
    for router in ROUTERS + FEEDBACK_ROUTERS:
        app.include_router(router, responses=ERROR_RESPONSES)
    app.include_router(quality_router, responses=ERROR_RESPONSES)  # quality review (质检, issue 16)
    app.include_router(surge_router, responses=ERROR_RESPONSES)  # the two-level surge response (issue 16)
    app.include_router(approvals_router, responses=ERROR_RESPONSES)  # maker-checker (issue 16)
    app.include_router(metrics.router)
    app.include_router(reports.pages)  # the reports page and its charting library
    app.openapi = _openapi_with_events(app)  # type: ignore[method-assign]

    @app.get("/", include_in_schema=False)
    async def widget() -> FileResponse:
        return FileResponse(STATIC / "widget.html")

    @app.get("/trainer", include_in_schema=False)
    async def trainer_page() -> FileResponse:
        return FileResponse(STATIC / "trainer.html")

    @app.get("/quality", include_in_schema=False)
    async def quality_page() -> FileResponse:
        return FileResponse(STATIC / "quality.html")

    @app.get("/feedback", include_in_schema=False)
    async def feedback_page() -> FileResponse:
        return FileResponse(STATIC / "feedback.html")

    @app.get("/console", include_in_schema=False)
    async def console() -> FileResponse:
        return FileResponse(STATIC / "console.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
