"""Benchmark: KB retrieval on ../shared/eval (dev files), in one run:

1. quality and latency of the default scorer side by side with the single-encoder baselines and the char
   TF-IDF baseline (top-1/3/5, MRR, OOD answer rate at the answer threshold, in-domain answer rate, p50/p99 ms
   of encode + search per query);
2. index builds on the 8.5k-question bank KB: first build from an empty vector cache, then an incremental
   rebuild after editing one entry;
3. a synthetic 100k-question index (flat and HNSW): encode + search p50/p99 with the real query encoder.

    .venvs/app/bin/python bench/kb_eval.py [--scorers use,e5,tfidf,e5-sym,e5-sym+answers] [--skip-builds] [--skip-100k]

A scorer is an encoder spec (questions only), ``<encoder>+answers`` (with the answer-aware re-ranking of
KB_ANSWER_WEIGHT / KB_ANSWER_CHARS), or ``tfidf``.

Evaluation indexes are cached under var/kb-eval (a first e5 build of the bank KB takes ~2 minutes).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from kb_index.encoders import Encoder, make_encoder, unit_rows
from kb_index.evaluate import (
    dense_search,
    evaluate,
    index_for,
    lexical_search,
    percentile,
    read_lines,
    read_queries,
)
from kb_index.importer import import_file
from kb_index.index import build, make_faiss_index
from kb_index.normalize import normalise_query
from kb_index.settings import KbSettings

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
SETS = {
    "bank_faq dev": ("bank_faq_kb.tsv", "bank_faq_queries_dev.tsv"),
    "bq dev": ("bq_dev_kb.tsv", "bq_dev_queries.tsv"),
}


def default_scorer(settings: KbSettings) -> str:
    return settings.encoder + ("+answers" if settings.answer_signal.active else "")


def quality_table(scorers: list[str], settings: KbSettings) -> None:
    ood = read_lines(EVAL / "ood_dev.txt")
    print("| set | scorer | top-1 | top-3 | top-5 | MRR | OOD answered | in-domain answered | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, (kb, queries) in SETS.items():
        for spec in scorers:
            if spec == "tfidf":
                search = lexical_search(EVAL / kb)
            else:
                encoder = make_encoder(spec.removesuffix("+answers"))
                answers = settings.answer_signal if spec.endswith("+answers") else None
                search = dense_search(index_for(EVAL / kb, encoder, settings.data_dir / "kb-eval", answers=answers),
                                      encoder)
            r = evaluate(search, read_queries(EVAL / queries), ood, settings.answer_threshold)
            default = " (default)" if spec == default_scorer(settings) else ""
            print(f"| {name} | {spec}{default} | {r.top1:.3f} | {r.top3:.3f} | {r.top5:.3f} | {r.mrr:.3f} | "
                  f"{r.ood_answer_rate:.3f} | {r.in_domain_answer_rate:.3f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} |",
                  flush=True)


def build_times(encoder: Encoder, settings: KbSettings) -> None:
    """First build from an empty cache, then a rebuild after editing one entry's answer and adding a similar
    question: questions only, and with the answer vectors, side by side."""
    entries = import_file(EVAL / "bank_faq_kb.tsv", require_answer=False)
    edited = list(entries)
    edited[0] = dataclasses.replace(edited[0], answer="（已更新）" + edited[0].answer,
                                    similar=(*edited[0].similar, edited[0].question + "呢"))
    print(f"\nbank KB index builds ({encoder.name}):")
    print("| build | first build s | encoded questions / answers | rebuild after one edit s | re-encoded |")
    print("|---|---|---|---|---|")
    signal = settings.answer_signal
    for label, answers in (("questions only", None),
                           (f"+answers (weight {signal.weight:g}, first {signal.chars} chars)", signal)):
        with tempfile.TemporaryDirectory() as tmp:
            first = build(entries, encoder, Path(tmp), answers=answers)
            started = time.monotonic()
            again = build(edited, encoder, Path(tmp), answers=answers)
            wall = time.monotonic() - started
        print(f"| {label} | {first.build_seconds:.1f} | {first.encoded_questions} / {first.encoded_answers} | "
              f"{wall:.2f} | {again.encoded_questions} / {again.encoded_answers} |", flush=True)


def synthetic_100k(encoder: Encoder, settings: KbSettings, n: int = 100_000) -> None:
    """100k question vectors made from the bank KB's own (cached) vectors plus noise, searched with real
    query encodings of the dev queries."""
    bank = index_for(EVAL / "bank_faq_kb.tsv", encoder, settings.data_dir / "kb-eval")
    base = bank.faiss.reconstruct_n(0, bank.faiss.ntotal)
    rng = np.random.default_rng(0)
    vectors = unit_rows(base[rng.integers(0, len(base), n)] + 0.05 * rng.normal(size=(n, base.shape[1])))
    queries = [q for q, _ in read_queries(EVAL / "bank_faq_queries_dev.tsv")]
    print(f"\nsynthetic {n:,}-question index, {len(queries)} real queries, encode ({encoder.name}) + search:")
    print("| index | build s | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    for index_type in ("flat", "hnsw"):
        started = time.monotonic()
        index = make_faiss_index(vectors.astype(np.float32), index_type)
        built = time.monotonic() - started
        latencies = []
        for query in queries:
            t0 = time.perf_counter()
            index.search(encoder.encode_queries([normalise_query(query)]), 5)
            latencies.append((time.perf_counter() - t0) * 1000)
        print(f"| {index_type} | {built:.1f} | {statistics.median(latencies):.1f} | "
              f"{percentile(latencies, 0.99):.1f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scorers", default="use,e5,tfidf,e5-sym,e5-sym+answers")
    ap.add_argument("--skip-builds", action="store_true", help="skip the first-build / incremental timing")
    ap.add_argument("--skip-100k", action="store_true", help="skip the synthetic 100k-question index")
    args = ap.parse_args()
    if not EVAL.exists():
        raise SystemExit(f"{EVAL} not found: this benchmark needs ../shared/eval beside the repository")
    settings = KbSettings()
    quality_table(args.scorers.split(","), settings)
    encoder = make_encoder(settings.encoder)
    if not args.skip_builds:
        build_times(encoder, settings)
    if not args.skip_100k:
        synthetic_100k(encoder, settings)


if __name__ == "__main__":
    main()
