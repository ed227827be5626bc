"""Versioned FAISS index files under ``<data dir>/kb/`` and the searcher that loads them.

Layout::

    kb/cache/<encoder>.npz          question vectors by text hash: a rebuild re-encodes only changed questions
    kb/cache/<encoder>-answers.npz  the same for answer vectors (answer-aware re-ranking)
    kb/versions/<version>/          index.faiss, questions.json, entries.json, [answers.npy,] manifest.json
    kb/current                      the name of the version in service (replaced atomically)

``manifest.json`` records encoder, dims, entry and question counts, index type, build time and a SHA-256 of
the index and question files; loading checks it, so a corrupt or truncated index fails with an error naming
the file instead of answering wrongly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from kb_index.encoders import Encoder
from kb_index.entry import KbEntry, entry_from_mapping, entry_to_mapping
from kb_index.normalize import normalise_query
from kb_index.ranking import AnswerSignal, Candidate, best_question_per_entry, rerank_with_answers

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


def _files(directory: Path, with_answers: bool) -> list[Path]:
    names = ["index.faiss", "questions.json", "entries.json"] + (["answers.npy"] if with_answers else [])
    return [directory / name for name in names]


def build(entries: Sequence[KbEntry], encoder: Encoder, kb_dir: Path, index_type: str = "flat",
          answers: AnswerSignal | None = None) -> Manifest:
    """Encode every question (cached vectors reused) and, with an active ``answers`` signal and a KB that has
    answers, every answer; write a new version, then point ``current`` at it."""
    import faiss

    if not entries:
        raise KbIndexError("no KB entries to index")
    started = time.monotonic()
    table = question_table(entries)
    stem = kb_dir / "cache" / encoder.name.replace("/", "_").replace(":", "_")
    vectors, encoded = VectorCache(stem.with_suffix(".npz")).encode_and_save(encoder, [t for _, t in table])
    signal = answers if answers and answers.active and any(e.has_answer for e in entries) else None
    answer_vectors, encoded_answers = (
        VectorCache(stem.with_name(stem.name + "-answers.npz")).encode_and_save(
            encoder, [answer_snippet(e, signal.chars) for e in entries], encoder.encode_answers)
        if signal else (None, 0))
    version = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target = kb_dir / "versions" / version
    target.mkdir(parents=True)
    faiss.write_index(make_faiss_index(vectors, index_type), str(target / "index.faiss"))
    (target / "questions.json").write_text(
        json.dumps([{"entry": e, "text": t} for e, t in table], ensure_ascii=False), encoding="utf-8")
    (target / "entries.json").write_text(
        json.dumps([entry_to_mapping(e) for e in entries], ensure_ascii=False), encoding="utf-8")
    if answer_vectors is not None:
        np.save(target / "answers.npy", answer_vectors)
    manifest = Manifest(
        version=version, encoder=encoder.name, dims=int(vectors.shape[1]), entries=len(entries),
        questions=len(table), index_type=index_type,
        checksum=_sha256(*_files(target, answer_vectors is not None)),
        file_checksums={f.name: _sha256(f) for f in _files(target, answer_vectors is not None)},
        built_at=dt.datetime.now().isoformat(timespec="seconds"), build_seconds=round(time.monotonic() - started, 3),
        encoded_questions=encoded, answer_weight=signal.weight if signal else 0.0,
        answer_chars=signal.chars if signal else 0, encoded_answers=encoded_answers,
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
        files = _files(directory, self.manifest.answer_weight > 0)
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
        if self.manifest.answer_weight > 0:
            self.answer_vectors = np.load(files[3])
            if self.answer_vectors.shape != (len(self.entries), self.manifest.dims):
                raise KbIndexError(f"{files[3]}: shape {self.answer_vectors.shape} does not match "
                                   f"{len(self.entries)} entries of {self.manifest.dims} dims")

    @classmethod
    def load_current(cls, kb_dir: Path) -> KbIndex:
        return cls(kb_dir / "versions" / current_version(kb_dir))

    def search_vectors(self, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """FAISS top-k questions for each query row: (scores, question ids)."""
        scores, ids = self.faiss.search(np.ascontiguousarray(query_vectors, dtype=np.float32), k)
        return scores, ids

    def search(self, query_vector: np.ndarray, k: int = 5, fetch: int = 50) -> list[Candidate]:
        """The ``k`` best entries for one query vector: each scored by its best question among the ``fetch``
        nearest questions, then re-ranked by their answers when the index has answer vectors."""
        scores, ids = self.search_vectors(np.atleast_2d(query_vector), min(fetch, self.faiss.ntotal))
        found = best_question_per_entry(ids[0].tolist(), scores[0].tolist(), self.question_entry)
        if self.answer_vectors is not None and found:
            answer_scores = self.answer_vectors[[c.entry for c in found]] @ np.ravel(query_vector)
            found = rerank_with_answers(found, answer_scores.tolist(), self.manifest.answer_weight)
        return found[:k]
