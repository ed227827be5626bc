"""Rasa's Redis lock store with every change of a lock made atomically, for several Rasa workers (the cluster).

Rasa takes a ticket per message of a conversation and processes the message when its ticket is served, so one
conversation's messages run one at a time, in the order their tickets were taken, whichever worker has them.
Rasa 3.6's ``RedisLockStore`` changes a lock by GET, change in Python, SET: two workers taking a ticket for the
same conversation at the same moment can both read the same lock and both get the same ticket number (and run
at once), and a worker finishing its ticket can DELETE the lock just after another took a ticket on it (that
message then fails with "Could not acquire lock"). Here each change (take a ticket, drop expired ones, finish
a ticket and delete the lock when nobody waits) is one optimistic Redis transaction (WATCH / MULTI / EXEC,
retried when another worker changed the lock in between).

A worker that dies holding a ticket blocks its conversation until the ticket expires: ``TICKET_LOCK_LIFETIME``
(Rasa's setting, seconds; the cluster sets 20, above the bridge's 10 s budget for a turn).

Configured in bot/endpoints.cluster.yml as ``type: bot.lock_store.AtomicRedisLockStore``.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional, Tuple, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
# the new lock to store (None: delete the key) and what the change returns
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]]


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # Rasa builds a custom lock store from its endpoints entry
            kwargs = {"host": endpoint_config.url, **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Change[T]) -> T:
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new, result = change(lock)
                    pipe.multi()
                    if new is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another worker changed this lock meanwhile: read it again

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def take(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, take)
        except redis.RedisError as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, finish)
