"""The knowledge base in service: one loaded index version plus its encoder, searched by many requests and
replaced by a newly built version without a restart.

The index and encoder in use form one immutable ``_Loaded`` pair held in a single attribute, so a swap is one
reference assignment: a request that started on the old version finishes on it, the next one sees the new
one, and none sees a half-loaded index. A watcher thread polls the ``current`` pointer (a tiny file replaced
atomically by ``build``) and loads a new version beside the old before swapping; a version that fails to load
(corrupt, partial) is logged and the old one keeps serving.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kb_index.encoders import Encoder, make_encoder
from kb_index.entry import KbEntry
from kb_index.index import KbIndex, KbIndexError, Manifest, current_version
from kb_index.normalize import normalise_query
from kb_index.policy import Decision, Scored, Thresholds, decide
from kb_index.settings import KbSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    entry: KbEntry
    matched_question: str
    score: float  # question cosine
    confidence: float | None = None  # calibrated probability that this is the right entry (None: no re-ranker)

    def as_dict(self) -> dict[str, object]:
        return {"entry_id": self.entry.id, "question": self.entry.question, "matched": self.matched_question,
                "score": round(self.score, 4),
                "confidence": None if self.confidence is None else round(self.confidence, 4)}


@dataclass(frozen=True)
class Lookup:
    decision: Decision
    hits: tuple[Hit, ...]
    version: str | None

    def hit(self, entry_id: str) -> Hit | None:
        return next((h for h in self.hits if h.entry.id == entry_id), None)

    @property
    def confidence(self) -> float | None:
        """Calibrated probability that the best entry is right (what the bot/KB arbitration reads); None when
        the index has no re-ranker (then only the cosine ``score`` is known)."""
        return self.hits[0].confidence if self.hits else None


@dataclass(frozen=True)
class _Loaded:
    index: KbIndex
    encoder: Encoder
    by_id: dict[str, KbEntry]


class KbService:
    """Thread-safe search over the index version in service, with hot swap."""

    def __init__(self, kb_dir: Path, thresholds: Thresholds,
                 encoder_factory: Callable[[str], Encoder] = make_encoder) -> None:
        self.kb_dir = kb_dir
        self.thresholds = thresholds
        self._encoder_factory = encoder_factory
        self._encoders: dict[str, Encoder] = {}
        self._loaded: _Loaded | None = None
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self.last_error: str | None = None

    @property
    def version(self) -> str | None:
        loaded = self._loaded
        return loaded.index.manifest.version if loaded else None

    def reload_if_changed(self) -> bool:
        """Load the version ``current`` points at if it is not the one in service; True when swapped."""
        with self._reload_lock:
            try:
                version = current_version(self.kb_dir)
            except KbIndexError as exc:
                self._note_error(str(exc))
                return False
            if version == self.version:
                return False
            try:
                index = KbIndex(self.kb_dir / "versions" / version)
                spec = index.manifest.encoder
                encoder = self._encoders.get(spec) or self._encoder_factory(spec)
                self._encoders[spec] = encoder
                if encoder.dim != index.manifest.dims:
                    raise KbIndexError(f"{index.directory}: encoder {spec} gives {encoder.dim} dims, "
                                       f"the index has {index.manifest.dims}")
                encoder.encode_queries(["预热"])  # load model weights before the first customer waits on them
            except (KbIndexError, ValueError, OSError) as exc:
                self._note_error(f"KB version {version} not loaded, still serving {self.version}: {exc}")
                return False
            self._loaded = _Loaded(index, encoder, {e.id: e for e in index.entries})  # the atomic swap
            self.last_error = None
            log.info("KB index version %s in service (%d entries)", version, len(index.entries))
            return True

    def _note_error(self, message: str) -> None:
        if message != self.last_error:
            log.warning("%s", message)
        self.last_error = message

    def start_watching(self, interval_s: float = 1.0) -> None:
        """Poll the ``current`` pointer in a daemon thread and hot-swap new versions."""
        if self._watcher is not None:
            return

        def watch() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.reload_if_changed()
                except Exception:  # noqa: BLE001 - the watcher must outlive any one bad build
                    log.exception("KB reload failed")

        self._watcher = threading.Thread(target=watch, name="kb-watcher", daemon=True)
        self._watcher.start()

    def stop_watching(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None

    def current_manifest(self) -> Manifest | None:
        loaded = self._loaded
        return loaded.index.manifest if loaded else None

    def loaded_index(self) -> KbIndex | None:
        """The index version in service (read once and use for a whole request: a swap may follow)."""
        loaded = self._loaded
        return loaded.index if loaded else None

    def entry(self, entry_id: str) -> KbEntry | None:
        loaded = self._loaded
        return loaded.by_id.get(entry_id) if loaded else None

    def lookup(self, text: str, channel: str | None = None, k: int = 5, today: dt.date | None = None) -> Lookup:
        """Search and apply the answer policy; entries retired or not for this channel are skipped."""
        loaded = self._loaded  # one read: the whole request uses one version
        if loaded is None:
            return Lookup(decide([], self.thresholds), (), None)
        day = today or dt.date.today()
        query = normalise_query(text)
        found = (loaded.index.search(loaded.encoder.encode_queries([query])[0], k=k * 4, text=query)
                 if query else [])
        hits = []
        for candidate in found:
            entry = loaded.index.entries[candidate.entry]
            if entry.is_valid_on(day) and entry.serves(channel):
                hits.append(Hit(entry, loaded.index.question_text[candidate.question], candidate.score,
                                candidate.confidence))
        hits = hits[:k]
        decision = decide([Scored(h.entry.id, h.entry.question, h.score, h.confidence) for h in hits],
                          self.thresholds)
        return Lookup(decision, tuple(hits), loaded.index.manifest.version)


def open_service(settings: KbSettings, watch_interval_s: float = 1.0) -> KbService:
    """The KB service as every serving process runs it (the action server's fallback, the bridge's agent
    suggestions): the index version in service under ``settings.kb_dir``, the configured thresholds, watching for
    new versions. A missing index is logged, not fatal: the service answers with nothing until one is built."""
    service = KbService(settings.kb_dir, settings.thresholds)
    service.reload_if_changed()
    if service.version is None:
        log.warning("no KB index in service yet (%s); KB lookups find nothing until one is built",
                    service.last_error)
    service.start_watching(interval_s=watch_interval_s)
    return service
