"""Versioned FAISS index files under ``<data dir>/kb/`` and the searcher that loads them.

Layout::

    kb/cache/<encoder>.npz          question vectors by text hash: a rebuild re-encodes only changed questions
    kb/cache/<encoder>-answers.npz  the same for answer vectors (answer-aware re-ranking)
    kb/cache/<encoder>-queries.npz  KB questions encoded as queries (re-ranker training; asymmetric encoders)
    kb/versions/<version>/          index.faiss, questions.json, entries.json, [answers.npy,] [reranker.json,]
                                    manifest.json
    kb/current                      the name of the version in service (replaced atomically)

``manifest.json`` records encoder, dims, entry and question counts, index type, build time and a SHA-256 of
the index and question files; loading checks it, so a corrupt or truncated index fails with an error naming
the file instead of answering wrongly.

With a re-ranker config, ``build`` also trains the learned re-ranker on the KB's own leave-one-out questions
(``kb_index.reranker``) and ships it as ``reranker.json``, checksummed like the other files; the index then
orders its candidates with it and gives each its calibrated probability of being the right entry. A KB with
too few multi-question entries gets none, and is searched as before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from kb_index.encoders import Encoder
from kb_index.entry import KbEntry, entry_from_mapping, entry_to_mapping
from kb_index.features import KbFeatureData, candidates_from_questions
from kb_index.normalize import normalise_query
from kb_index.ranking import AnswerSignal, Candidate, best_question_per_entry, rerank_with_answers, verbatim_first
from kb_index.reranker import (
    Reranker,
    RerankerConfig,
    StaleReranker,
    design_of,
    rank_candidates,
    train,
    training_queries,
)

log = logging.getLogger(__name__)

INDEX_TYPES = ("flat", "hnsw", "ivf")
KEEP_VERSIONS = 5


class KbIndexError(RuntimeError):
    """A missing, corrupt or inconsistent index; the message names the file."""


@dataclass(frozen=True)
class Manifest:
    version: str
    encoder: str
    dims: int
    entries: int
    questions: int
    index_type: str
    checksum: str
    built_at: str
    build_seconds: float
    encoded_questions: int  # how many were not in the vector cache
    answer_weight: float = 0.0  # answer-aware re-ranking (0: off, no answers.npy)
    answer_chars: int = 0
    encoded_answers: int = 0
    file_checksums: dict[str, str] = field(default_factory=dict)  # SHA-256 per file, to name the damaged one
    reranker_queries: int = 0  # leave-one-out queries the re-ranker was trained on (0: no re-ranker)
    reranker_seconds: float = 0.0
    reranker_note: str = ""  # why there is none, or its out-of-fold quality


def _sha256(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _text_key(encoder: str, text: str) -> str:
    return hashlib.sha1(f"{encoder}\x00{text}".encode()).hexdigest()


class VectorCache:
    """Passage vectors by (encoder, text) hash, persisted as one .npz per encoder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._vectors: dict[str, np.ndarray] = {}
        if path.exists():
            try:
                with np.load(path) as data:
                    self._vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                self._vectors = {}  # a damaged cache only costs re-encoding

    def encode(self, encoder: Encoder, texts: Sequence[str],
               encode: Callable[[Sequence[str]], np.ndarray] | None = None) -> tuple[np.ndarray, int]:
        """Vectors of ``texts`` (``encode``, by default the encoder's passages, runs on the uncached ones only)
        and how many were encoded."""
        keys = [_text_key(encoder.name, t) for t in texts]
        missing = sorted({i for i, k in enumerate(keys) if k not in self._vectors})
        if missing:
            fresh = (encode or encoder.encode_passages)([texts[i] for i in missing])
            for i, vector in zip(missing, fresh, strict=True):
                self._vectors[keys[i]] = vector
        matrix = np.stack([self._vectors[k] for k in keys]) if keys else np.zeros((0, encoder.dim), np.float32)
        return matrix.astype(np.float32), len(missing)

    def encode_and_save(self, encoder: Encoder, texts: Sequence[str],
                        encode: Callable[[Sequence[str]], np.ndarray] | None = None) -> tuple[np.ndarray, int]:
        """``encode``, then persist the cache keeping only these texts' vectors."""
        vectors, encoded = self.encode(encoder, texts, encode)
        self.save(keep=[_text_key(encoder.name, t) for t in texts])
        return vectors, encoded

    def save(self, keep: Sequence[str] | None = None) -> None:
        items = self._vectors if keep is None else {k: self._vectors[k] for k in keep if k in self._vectors}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.stem + ".tmp.npz")
        np.savez(tmp, keys=np.array(list(items), dtype="U40"), vectors=np.array(list(items.values()), np.float32))
        os.replace(tmp, self.path)


