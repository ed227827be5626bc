"""Retrieval evaluation on the formats of ``../shared/eval`` (KB ``id<TAB>question<TAB>answer``; queries
``query<TAB>gold_id``; out-of-domain questions one a line): top-1/3/5 over distinct entries, MRR, the share of
out-of-domain queries that would be answered directly, and per-query latency (encode + search)."""

from __future__ import annotations

import csv
import hashlib
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

from kb_index.encoders import Encoder
from kb_index.entry import KbSourceError
from kb_index.importer import import_file
from kb_index.index import KbIndex, KbIndexError, build, question_table
from kb_index.lexical import CharTfidfScorer
from kb_index.normalize import normalise_query
from kb_index.ranking import AnswerSignal


@dataclass(frozen=True)
class EvalResult:
    n: int
    top1: float
    top3: float
    top5: float
    mrr: float
    ood_n: int
    ood_answer_rate: float
    in_domain_answer_rate: float
    p50_ms: float
    p99_ms: float


def read_queries(path: Path) -> list[tuple[str, str]]:
    """(query, gold id) rows; a bad row raises an error naming the file and row."""
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines(), delimiter="\t",
                               quoting=csv.QUOTE_NONE))
    except (OSError, UnicodeDecodeError) as exc:
        raise KbSourceError(f"{path}: cannot read: {exc}") from exc
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["query", "gold_id"]:
        raise KbSourceError(f"{path}: row 1: expected the header query<TAB>gold_id")
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise KbSourceError(f"{path}: row {number}: expected query<TAB>gold_id")
        out.append((row[0].strip(), row[1].strip()))
    return out


def read_lines(path: Path) -> list[str]:
    try:
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise KbSourceError(f"{path}: cannot read: {exc}") from exc


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def index_for(kb_path: Path, encoder: Encoder, work_dir: Path, index_type: str = "flat",
              answers: AnswerSignal | None = None) -> KbIndex:
    """Build (or reuse) an index of an evaluation KB file under ``work_dir``."""
    digest = hashlib.sha1(kb_path.read_bytes()).hexdigest()[:12]
    signal = f"-answers{answers.weight:g}x{answers.chars}" if answers and answers.active else ""
    kb_dir = work_dir / (f"{kb_path.stem}-{digest}-{encoder.name.replace('/', '_').replace(':', '_')}"
                         f"-{index_type}{signal}")
    try:
        return KbIndex.load_current(kb_dir)
    except KbIndexError:  # not built yet, or damaged: rebuild
        build(import_file(kb_path, require_answer=False), encoder, kb_dir, index_type, answers)
        return KbIndex.load_current(kb_dir)


Search = Callable[[str, int], Sequence[tuple[str, float]]]  # (query, k) -> (entry id, score), best first


def dense_search(index: KbIndex, encoder: Encoder) -> Search:
    """Encode + search one query with a dense index (what the service does per message)."""
    def search(text: str, k: int) -> list[tuple[str, float]]:
        found = index.search(encoder.encode_queries([normalise_query(text)])[0], k=k)
        return [(index.entries[c.entry].id, c.score) for c in found]
    return search


def lexical_search(kb_path: Path) -> Search:
    """The char TF-IDF baseline over an evaluation KB file."""
    entries = import_file(kb_path, require_answer=False)
    table = question_table(entries)
    scorer = CharTfidfScorer([t for _, t in table], [e for e, _ in table])

    def search(text: str, k: int) -> list[tuple[str, float]]:
        return [(entries[c.entry].id, c.score) for c in scorer.search(normalise_query(text), k=k)]
    return search


def evaluate(search: Search, queries: Sequence[tuple[str, str]], ood: Sequence[str],
             answer_threshold: float) -> EvalResult:
    search("预热", 1)  # load the model before timing
    ranks: list[int | None] = []
    latencies: list[float] = []
    answered_in_domain = 0
    for query, gold in queries:
        started = time.perf_counter()
        found = search(query, 5)
        latencies.append((time.perf_counter() - started) * 1000)
        ids = [entry_id for entry_id, _ in found]
        ranks.append(ids.index(gold) + 1 if gold in ids else None)
        answered_in_domain += bool(found and found[0][1] >= answer_threshold)
    ood_answered = 0
    for question in ood:
        started = time.perf_counter()
        found = search(question, 1)
        latencies.append((time.perf_counter() - started) * 1000)
        ood_answered += bool(found and found[0][1] >= answer_threshold)
    n = len(queries)
    return EvalResult(
        n=n,
        top1=sum(r == 1 for r in ranks) / n if n else 0.0,
        top3=sum(r is not None and r <= 3 for r in ranks) / n if n else 0.0,
        top5=sum(r is not None for r in ranks) / n if n else 0.0,
        mrr=sum(1 / r for r in ranks if r) / n if n else 0.0,
        ood_n=len(ood),
        ood_answer_rate=ood_answered / len(ood) if ood else 0.0,
        in_domain_answer_rate=answered_in_domain / n if n else 0.0,
        p50_ms=statistics.median(latencies) if latencies else 0.0,
        p99_ms=percentile(latencies, 0.99),
    )


def as_dict(result: EvalResult) -> dict[str, float]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(result).items()}
