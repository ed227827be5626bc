"""The engine assembled: one :class:`ChatService` per bridge process, built by ``api.app.create_app`` and
handed to the routes through ``api.deps``. Its parts share one :class:`Context` (so one lock and one clock);
routes use the part for their job — ``turn`` (customers), ``desk`` and ``callbacks`` (agents), ``queue`` and
``supervision`` (supervisors and the ticker)."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from api.cluster.engine_lock import EngineLock
from api.compliance.sensitive_words import SensitiveWords
from api.conversation.callbacks import Callbacks
from api.conversation.context import Context
from api.conversation.desk import Desk
from api.conversation.hub import Hub
from api.conversation.queue import HandoffQueue
from api.conversation.steps import Steps
from api.conversation.supervision import Supervision
from api.conversation.transcript import Transcript
from api.conversation.turn import CustomerTurn
from api.rasa_client import RasaClient
from api.reports.prometheus import Registry
from api.settings import Settings
from api.store.encryption import FieldCipher
from api.store.models import utcnow


class ChatService:
    def __init__(self, settings: Settings, sessions: sessionmaker, rasa: RasaClient, hub: Hub, metrics: Registry,
                 words: SensitiveWords | None = None, now: Callable[[], dt.datetime] = utcnow,
                 engine: Engine | None = None) -> None:
        """``engine``: the database's, so the engine's lock spans every bridge process on PostgreSQL."""
        cipher = FieldCipher.from_settings(settings.callback_key, settings.development, settings.data_dir)
        self.ctx = Context(settings, sessions, rasa, hub, metrics, words or SensitiveWords([]), cipher, now,
                           EngineLock(engine))
        self.transcript = Transcript(self.ctx)
        self.queue = HandoffQueue(self.ctx, self.transcript)
        self.steps = Steps(self.ctx, self.transcript, self.queue)
        self.turn = CustomerTurn(self.ctx, self.transcript, self.queue, self.steps)
        self.desk = Desk(self.ctx, self.transcript, self.queue, self.steps)
        self.callbacks = Callbacks(self.ctx, self.transcript)
        self.supervision = Supervision(self.ctx, self.transcript, self.queue)

    @property
    def now(self) -> Callable[[], dt.datetime]:
        return self.ctx.now

    @now.setter
    def now(self, clock: Callable[[], dt.datetime]) -> None:
        """Move every part's clock at once (tests of timeouts)."""
        self.ctx.now = clock

    @property
    def hub(self) -> Hub:
        return self.ctx.hub

    @property
    def rasa(self) -> RasaClient:
        return self.ctx.rasa

    @property
    def sessions(self) -> sessionmaker:
        return self.ctx.sessions

    @property
    def metrics(self) -> Registry:
        return self.ctx.metrics

    async def dispatch(self) -> None:
        """Serve conversations queued before a restart (at start-up)."""
        await self.queue.dispatch()

    async def tick(self) -> None:
        """The periodic queue tick (the app's ticker, every few seconds)."""
        await self.queue.tick()