def make_faiss_index(vectors: np.ndarray, index_type: str = "flat") -> Any:
    """An inner-product FAISS index over unit vectors: exact ``flat``, or ``hnsw`` / ``ivf`` for 100k+ questions."""
    import faiss

    n, dims = vectors.shape
    index: Any
    if index_type == "flat":
        index = faiss.IndexFlatIP(dims)
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dims, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    elif index_type == "ivf":
        nlist = max(1, min(int(4 * np.sqrt(n)), n // 39 or 1))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dims), dims, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = min(nlist, 32)
    else:
        raise ValueError(f"index type must be one of {INDEX_TYPES}")
    if n:
        index.add(vectors)
    return index


def question_table(entries: Sequence[KbEntry]) -> list[tuple[int, str]]:
    table = []
    for e_idx, entry in enumerate(entries):
        seen = set()
        for question in entry.questions:
            text = normalise_query(question)
            if text and text not in seen:
                seen.add(text)
                table.append((e_idx, text))
    return table


def answer_snippet(entry: KbEntry, chars: int) -> str:
    """What is encoded of an entry's answer: its normalised start (the standard question when it has none)."""
    return (normalise_query(entry.answer)[:chars] if entry.has_answer else "") or normalise_query(entry.question)


def answer_for_features(entry: KbEntry) -> str:
    """The answer text the re-ranker's features read (terms, length): normalised, '' when there is none."""
    return normalise_query(entry.answer) if entry.has_answer else ""


def _files(directory: Path, with_answers: bool, with_reranker: bool = False) -> list[Path]:
    names = ["index.faiss", "questions.json", "entries.json"] + (["answers.npy"] if with_answers else [])
    return [directory / name for name in names + (["reranker.json"] if with_reranker else [])]


def train_reranker(entries: Sequence[KbEntry], table: Sequence[tuple[int, str]], vectors: np.ndarray,
                   answer_vectors: np.ndarray | None, encoder: Encoder, cache: Path,
                   config: RerankerConfig) -> tuple[Reranker | None, str]:
    """The re-ranker of this KB, or None (and why) when it has too few multi-question entries."""
    data = KbFeatureData.build([t for _, t in table], np.array([e for e, _ in table]), vectors,
                               [answer_for_features(e) for e in entries], answer_vectors)
    queries = training_queries(data, config)
    if not queries:
        multi = sum(q.size > 1 for q in data.entry_questions)
        return None, (f"no re-ranker: {multi} entries with several questions (needs {config.min_entries}) and "
                      f"{sum(q.size for q in data.entry_questions if q.size > 1)} of their questions (needs "
                      f"{config.min_queries}); today's scoring is used")
    asked = [question for question, _ in queries]
    if getattr(encoder, "symmetric", False):  # questions were encoded as queries already
        query_vectors = vectors[asked]
    else:
        unique = {question: row for row, question in enumerate(sorted(set(asked)))}
        encoded, _ = VectorCache(cache).encode_and_save(encoder, [table[i][1] for i in unique], encoder.encode_queries)
        query_vectors = encoded[[unique[i] for i in asked]]
    reranker = train(data, [t for _, t in table], query_vectors, queries, config)
    report = reranker.report
    return reranker, (f"re-ranker out-of-fold top-1 {report['out_of_fold']['top1']} (today's scoring "
                      f"{report['out_of_fold_baseline']['top1']}) on {report['queries']} leave-one-out queries")


def _reusable_reranker(kb_dir: Path, encoder: str, texts: Sequence[str],
                       config: RerankerConfig) -> tuple[tuple[str, int, float] | None, str]:
    """The re-ranker of the version in service, when this build changes at most ``config.reuse_changed`` of
    its questions: a trainer's edit is then served in a second instead of after a retraining whose model
    would barely differ (the features describe a query and a candidate, not one entry)."""
    try:
        previous = kb_dir / "versions" / current_version(kb_dir)
        manifest = json.loads((previous / "manifest.json").read_text(encoding="utf-8"))
        model = previous / "reranker.json"
        if manifest.get("encoder") != encoder or not manifest.get("reranker_queries") or \
                manifest.get("file_checksums", {}).get("reranker.json") != _sha256(model):
            return None, ""
        text = model.read_text(encoding="utf-8")
        shipped = json.loads(text)
        if shipped.get("features") != list(config.features) or shipped.get("candidates", 30) != config.candidates \
                or shipped.get("design") != design_of(config):
            return None, ""
        old = {q["text"] for q in json.loads((previous / "questions.json").read_text(encoding="utf-8"))}
    except (KbIndexError, OSError, ValueError, KeyError, TypeError):
        return None, ""
    changed = len(old.symmetric_difference(texts))
    if changed > config.reuse_changed * len(texts):
        return None, ""
    return ((text, int(manifest["reranker_queries"]), 0.0),
            f"re-ranker of version {previous.name} reused ({changed} questions changed; more than "
            f"{config.reuse_changed:.0%} retrain it)")


def build(entries: Sequence[KbEntry], encoder: Encoder, kb_dir: Path, index_type: str = "flat",
          answers: AnswerSignal | None = None, reranker: RerankerConfig | None = None,
          cache_dir: Path | None = None) -> Manifest:
    """Encode every question (cached vectors reused) and, with an active ``answers`` signal and a KB that has
    answers, every answer; with ``reranker``, train the re-ranker (answers are then encoded for its features
    even with the answer signal off); write a new version, then point ``current`` at it. ``cache_dir``
    (default ``kb_dir/cache``) holds the vector caches."""
    import faiss

    if not entries:
        raise KbIndexError("no KB entries to index")
    started = time.monotonic()
    table = question_table(entries)
    stem = (cache_dir or kb_dir / "cache") / encoder.name.replace("/", "_").replace(":", "_")
    vectors, encoded = VectorCache(stem.with_suffix(".npz")).encode_and_save(encoder, [t for _, t in table])
    has_answers = any(e.has_answer for e in entries)
    signal = answers if answers and answers.active and has_answers else None
    chars = signal.chars if signal else (answers.chars if answers else 32)
    answer_vectors, encoded_answers = (
        VectorCache(stem.with_name(stem.name + "-answers.npz")).encode_and_save(
            encoder, [answer_snippet(e, chars) for e in entries], encoder.encode_answers)
        if has_answers and (signal or reranker) else (None, 0))
    trained, note = (None, "")
    if reranker:
        trained, note = _reusable_reranker(kb_dir, encoder.name, [t for _, t in table], reranker)
        if trained is None:
            model, note = train_reranker(entries, table, vectors, answer_vectors, encoder,
                                         stem.with_name(stem.name + "-queries.npz"), reranker)
            trained = (model.to_json(), model.report["queries"], model.report["train_seconds"]) if model else None
    version = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target = kb_dir / "versions" / version
    target.mkdir(parents=True)
    faiss.write_index(make_faiss_index(vectors, index_type), str(target / "index.faiss"))
    (target / "questions.json").write_text(
        json.dumps([{"entry": e, "text": t} for e, t in table], ensure_ascii=False), encoding="utf-8")
    (target / "entries.json").write_text(
        json.dumps([entry_to_mapping(e) for e in entries], ensure_ascii=False), encoding="utf-8")
    with_answers = answer_vectors is not None
    if answer_vectors is not None:
        np.save(target / "answers.npy", answer_vectors)
    if trained is not None:
        (target / "reranker.json").write_text(trained[0], encoding="utf-8")
    files = _files(target, with_answers, trained is not None)
    manifest = Manifest(
        version=version, encoder=encoder.name, dims=int(vectors.shape[1]), entries=len(entries),
        questions=len(table), index_type=index_type, checksum=_sha256(*files),
        file_checksums={f.name: _sha256(f) for f in files},
        built_at=dt.datetime.now().isoformat(timespec="seconds"), build_seconds=round(time.monotonic() - started, 3),
        encoded_questions=encoded, answer_weight=signal.weight if signal else 0.0,
        answer_chars=chars if with_answers else 0, encoded_answers=encoded_answers,
        reranker_queries=trained[1] if trained else 0, reranker_seconds=trained[2] if trained else 0.0,
        reranker_note=note,
    )
    (target / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1), encoding="utf-8")
    _point_current_at(kb_dir, version)
    _prune(kb_dir, version)
    return manifest


def _point_current_at(kb_dir: Path, version: str) -> None:
    tmp = kb_dir / ".current.tmp"
    tmp.write_text(version, encoding="utf-8")
    os.replace(tmp, kb_dir / "current")


def _prune(kb_dir: Path, keep: str) -> None:
    versions = sorted(p for p in (kb_dir / "versions").iterdir() if p.is_dir())
    for old in versions[:-KEEP_VERSIONS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def current_version(kb_dir: Path) -> str:
    pointer = kb_dir / "current"
    if not pointer.exists():
        raise KbIndexError(f"{pointer}: no KB index has been built (run `python -m kb_index build`)")
    return pointer.read_text(encoding="utf-8").strip()


def _stored_vectors(index: Any) -> np.ndarray:
    """The question vectors a FAISS index holds (an IVF index needs its direct map for that)."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        index.make_direct_map()
    return np.asarray(index.reconstruct_n(0, index.ntotal), dtype=np.float32)


class KbIndex:
    """One loaded, verified index version; immutable, so a swap is a reference assignment."""

    def __init__(self, directory: Path) -> None:
        import faiss

        self.directory = directory
        manifest_path = directory / "manifest.json"
        try:
            self.manifest = Manifest(**json.loads(manifest_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise KbIndexError(f"{manifest_path}: missing or unreadable manifest: {exc}") from exc
        files = _files(directory, self.manifest.answer_chars > 0, self.manifest.reranker_queries > 0)
        missing = [str(f) for f in files if not f.exists()]
        if missing:
            raise KbIndexError(f"{missing[0]}: index file missing")
        if _sha256(*files) != self.manifest.checksum:
            damaged = next((f for f in files if self.manifest.file_checksums.get(f.name, "") != _sha256(f)), files[0])
            raise KbIndexError(f"{damaged}: checksum does not match {manifest_path} (corrupt or partial index)")
        self.faiss = faiss.read_index(str(files[0]))
        questions = json.loads(files[1].read_text(encoding="utf-8"))
        self.question_text = [q["text"] for q in questions]
        self.question_entry = np.array([q["entry"] for q in questions], dtype=np.int64)
        self.entries = [entry_from_mapping(e, f"{files[2]}: entry {i + 1}")
                        for i, e in enumerate(json.loads(files[2].read_text(encoding="utf-8")))]
        if self.faiss.ntotal != len(self.question_text) or self.faiss.d != self.manifest.dims:
            raise KbIndexError(f"{files[0]}: {self.faiss.ntotal} vectors of {self.faiss.d} dims do not match "
                               f"{len(self.question_text)} questions of {self.manifest.dims} dims")
        self.answer_vectors: np.ndarray | None = None
        if self.manifest.answer_chars > 0:
            self.answer_vectors = np.load(files[3])
            if self.answer_vectors.shape != (len(self.entries), self.manifest.dims):
                raise KbIndexError(f"{files[3]}: shape {self.answer_vectors.shape} does not match "
                                   f"{len(self.entries)} entries of {self.manifest.dims} dims")
        self.reranker: Reranker | None = None
        self.features: KbFeatureData | None = None
        if self.manifest.reranker_queries > 0:
            try:
                self.reranker = Reranker.from_json(files[-1].read_text(encoding="utf-8"))
            except StaleReranker as exc:  # an index built by older code still answers, with today's scoring
                log.warning("%s: re-ranker not used (%s)", files[-1], exc)
            except (ValueError, KeyError, TypeError) as exc:
                raise KbIndexError(f"{files[-1]}: cannot load the re-ranker: {exc}") from exc
        self.verbatim: dict[str, set[int]] = {}
        if self.reranker is not None:
            for text, entry in zip(self.question_text, self.question_entry.tolist(), strict=True):
                self.verbatim.setdefault(text, set()).add(entry)
            self.features = KbFeatureData.build(
                self.question_text, self.question_entry, _stored_vectors(self.faiss),
                [answer_for_features(e) for e in self.entries], self.answer_vectors)

    @classmethod
    def load_current(cls, kb_dir: Path) -> KbIndex:
        return cls(kb_dir / "versions" / current_version(kb_dir))

    def search_vectors(self, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """FAISS top-k questions for each query row: (scores, question ids)."""
        scores, ids = self.faiss.search(np.ascontiguousarray(query_vectors, dtype=np.float32), k)
        return scores, ids

    def search(self, query_vector: np.ndarray, k: int = 5, fetch: int = 50, text: str | None = None) -> list[Candidate]:
        """The ``k`` best entries for one query (its unit vector and normalised ``text``). With a re-ranker:
        its ``candidates`` entries of the ``fetch`` nearest questions in its order, the first ones with their
        calibrated probability (``Candidate.confidence``). Without: each entry scored by its best question
        among the ``fetch`` nearest, re-ranked by its answer when the index has the answer signal."""
        if self.reranker is not None and self.features is not None:
            if text is None:
                raise ValueError("this index has a re-ranker: search needs the query text too")
            scores, ids = self.search_vectors(np.atleast_2d(query_vector), min(self.reranker.fetch, self.faiss.ntotal))
            found = candidates_from_questions(ids[0].tolist(), scores[0].tolist(), self.question_entry,
                                              self.reranker.candidates)
            ranked, probabilities = rank_candidates(self.reranker, self.features, text, np.ravel(query_vector),
                                                    found)
            scored = [dataclasses.replace(c, confidence=p) for c, p in zip(ranked, probabilities, strict=True)]
            return verbatim_first(scored, self.verbatim.get(text, set()))[:k]
        scores, ids = self.search_vectors(np.atleast_2d(query_vector), min(fetch, self.faiss.ntotal))
        found = best_question_per_entry(ids[0].tolist(), scores[0].tolist(), self.question_entry)
        if self.answer_vectors is not None and self.manifest.answer_weight > 0 and found:
            answer_scores = self.answer_vectors[[c.entry for c in found]] @ np.ravel(query_vector)
            found = rerank_with_answers(found, answer_scores.tolist(), self.manifest.answer_weight)
        return found[:k]
