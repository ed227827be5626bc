"""The unanswered-questions store: every fallback, low-confidence suggestion and 没帮助 feedback, for trainers
to review. Text is PII-masked inside ``record``, so no caller can store a raw card or ID number.

SQLite (WAL) under the data directory; one short transaction per record, safe from several processes.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from common.pii import mask_pii
from kb_index.normalize import normalise_query

KINDS = ("fallback", "suggest", "negative_feedback", "low_confidence")
MAX_TEXT = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS unanswered (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    normalised TEXT NOT NULL,
    conversation TEXT NOT NULL DEFAULT '',
    intent TEXT,
    confidence REAL,
    best_entry TEXT,
    best_score REAL,
    status TEXT NOT NULL DEFAULT 'open'
);
CREATE INDEX IF NOT EXISTS unanswered_status ON unanswered (status, created_at);
"""


@dataclass(frozen=True)
class Unanswered:
    id: int
    created_at: str
    kind: str
    text: str
    normalised: str
    conversation: str
    intent: str | None
    confidence: float | None
    best_entry: str | None
    best_score: float | None
    status: str


class UnansweredStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def record(self, kind: str, text: str, conversation: str = "", intent: str | None = None,
               confidence: float | None = None, best_entry: str | None = None,
               best_score: float | None = None) -> int:
        """Store one question (masked, at most ``MAX_TEXT`` characters); returns its id."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        masked = mask_pii(text.strip())[:MAX_TEXT]
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO unanswered (created_at, kind, text, normalised, conversation, intent, confidence,"
                " best_entry, best_score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, kind, masked, normalise_query(masked), conversation, intent, confidence, best_entry,
                 best_score),
            )
            return int(cursor.lastrowid or 0)

    def recent(self, status: str = "open", limit: int = 500) -> list[Unanswered]:
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT id, created_at, kind, text, normalised, conversation, intent, confidence, best_entry,"
                " best_score, status FROM unanswered WHERE status = ? ORDER BY id DESC LIMIT ?",
                (status, limit),
            ).fetchall()
        return [Unanswered(*row) for row in rows]

    def delete_conversations(self, conversations: Iterable[str]) -> int:
        """Erase every question recorded under these conversation ids (a customer's deletion request, the
        retention purge): the rows, their bytes in the file (secure_delete) and in the WAL (checkpointed and
        truncated). Returns how many were deleted."""
        wanted = list(dict.fromkeys(conversations))
        if not wanted:
            return 0
        with closing(self._connect()) as db:
            db.execute("PRAGMA secure_delete=ON")
            with db:
                deleted = sum(db.execute("DELETE FROM unanswered WHERE conversation = ?", (c,)).rowcount
                              for c in wanted)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted

    def set_status(self, ids: list[int], status: str) -> int:
        with closing(self._connect()) as db, db:
            cursor = db.executemany("UPDATE unanswered SET status = ? WHERE id = ?", [(status, i) for i in ids])
            return cursor.rowcount
