"""FastAPI dependencies, declared as types: a route names what it needs (``desk: DeskDep``,
``user: AgentUser``) and never looks anything up on ``app.state`` itself. ``create_app`` puts the services on
``app.state`` once; these functions are the only readers (for HTTP routes and WebSockets alike)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Callable

from fastapi import Depends, Header, HTTPException
from fastapi.requests import HTTPConnection
from sqlalchemy.orm import sessionmaker

from api.compliance.limits import EdgeLimits
from api.compliance.retention import Retention
from api.conversation.callbacks import Callbacks
from api.conversation.desk import Desk
from api.conversation.hub import Hub
from api.conversation.queue import HandoffQueue
from api.conversation.service import ChatService
from api.conversation.supervision import Supervision
from api.conversation.transcript import Transcript
from api.conversation.turn import CustomerTurn
from api.rasa_client import RasaClient
from api.reports.prometheus import Registry
from api.settings import Settings
from api.staff.accounts import AGENT_ROLES, session_for_token, user_for_token
from api.staff.sockets import SocketRegistry
from api.store.models import User
from api.workbench.kb_edits import KbEdits
from api.workbench.kb_files import KbFiles
from api.workbench.nlu_edits import NluEdits
from api.workbench.nlu_files import NluFiles
from api.workbench.training import Trainer
from api.workbench.unanswered import UnansweredReview
from common.institution import Institution
from kb_index.service import KbService


# ---------------------------------------------------------------------------------- the app's services
def _state(name: str) -> Callable[[HTTPConnection], Any]:
    """A dependency reading ``app.state.<name>`` (the type is declared where it is used, below)."""
    def read(conn: HTTPConnection) -> Any:
        return getattr(conn.app.state, name)
    read.__name__ = f"state_{name}"
    return read


def _loaded(name: str) -> Callable[[HTTPConnection], Any]:
    """A dependency calling the loader at ``app.state.<name>`` (services loaded on first use; None when off)."""
    def load(conn: HTTPConnection) -> Any:
        return getattr(conn.app.state, name)()
    load.__name__ = f"load_{name}"
    return load


def _engine_part(name: str) -> Callable[..., Any]:
    """A dependency giving one part of the conversation engine (``turn``, ``desk``, ``queue`` …)."""
    def part(chat: ChatDep) -> Any:
        return getattr(chat, name)
    part.__name__ = f"engine_{name}"
    return part


def _nlu_edits(files: NluFilesDep, sessions: SessionDep) -> NluEdits:
    return NluEdits(files, sessions)


def _kb_edits(files: KbFilesDep, sessions: SessionDep) -> KbEdits:
    return KbEdits(files, sessions)


def _unanswered_store(conn: HTTPConnection) -> Any:
    """The unanswered-questions store, opened on first use (and kept): an app that never reviews them never
    creates the file."""
    store = getattr(conn.app.state, "unanswered", None)
    if store is None:
        from kb_index.settings import KbSettings
        from kb_index.unanswered import UnansweredStore

        store = conn.app.state.unanswered = UnansweredStore(KbSettings().unanswered_path)
    return store


def _unanswered(conn: HTTPConnection, nlu: NluEditsDep, kb: KbEditsDep, sessions: SessionDep) -> UnansweredReview:
    return UnansweredReview(lambda: _unanswered_store(conn), nlu, kb, sessions)


SettingsDep = Annotated[Settings, Depends(_state("settings"))]
SessionDep = Annotated[sessionmaker, Depends(_state("sessions"))]  # the session factory: callers open transactions
ChatDep = Annotated[ChatService, Depends(_state("chat"))]
TurnDep = Annotated[CustomerTurn, Depends(_engine_part("turn"))]
TranscriptDep = Annotated[Transcript, Depends(_engine_part("transcript"))]
DeskDep = Annotated[Desk, Depends(_engine_part("desk"))]
CallbacksDep = Annotated[Callbacks, Depends(_engine_part("callbacks"))]
SupervisionDep = Annotated[Supervision, Depends(_engine_part("supervision"))]
QueueDep = Annotated[HandoffQueue, Depends(_engine_part("queue"))]
HubDep = Annotated[Hub, Depends(_engine_part("hub"))]
RegistryDep = Annotated[Registry, Depends(_engine_part("metrics"))]
RasaDep = Annotated[RasaClient, Depends(_engine_part("rasa"))]
KbDep = Annotated[KbService | None, Depends(_loaded("kb"))]  # the KB search service (None when off)
InstitutionDep = Annotated[Institution | None, Depends(_loaded("institution"))]  # domain.yml's facts
NluFilesDep = Annotated[NluFiles, Depends(_state("nlu_files"))]
KbFilesDep = Annotated[KbFiles, Depends(_state("kb_files"))]
TrainerDep = Annotated[Trainer, Depends(_state("trainer"))]
NluEditsDep = Annotated[NluEdits, Depends(_nlu_edits)]
KbEditsDep = Annotated[KbEdits, Depends(_kb_edits)]
UnansweredDep = Annotated[UnansweredReview, Depends(_unanswered)]
LimitsDep = Annotated[EdgeLimits, Depends(_state("limits"))]  # the edge's counters (api.compliance.limits)
SocketsDep = Annotated[SocketRegistry, Depends(_state("sockets"))]  # the open, authenticated sockets
RetentionDep = Annotated[Retention, Depends(_state("retention"))]  # deletion requests, in every store


# ---------------------------------------------------------------------------------- who is calling
def bearer(authorization: str | None = Header(default=None)) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None


TokenDep = Annotated[str | None, Depends(bearer)]
ROLE_NAMES = {"agent": "坐席", "supervisor": "班长", "trainer": "训练师", "reviewer": "质检员", "owner": "意见处理人"}


def staff(*roles: str) -> Callable[..., User]:
    def dependency(sessions: SessionDep, token: TokenDep) -> User:
        user = user_for_token(sessions, token)
        if user is None:
            raise HTTPException(401, "请先登录（登录已过期或无效）", headers={"WWW-Authenticate": "Bearer"})
        if roles and user.role not in roles:
            raise HTTPException(403, f"无权限：需要{'或'.join(ROLE_NAMES.get(r, r) for r in roles)}身份")
        return user
    return dependency


def socket_staff(sessions: sessionmaker, token: str | None, roles: tuple[str, ...]
                 ) -> tuple[User, dt.datetime] | None:
    """The staff member a WebSocket's token (``api.staff.sockets.offered_token``) belongs to and when it
    expires, if they have one of ``roles``."""
    found = session_for_token(sessions, token)
    return found if found is not None and found[0].role in roles else None


AgentUser = Annotated[User, Depends(staff(*AGENT_ROLES))]
SupervisorUser = Annotated[User, Depends(staff("supervisor"))]
TrainerUser = Annotated[User, Depends(staff("trainer"))]
