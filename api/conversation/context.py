"""What every part of the engine shares: settings, the database, the Rasa client, the sockets, the metrics,
the word filter, the cipher for callback numbers, the clock, and the one lock.

Every state change and queue dispatch runs under that lock, so two requests cannot assign the same
conversation twice or overfill an agent. On PostgreSQL the lock is also a database advisory lock
(``api.cluster.engine_lock``), so the same holds across several bridge processes. Everything is written to
the database before any WebSocket push, so a bridge restart loses nothing: queued conversations, assignments
and transcripts are all rows. ``now`` is read at call time, so a test can move the clock for every part at
once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.orm import sessionmaker

from api.cluster.engine_lock import EngineLock
from api.compliance.sensitive_words import SensitiveWords
from api.conversation.hub import Hub
from api.rasa_client import RasaClient
from api.reports.prometheus import Registry
from api.settings import Settings
from api.store.encryption import FieldCipher
from api.store.models import utcnow


@dataclass
class Context:
    settings: Settings
    sessions: sessionmaker
    rasa: RasaClient
    hub: Hub
    metrics: Registry
    words: SensitiveWords
    cipher: FieldCipher
    now: Callable[[], dt.datetime] = utcnow
    lock: EngineLock = field(default_factory=EngineLock)
