"""Rasa tracker store that never persists personal data, on SQLite (default) or any SQL database.

* Every event is stored with PII masked (:func:`common.pii.mask_pii` on every string: the customer's text, the
  parse data, slot values such as a card number typed into a form). The conversation in memory keeps the
  raw text for the turn being processed; what is read back later is the masked copy.
* On SQLite it keeps a small pool of connections open (SQLAlchemy 1.4 opens and closes one per session for a
  file database) and switches the database to WAL with ``synchronous=NORMAL``: one fsync per checkpoint
  instead of per message. The chat workload writes on every message (README "Speed").

Configured in bot/endpoints.yml as ``type: bot.tracker_store.MaskingSQLTrackerStore``.
"""

from __future__ import annotations

import itertools
from typing import Any, Iterator

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from common.pii import mask_pii

# identifiers and names that are never personal data and must stay byte-for-byte
_KEEP_KEYS = frozenset({"event", "name", "timestamp", "message_id", "sender_id", "input_channel", "policy"})


def mask_event_data(data: Any, key: str = "") -> Any:
    """A copy of an event's dict with PII masked in every string value (recursively)."""
    if isinstance(data, dict):
        return {k: mask_event_data(v, k) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_event_data(v, key) for v in data]
    if isinstance(data, str) and key not in _KEEP_KEYS:
        return mask_pii(data)
    return data


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class MaskingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that stores events with PII masked (and WAL mode on SQLite).

    It also remembers how many events of the current session each conversation has in the database, so a save
    appends the new events without first counting the stored ones (a query per message otherwise). The Rasa
    server is this database's only writer for its conversations; after a restart the count is queried once.
    """

    engine: sa.engine.Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stored_counts: dict[str, int] = {}
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=4,
                                           connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            self._stored_counts[sender_id] = len(tracker.events)
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = self._stored_counts.pop(tracker.sender_id, None)
        total = len(tracker.events)
        if stored is None or stored > total:
            new = list(super()._additional_events(session, tracker))
        else:
            new = list(itertools.islice(tracker.events, stored, total))
        self._stored_counts[tracker.sender_id] = total
        for event in new:
            data = event.as_dict()
            masked = mask_event_data(data)
            yield event if masked == data else Event.from_parameters(masked)
