"""Retrieval evaluation on the formats of ``../shared/eval`` (KB ``id<TAB>question<TAB>answer``; queries
``query<TAB>gold_id``; out-of-domain questions one a line): top-1/3/5 over distinct entries, MRR, what the
answer policy does with them (direct answers and how many are right, suggestions and whether the right entry is
among them, fallbacks; out-of-domain questions answered or suggested), and per-query latency (encode +
search)."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from kb_index.encoders import Encoder
from kb_index.importer import import_file
from kb_index.index import KbIndex, KbIndexError, build, question_table
from kb_index.lexical import CharTfidfScorer
from kb_index.normalize import normalise_query
from kb_index.policy import Action, Scored, Thresholds, decide
from kb_index.ranking import AnswerSignal
from kb_index.reranker import RerankerConfig


@dataclass(frozen=True)
class EvalResult:
    n: int
    top1: float
    top3: float
    top5: float
    mrr: float
    ood_n: int
    ood_answer_rate: float  # OOD questions answered directly
    in_domain_answer_rate: float  # in-domain queries answered directly
    answer_precision: float  # of those, the share answered with the right entry
    suggest_rate: float  # in-domain queries given 您是不是想问
    suggest_hit_rate: float  # of those, the share whose right entry is among the suggestions
    fallback_rate: float  # in-domain queries given an apology
    ood_suggest_rate: float
    p50_ms: float
    p99_ms: float


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def index_for(kb_path: Path, encoder: Encoder, work_dir: Path, index_type: str = "flat",
              answers: AnswerSignal | None = None, reranker: RerankerConfig | None = None) -> KbIndex:
    """Build (or reuse) an index of an evaluation KB file under ``work_dir``; the variants of one KB share
    its vector caches."""
    digest = hashlib.sha1(kb_path.read_bytes()).hexdigest()[:12]
    signal = f"-answers{answers.weight:g}x{answers.chars}" if answers and answers.active else ""
    # a re-ranker's directory is named by its configuration (features, training design, parameters), so a
    # changed configuration is trained afresh instead of loading a model trained otherwise
    model = f"-reranker-{hashlib.sha1(repr(reranker).encode()).hexdigest()[:8]}" if reranker else ""
    kb_dir = work_dir / (f"{kb_path.stem}-{digest}-{encoder.name.replace('/', '_').replace(':', '_')}"
                         f"-{index_type}{signal}{model}")
    try:
        return KbIndex.load_current(kb_dir)
    except KbIndexError:  # not built yet, or damaged: rebuild
        build(import_file(kb_path, require_answer=False), encoder, kb_dir, index_type, answers, reranker,
              cache_dir=work_dir / f"cache-{kb_path.stem}-{digest}")
        return KbIndex.load_current(kb_dir)


Search = Callable[[str, int], Sequence[Scored]]  # (query, k) -> candidates, best first


def dense_search(index: KbIndex, encoder: Encoder) -> Search:
    """Encode + search one query with a dense index (what the service does per message)."""
    def search(text: str, k: int) -> list[Scored]:
        query = normalise_query(text)
        found = index.search(encoder.encode_queries([query])[0], k=k, text=query)
        return [Scored(index.entries[c.entry].id, index.question_text[c.question], c.score, c.confidence)
                for c in found]
    return search


def lexical_search(kb_path: Path) -> Search:
    """The char TF-IDF baseline over an evaluation KB file."""
    entries = import_file(kb_path, require_answer=False)
    table = question_table(entries)
    scorer = CharTfidfScorer([t for _, t in table], [e for e, _ in table])

    def search(text: str, k: int) -> list[Scored]:
        return [Scored(entries[c.entry].id, table[c.question][1], c.score)
                for c in scorer.search(normalise_query(text), k=k)]
    return search


def evaluate(search: Search, queries: Sequence[tuple[str, str]], ood: Sequence[str],
             thresholds: Thresholds) -> EvalResult:
    """Ranking quality and the answer policy's outcomes (``thresholds``) on labelled and OOD queries."""
    search("预热", 1)  # load the model before timing
    ranks: list[int | None] = []
    latencies: list[float] = []
    outcomes: dict[str, int] = {"answer": 0, "answer_right": 0, "suggest": 0, "suggest_hit": 0, "fallback": 0,
                                "ood_answer": 0, "ood_suggest": 0}
    for query, gold in queries:
        started = time.perf_counter()
        found = search(query, 5)
        latencies.append((time.perf_counter() - started) * 1000)
        ids = [s.entry_id for s in found]
        ranks.append(ids.index(gold) + 1 if gold in ids else None)
        decision = decide(found, thresholds)
        outcomes[decision.action.value] += 1
        if decision.action is Action.ANSWER:
            outcomes["answer_right"] += found[0].entry_id == gold
        elif decision.action is Action.SUGGEST:
            outcomes["suggest_hit"] += gold in [s.entry_id for s in decision.suggestions]
    for question in ood:
        started = time.perf_counter()
        found = search(question, 5)
        latencies.append((time.perf_counter() - started) * 1000)
        action = decide(found, thresholds).action
        outcomes["ood_answer"] += action is Action.ANSWER
        outcomes["ood_suggest"] += action is Action.SUGGEST
    n = len(queries)

    def share(count: int, of: int) -> float:
        return count / of if of else 0.0
    return EvalResult(
        n=n,
        top1=sum(r == 1 for r in ranks) / n if n else 0.0,
        top3=sum(r is not None and r <= 3 for r in ranks) / n if n else 0.0,
        top5=sum(r is not None for r in ranks) / n if n else 0.0,
        mrr=sum(1 / r for r in ranks if r) / n if n else 0.0,
        ood_n=len(ood),
        ood_answer_rate=share(outcomes["ood_answer"], len(ood)),
        in_domain_answer_rate=share(outcomes["answer"], n),
        answer_precision=share(outcomes["answer_right"], outcomes["answer"]),
        suggest_rate=share(outcomes["suggest"], n),
        suggest_hit_rate=share(outcomes["suggest_hit"], outcomes["suggest"]),
        fallback_rate=share(outcomes["fallback"], n),
        ood_suggest_rate=share(outcomes["ood_suggest"], len(ood)),
        p50_ms=statistics.median(latencies) if latencies else 0.0,
        p99_ms=percentile(latencies, 0.99),
    )


