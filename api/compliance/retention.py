"""Retention and deletion requests, in every store that holds what a customer said:

* the bridge's database (messages, 留言, survey comments, flag texts; the conversation anonymised, its token
  replaced so the old one reads nothing);
* Rasa's tracker store, over Rasa's HTTP API with the JWT: each of the conversation's Rasa sessions
  (``<id>-<n>``, see ``Conversation.rasa_sender``) is replaced by an empty tracker, which
  bot.tracker_store.MaskingSQLTrackerStore turns into deleting its rows (secure_delete, WAL truncated);
* the KB's unanswered-questions store (``kb_index.unanswered``: rows recorded under those session ids).

Order: a deletion request first replaces the conversations' tokens (the customer can add nothing more), then
erases in Rasa and the unanswered store, then in the bridge, in one transaction with its audit row. If Rasa
cannot be reached the request fails (503) before the bridge erases anything, so it can simply be asked again;
the retention purge skips that round and tries again an hour later. SQLite files are written with
``secure_delete`` on and their WAL checkpointed and truncated afterwards, so erased text leaves no copy in the
file's free pages or its WAL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Protocol

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.compliance.audit import audit
from api.errors import ServiceError
from api.store.models import Conversation, FeedbackItem, FeedbackReply, Flag, LeaveMessage, Message, Survey, utcnow

log = logging.getLogger(__name__)
PURGE_BATCH = 500  # conversations per retention round (the rest wait for the next)


class TrackerEraser(Protocol):
    """What the retention needs of the Rasa client (api.rasa_client.RasaClient)."""

    async def erase_conversation(self, sender: str) -> None: ...


class ErasureIncomplete(ServiceError):
    status = 503


@dataclass
class Erased:
    conversations: int = 0
    messages: int = 0
    leave_messages: int = 0
    rasa_trackers: int = 0
    unanswered: int = 0
    ids: list[str] = field(default_factory=list)  # the conversations erased (their sockets are closed)

    def counts(self) -> dict[str, int]:
        return {"conversations": self.conversations, "messages": self.messages,
                "leave_messages": self.leave_messages, "rasa_trackers": self.rasa_trackers,
                "unanswered": self.unanswered}


def rasa_senders(targets: list[tuple[str, int]]) -> list[str]:
    """Every Rasa conversation id a bridge conversation used: ``<id>-1`` … ``<id>-<session_no>``."""
    return [f"{conv_id}-{n}" for conv_id, last in targets for n in range(1, max(1, last) + 1)]


def erase_in_bridge(db: Session, conv_ids: list[str]) -> Erased:
    """Erase what was said in these conversations from the bridge's tables (the caller's transaction)."""
    if not conv_ids:
        return Erased()
    messages = db.scalar(select(func.count()).select_from(Message).where(Message.conversation_id.in_(conv_ids)))
    leaves = db.scalar(select(func.count()).select_from(LeaveMessage)
                       .where(LeaveMessage.conversation_id.in_(conv_ids)))
    db.execute(delete(Message).where(Message.conversation_id.in_(conv_ids)))
    db.execute(delete(LeaveMessage).where(LeaveMessage.conversation_id.in_(conv_ids)))
    db.execute(update(Survey).where(Survey.conversation_id.in_(conv_ids)).values(comment=None, customer_id=None))
    items = select(FeedbackItem.id).where(FeedbackItem.conversation_id.in_(conv_ids))  # opinions and their replies
    db.execute(update(FeedbackReply).where(FeedbackReply.item_id.in_(items)).values(text=""))
    db.execute(update(FeedbackItem).where(FeedbackItem.conversation_id.in_(conv_ids)).values(
        text="", keywords_json="[]", branch=None))
    db.execute(update(Flag).where(Flag.conversation_id.in_(conv_ids)).values(text=""))
    db.execute(update(Conversation).where(Conversation.id.in_(conv_ids)).values(
        customer_id=None, handoff_json=None, state="closed", agent_id=None, stage=None,
        token_hash=secrets.token_hex(32)))  # the old token can no longer read anything
    return Erased(conversations=len(conv_ids), messages=int(messages or 0), leave_messages=int(leaves or 0),
                  ids=list(conv_ids))


def checkpoint(sessions: sessionmaker) -> None:
    """Move the WAL into the database file and truncate it (SQLite only): erased rows leave the WAL too."""
    with sessions() as db:
        if db.get_bind().dialect.name == "sqlite":
            db.connection().exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


CloseSockets = Callable[[list[str]], Awaitable[int]]  # api.staff.sockets.SocketRegistry.close_conversations


class Retention:
    """Deletion requests and the retention purge across the bridge, Rasa and the unanswered store; the
    customers' open sockets of an erased conversation are closed (``close_sockets``)."""

    def __init__(self, sessions: sessionmaker, rasa: TrackerEraser, unanswered_db: Path | None,
                 close_sockets: CloseSockets | None = None) -> None:
        self.sessions = sessions
        self.rasa = rasa
        self.unanswered_db = unanswered_db
        self.close_sockets = close_sockets

    async def _closed(self, ids: list[str]) -> None:
        if self.close_sockets is not None and ids:
            await self.close_sockets(ids)

    def _erase_unanswered(self, senders: list[str]) -> int:
        if self.unanswered_db is None or not self.unanswered_db.exists() or not senders:
            return 0  # never create the store just to erase from it
        from kb_index.unanswered import UnansweredStore

        return UnansweredStore(self.unanswered_db).delete_conversations(senders)

    async def _erase_elsewhere(self, targets: list[tuple[str, int]]) -> Erased:
        """Rasa's trackers and the unanswered questions of these conversations; ErasureIncomplete when Rasa
        cannot be reached (nothing in the bridge is erased then)."""
        senders = rasa_senders(targets)
        for sender in senders:
            try:
                await self.rasa.erase_conversation(sender)
            except Exception as exc:  # noqa: BLE001 - any failure leaves the request to be asked again
                log.warning("erasing %s in Rasa failed: %s", sender, exc.__class__.__name__)
                raise ErasureIncomplete("未能删除对话机器人（Rasa）中的会话记录，客户数据尚未删除，请稍后重试") from exc
        unanswered = await run_in_threadpool(self._erase_unanswered, senders)
        return Erased(rasa_trackers=len(senders), unanswered=unanswered)

    async def delete_customer(self, customer_id: str, actor: str) -> Erased:
        """A customer's deletion request: everything said in their conversations, in every store."""
        with self.sessions() as db, db.begin():
            targets = [(c.id, c.session_no) for c in db.scalars(
                select(Conversation).where(Conversation.customer_id == customer_id))]
            if targets:  # the customer can add nothing while the other stores are erased
                db.execute(update(Conversation).where(Conversation.id.in_([t[0] for t in targets]))
                           .values(token_hash=secrets.token_hex(32)))
        await self._closed([t[0] for t in targets])
        elsewhere = await self._erase_elsewhere(targets)
        with self.sessions() as db, db.begin():
            erased = erase_in_bridge(db, [t[0] for t in targets])
            erased.rasa_trackers, erased.unanswered = elsewhere.rasa_trackers, elsewhere.unanswered
            digest = hashlib.sha256(customer_id.encode()).hexdigest()[:16]
            audit(db, actor, "customer_deleted", f"sha256:{digest}", **erased.counts())
        checkpoint(self.sessions)
        return erased

    async def purge_expired(self, retention_days: int, now: dt.datetime | None = None) -> Erased:
        """Erase conversations idle for longer than the retention period (never one with a human right now);
        a round that cannot reach Rasa erases nothing (logged; the next round tries again)."""
        cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
        expired = (Conversation.updated_at < cutoff) & or_(
            Conversation.state == "bot",  # not yet erased: erasing closes a conversation and drops its customer
            (Conversation.state == "closed") & Conversation.customer_id.is_not(None))
        with self.sessions() as db:
            targets = [(c.id, c.session_no) for c in db.scalars(select(Conversation).where(expired)
                                                                   .limit(PURGE_BATCH))]
        if not targets:
            return Erased()
        try:
            elsewhere = await self._erase_elsewhere(targets)
        except ErasureIncomplete:
            return Erased()
        with self.sessions() as db, db.begin():
            still = list(db.scalars(select(Conversation.id).where(  # not written to since it was chosen
                Conversation.id.in_([t[0] for t in targets]), expired)))
            erased = erase_in_bridge(db, still)
            erased.rasa_trackers, erased.unanswered = elsewhere.rasa_trackers, elsewhere.unanswered
            audit(db, "system", "retention_purge", None, retention_days=retention_days, **erased.counts())
        checkpoint(self.sessions)
        await self._closed(erased.ids)
        return erased
