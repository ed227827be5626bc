"""Rasa tracker store that never persists personal data, on SQLite (default) or any SQL database.

* Every event is stored with PII masked (:func:`common.pii.mask_data`: every string and key, whole numbers too,
  with ``\\uXXXX`` escapes read), except the event's own identifiers (type, name, timestamp, message id). That
  covers the customer's text, the parse data, slot values such as a card number typed into a form, metadata, and
  payloads: ``/inform{"x": "6222…"}`` and its entity values, a card sent as a JSON number, and payloads Rasa
  could not parse (kept as text).
* Across messages (:func:`common.pii.mask_with_context`): when a new message completes a number begun in the
  customer's previous one (a card typed in two halves), or is a bare code right after the bot asked for one, the
  earlier rows are rewritten too, and the digits masked are scrubbed from every value derived from them (slots,
  entities) in the rows since. The conversation in memory keeps the raw text for the turn being processed; what
  is read back later is the masked copy.
* On SQLite it keeps a small pool of connections open (SQLAlchemy 1.4 opens and closes one per session for a
  file database) and switches the database to WAL with ``synchronous=NORMAL``: one fsync per checkpoint
  instead of per message. The chat workload writes on every message (README "Speed").

Erasure: an empty tracker saved (the bridge's ``PUT /conversations/<id>/tracker/events`` with ``[]``, Rasa's
HTTP API with the JWT) deletes the conversation's rows (:meth:`MaskingSQLTrackerStore.erase`).

Configured in bot/endpoints.yml as ``type: bot.tracker_store.MaskingSQLTrackerStore``.
"""

from __future__ import annotations

import difflib
import itertools
import json
from typing import Any, Iterator, List, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from common.pii import CONTEXT_MESSAGES, asks_for_code, mask_data, mask_pii, mask_with_context

# the event's own identifiers, at its top level: never personal data, and they must stay byte-for-byte
_KEEP_KEYS = frozenset({"event", "name", "timestamp", "message_id", "sender_id", "policy"})
Replacements = List[Tuple[str, str]]


def mask_event_data(data: Any) -> Any:
    """A copy of an event's dict with PII masked in every value and key but the event's identifiers."""
    if not isinstance(data, dict):
        return mask_data(data)
    return {k: v if k in _KEEP_KEYS else mask_data(v) for k, v in data.items()}


def replacements(before: str, after: str) -> Replacements:
    """The (raw, masked) pieces that turned ``before`` into ``after``, for those holding 4+ digits: what a
    context mask hid, to be hidden again wherever a slot or entity copied it."""
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return [(before[i1:i2], after[j1:j2]) for op, i1, i2, j1, j2 in matcher.get_opcodes()
            if op in ("replace", "delete") and sum(c.isdigit() for c in before[i1:i2]) >= 4]


def scrub(data: Any, pairs: Replacements) -> Any:
    """``data`` with every raw piece of ``pairs`` replaced by its mask, in every string."""
    if isinstance(data, dict):
        return {k: scrub(v, pairs) for k, v in data.items()}
    if isinstance(data, list):
        return [scrub(v, pairs) for v in data]
    if isinstance(data, str):
        for raw, masked in pairs:
            data = data.replace(raw, masked)
    return data


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # a rewritten row leaves no old copy in the file's free space
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
        self._rewrote = False
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=4,
                                           connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if not tracker.events:
            self.erase(tracker.sender_id)  # Rasa's PUT /conversations/<id>/tracker/events with [] (see erase)
            return
        self._rewrote = False
        await super().save(tracker)
        if self._rewrote and self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:  # the old rows' pages leave the WAL file too
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def erase(self, sender_id: str) -> None:
        """Delete every event of ``sender_id`` (a customer's deletion request or the retention purge, sent by the
        bridge over Rasa's HTTP API with the JWT as an empty replacement tracker), leaving no copy in the file's
        free pages (secure_delete) or the WAL (checkpointed and truncated).

        Rasa saves an empty tracker otherwise only in ``create_tracker``, after ``retrieve`` found no rows for the
        conversation (it returns any conversation that has rows), where deleting changes nothing."""
        self._stored_counts.pop(sender_id, None)
        with self.session_scope() as session:
            session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

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
        asked = self._bot_asked_for_code(tracker, len(tracker.events) - len(new))
        pairs: Replacements = []
        for event in new:
            data = event.as_dict()
            masked = mask_event_data(data)
            if isinstance(event, UserUttered) and isinstance(event.text, str):
                pairs += self._mask_across_messages(session, tracker.sender_id, event.text, masked, asked)
                asked = False
            elif isinstance(event, BotUttered):
                asked = asks_for_code(event.text or "")
            masked = scrub(masked, pairs) if pairs else masked
            yield event if masked == data else Event.from_parameters(masked)

    @staticmethod
    def _bot_asked_for_code(tracker: DialogueStateTracker, first_new: int) -> bool:
        """Whether the last bot message before the new events (and after the customer's last) asked for a code."""
        for event in reversed(list(itertools.islice(tracker.events, 0, first_new))):
            if isinstance(event, BotUttered):
                return asks_for_code(event.text or "")
            if isinstance(event, UserUttered):
                return False
        return False

    def _mask_across_messages(self, session: Any, sender_id: str, text: str, masked: dict[str, Any],
                              asked: bool) -> Replacements:
        """Mask ``text`` with the customer's previous messages as context; rewrite the rows that held part of a
        number. Updates ``masked`` (the new event's dict) and returns what was hidden, to scrub later events."""
        if not asked and not any(ch.isdigit() for ch in text):
            return []
        rows = (session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.type_name == UserUttered.type_name)
                .order_by(self.SQLEvent.id.desc()).limit(CONTEXT_MESSAGES).all())[::-1]
        stored = [json.loads(row.data) for row in rows]
        recent = [str(d.get("text") or "") for d in stored]
        result = mask_with_context(text, recent, asked)
        pairs = replacements(mask_pii(text), result.text) if result.text != masked.get("text") else []
        for before, after in zip(recent, result.recent, strict=True):
            pairs += replacements(before, after)
        if not pairs:
            return []
        masked.update(scrub(masked, pairs))
        changed = [row.id for row, before, after in zip(rows, recent, result.recent, strict=True) if before != after]
        if changed:
            for row in session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id,
                                                           self.SQLEvent.id >= min(changed)):
                data = json.loads(row.data)
                rewritten = scrub(data, pairs)
                if rewritten != data:
                    row.data = json.dumps(rewritten)
                    self._rewrote = True
        return pairs