def as_dict(result: EvalResult) -> dict[str, float]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(result).items()}


def loo_policy_outcomes(report: Mapping[str, Any], thresholds: Thresholds) -> dict[str, float]:
    """The answer policy's outcomes on a re-ranker's out-of-fold leave-one-out queries (``Reranker.report``:
    per query the first candidates' probabilities and cosines, and which of them is right): what the default
    thresholds are chosen on, since they must not be chosen on dev data."""
    counts = {"answer": 0, "answer_right": 0, "suggest": 0, "suggest_hit": 0, "fallback": 0}
    for probabilities, cosines, right in zip(report["probabilities"], report["cosines"], report["right"],
                                             strict=True):
        candidates = [Scored(str(i), "", cos, p) for i, (p, cos) in enumerate(zip(probabilities, cosines, strict=True))]
        decision = decide(candidates, thresholds)
        counts[decision.action.value] += 1
        if decision.action is Action.ANSWER:
            counts["answer_right"] += right == 0
        elif decision.action is Action.SUGGEST:
            counts["suggest_hit"] += str(right) in [s.entry_id for s in decision.suggestions]
    n = max(1, len(report["right"]))
    return {"answered": counts["answer"], "answer_rate": counts["answer"] / n,
            "answer_precision": counts["answer_right"] / max(1, counts["answer"]),
            "suggest_rate": counts["suggest"] / n,
            "suggest_hit_rate": counts["suggest_hit"] / max(1, counts["suggest"]),
            "fallback_rate": counts["fallback"] / n}


def threshold_sweep(report: Mapping[str, Any], thresholds: Thresholds,
                    grid: Sequence[float]) -> list[dict[str, float]]:
    """The policy's leave-one-out outcomes (``loo_policy_outcomes``) at each answer probability of ``grid``
    (the other thresholds as given): what ``KB_ANSWER_CONFIDENCE`` is chosen on."""
    return [{"answer_confidence": a, **loo_policy_outcomes(report, dataclasses.replace(
        thresholds, answer_confidence=a, suggest_confidence=min(a, thresholds.suggest_confidence),
        suggestion_floor=min(a, thresholds.suggestion_floor)))} for a in grid]


def wilson_lower_bound(right: int, n: int, confidence: float) -> float:
    """One-sided lower confidence bound (Wilson score interval) of a proportion ``right / n``: with probability
    ``confidence`` the true share is at least this. 0 for an empty sample."""
    if n <= 0:
        return 0.0
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence must be in [0.5, 1), got {confidence}")
    z = statistics.NormalDist().inv_cdf(confidence)
    p = right / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z * z / n))


def lowest_threshold(sweep: Sequence[Mapping[str, float]], precision: float,
                     confidence: float | None = None) -> float | None:
    """The lowest answer probability of a sweep whose direct answers are at least ``precision`` right (None:
    none is). With ``confidence`` the precision must be reached by the Wilson lower bound at that confidence
    (the row's ``answered`` count is the sample), not by the point estimate: a threshold chosen where the
    leave-one-out precision only just reaches the target falls below it on about half of new samples."""
    def reaches(row: Mapping[str, float]) -> bool:
        if confidence is None:
            return row["answer_precision"] >= precision
        answered = int(row["answered"])
        return wilson_lower_bound(round(row["answer_precision"] * answered), answered, confidence) >= precision
    return min((row["answer_confidence"] for row in sweep if row["answer_rate"] > 0 and reaches(row)), default=None)
