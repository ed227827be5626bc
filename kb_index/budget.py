"""KB lookups with a time budget, off the caller's event loop: what a serving process (the action server, the
bridge) calls instead of ``KbService.lookup`` on a request path.

Why: encoding a query is CPU work (17 ms idle with e5, seconds on a contended node). Called on an asyncio loop it
stalls every other customer of that process for as long; waited for without a limit it makes one customer wait
for the whole node's load. So the encoder runs on a small bounded pool of worker threads (the encoders release
the GIL), and a lookup that has not finished within ``KB_QUERY_BUDGET_MS`` degrades instead of waiting:

1. ``dense``   - the encoder answered in time: the normal lookup and answer policy;
2. ``lexical`` - it did not (or the pool already had ``max_pending`` lookups queued, or the encoder failed):
   character TF-IDF over the same index version's questions, which costs about a millisecond. Lexical scores are
   not the encoder's cosines, so a lexical match never answers by itself: at or above
   ``KB_LEXICAL_SUGGEST_THRESHOLD`` it offers the questions (您是不是想问, the customer's click answers), below it
   the honest fallback;
3. ``none``    - not even the lexical scorer finished within the budget: the honest fallback.

A customer therefore waits at most about twice the budget. An encoder call that overran keeps running on its
worker (a thread cannot be interrupted) but one that has not started is cancelled, and no more than
``max_pending`` encoder calls are ever queued, so an overload cannot build a backlog of work nobody waits for.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import datetime as dt
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Literal, Protocol

from kb_index import threads
from kb_index.index import KbIndex
from kb_index.lexical import CharTfidfScorer
from kb_index.normalize import normalise_query
from kb_index.policy import Scored, Thresholds, decide
from kb_index.service import Hit, Lookup
from kb_index.settings import KbSettings

log = logging.getLogger(__name__)

Scorer = Literal["dense", "lexical", "none"]


class LookupService(Protocol):
    """What the budget runs: ``kb_index.service.KbService`` (or a wrapper of it, e.g. a benchmark's timer)."""

    def lookup(self, text: str, channel: str | None = None, k: int = 5, today: dt.date | None = None) -> Lookup: ...

    def loaded_index(self) -> KbIndex | None: ...


@dataclass(frozen=True)
class TimedLookup:
    lookup: Lookup
    path: Scorer  # which scorer produced it (module docstring)
    elapsed_ms: float


class BudgetedKb:
    """Time-budgeted lookups over the service ``service()`` returns (called per lookup, so the service in use
    can be replaced, e.g. by tests)."""

    def __init__(self, service: Callable[[], LookupService], budget_ms: float, workers: int = 1,
                 lexical_suggest: float = 0.5, max_pending: int | None = None) -> None:
        if budget_ms <= 0 or workers < 1:
            raise ValueError(f"budget {budget_ms} ms and {workers} worker(s): both must be positive")
        self._service = service
        self.budget_s = budget_ms / 1000
        self.lexical_thresholds = Thresholds(answer=math.inf, suggest=lexical_suggest)  # lexical never answers
        self.max_pending = max_pending or 4 * workers
        self._pool = cf.ThreadPoolExecutor(workers, "kb-encode", initializer=threads.apply_limits)
        self._lexical_pool = cf.ThreadPoolExecutor(1, "kb-lexical", initializer=threads.apply_limits)
        self._lock = threading.Lock()
        self._pending = 0
        self._lexical: tuple[str, CharTfidfScorer] | None = None  # (index version, scorer over its questions)
        self.counts: dict[str, int] = {"dense": 0, "lexical": 0, "none": 0}

    # ------------------------------------------------------------------ the two scorers
    def _submit_dense(self, text: str, channel: str | None, k: int) -> cf.Future[Lookup] | None:
        with self._lock:
            if self._pending >= self.max_pending:
                return None
            self._pending += 1
        future = self._pool.submit(self._service().lookup, text, channel, k)
        future.add_done_callback(self._release)
        return future

    def _release(self, _: cf.Future[Lookup]) -> None:
        with self._lock:
            self._pending -= 1

    def _scorer(self, index: KbIndex) -> CharTfidfScorer:
        version = index.manifest.version
        cached = self._lexical
        if cached is None or cached[0] != version:
            cached = (version, CharTfidfScorer(index.question_text, index.question_entry.tolist()))
            self._lexical = cached
        return cached[1]

    def lexical_lookup(self, text: str, channel: str | None = None, k: int = 5,
                       today: dt.date | None = None) -> Lookup:
        """The lexical degradation (module docstring): suggestions or the fallback, never a direct answer."""
        index = self._service().loaded_index()
        query = normalise_query(text)
        if index is None or not query:
            return Lookup(decide([], self.lexical_thresholds), (), index.manifest.version if index else None)
        day = today or dt.date.today()
        hits = []
        for candidate in self._scorer(index).search(query, k=k * 4):
            entry = index.entries[candidate.entry]
            if entry.is_valid_on(day) and entry.serves(channel):
                hits.append(Hit(entry, index.question_text[candidate.question], candidate.score))
        hits = hits[:k]
        decision = decide([Scored(entry_id=h.entry.id, question=h.entry.question, score=h.score) for h in hits],
                          self.lexical_thresholds)
        return Lookup(decision, tuple(hits), index.manifest.version)

    def warm(self) -> None:
        """Fit the lexical scorer for the version in service now, not on the first overloaded query."""
        index = self._service().loaded_index()
        if index is not None:
            self._scorer(index)

    def _nothing(self) -> Lookup:
        index = self._service().loaded_index()
        return Lookup(decide([], self.lexical_thresholds), (), index.manifest.version if index else None)

    def _done(self, lookup: Lookup, path: Scorer, started: float) -> TimedLookup:
        with self._lock:
            self.counts[path] += 1
        cached = self._lexical
        if path == "dense" and lookup.version and (cached is None or cached[0] != lookup.version):
            self._lexical_pool.submit(self.warm)  # a new version in service: fit its lexical stand-in now
        if path != "dense":
            log.warning("KB lookup degraded to %s after %.0f ms (budget %.0f ms)", path,
                        (time.perf_counter() - started) * 1000, self.budget_s * 1000)
        return TimedLookup(lookup, path, (time.perf_counter() - started) * 1000)

    # ------------------------------------------------------------------ callers
    async def lookup(self, text: str, channel: str | None = None, k: int = 5) -> TimedLookup:
        """For an asyncio caller: the loop keeps serving other requests while the encoder runs."""
        started = time.perf_counter()
        dense = self._submit_dense(text, channel, k)
        if dense is not None:
            try:
                return self._done(await asyncio.wait_for(asyncio.wrap_future(dense), self.budget_s), "dense",
                                  started)
            except asyncio.TimeoutError:
                pass  # wait_for cancelled the future: a lookup still queued never runs
            except Exception:  # noqa: BLE001 - a failing encoder degrades like a slow one
                log.exception("KB dense lookup failed; using the lexical scorer")
        lexical = self._lexical_pool.submit(self.lexical_lookup, text, channel, k)
        try:
            return self._done(await asyncio.wait_for(asyncio.wrap_future(lexical), self.budget_s), "lexical",
                              started)
        except asyncio.TimeoutError:
            return self._done(self._nothing(), "none", started)

    def lookup_blocking(self, text: str, channel: str | None = None, k: int = 5) -> TimedLookup:
        """The same for a thread that may block (a worker thread, a benchmark)."""
        started = time.perf_counter()
        dense = self._submit_dense(text, channel, k)
        if dense is not None:
            try:
                return self._done(dense.result(timeout=self.budget_s), "dense", started)
            except cf.TimeoutError:
                dense.cancel()
            except Exception:  # noqa: BLE001
                log.exception("KB dense lookup failed; using the lexical scorer")
        lexical = self._lexical_pool.submit(self.lexical_lookup, text, channel, k)
        try:
            return self._done(lexical.result(timeout=self.budget_s), "lexical", started)
        except cf.TimeoutError:
            lexical.cancel()
            return self._done(self._nothing(), "none", started)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._lexical_pool.shutdown(wait=False, cancel_futures=True)


def open_budgeted(service: Callable[[], LookupService], settings: KbSettings | None = None) -> BudgetedKb:
    """A :class:`BudgetedKb` configured from the KB settings and the process's thread plan (worker count)."""
    kb = settings or KbSettings()
    plan = threads.ensure_configured()  # e.g. in a Sanic worker process, where the entry point did not run
    workers = kb.workers or (plan.workers if plan else 1)
    return BudgetedKb(service, kb.query_budget_ms, workers, kb.lexical_suggest_threshold)
