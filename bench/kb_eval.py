"""Benchmark: KB retrieval on ../shared/eval (dev files), in one run:

1. quality and latency of the default scorer side by side with the single-encoder baselines and the char
   TF-IDF baseline, and the default on this project's own KB as built, with its held-out customer messages
   (``nlu_eval/kb_queries.tsv``) (top-1/3/5, MRR; the answer policy's outcomes at the configured thresholds: in-domain
   direct answers and their precision, suggestions and whether the right entry is among them, fallbacks, OOD
   questions answered or suggested; p50/p99 ms of encode + search per query; index build seconds), and for
   the learned re-ranker its leave-one-out figures on the KB itself (what the thresholds were chosen on);
2. index builds on the 8.5k-question bank KB: first build from an empty vector cache, then an incremental
   rebuild after editing one entry;
3. a synthetic 100k-question index (flat and HNSW): encode + search p50/p99 with the real query encoder.

    .venvs/app/bin/python bench/kb_eval.py [--scorers use,e5,tfidf,e5-sym,e5-sym+answers,e5-sym+answers+reranker]
        [--skip-builds] [--skip-100k]

A scorer is an encoder spec (questions only), ``<encoder>+answers`` (with the answer-aware re-ranking of
KB_ANSWER_WEIGHT / KB_ANSWER_CHARS), ``...+reranker`` (the learned re-ranker trained on the KB at build time,
its calibrated probability read by the policy), ``...+reranker-first`` (the re-ranker as first shipped,
``kb_index.reranker.FIRST_RELEASE``, at its own answer probability), ``...+reranker-previous`` (the second
release, ``PREVIOUS``, at its own), or ``tfidf``.

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
    loo_policy_outcomes,
    percentile,
)
from kb_index.importer import import_file
from kb_index.index import KbIndex, KbIndexError, build, make_faiss_index
from kb_index.normalize import normalise_query
from kb_index.policy import Thresholds
from kb_index.reranker import (
    FIRST_RELEASE,
    FIRST_RELEASE_ANSWER_CONFIDENCE,
    PREVIOUS,
    PREVIOUS_ANSWER_CONFIDENCE,
    RerankerConfig,
)
from kb_index.settings import KbSettings
from kb_index.sources import read_lines, read_queries

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
SETS = {
    "bank_faq dev": ("bank_faq_kb.tsv", "bank_faq_queries_dev.tsv"),
    "bq dev": ("bq_dev_kb.tsv", "bq_dev_queries.tsv"),
}


def default_scorer(settings: KbSettings) -> str:
    return (settings.encoder + ("+answers" if settings.answer_signal.active else "")
            + ("+reranker" if settings.reranker else ""))


def quality_table(scorers: list[str], settings: KbSettings) -> None:
    ood = read_lines(EVAL / "ood_dev.txt")
    thresholds = settings.thresholds
    print(f"thresholds: cosine answer {thresholds.answer} / suggest {thresholds.suggest}; with the re-ranker "
          f"probability answer {thresholds.answer_confidence} / suggest {thresholds.suggest_confidence} "
          f"(the cosines then gate out-of-domain questions)")
    print("| set | scorer | top-1 | top-3 | top-5 | MRR | answered | precision | suggested | right in suggestions | "
          "fallback | OOD answered | OOD suggested | p50 ms | p99 ms | build s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    notes = []
    for name, (kb, queries) in SETS.items():
        for spec in scorers:
            build_s = ""
            if spec == "tfidf":
                search = lexical_search(EVAL / kb)
            else:
                encoder = make_encoder(spec.split("+")[0])
                answers = settings.answer_signal if "+answers" in spec else None
                reranker = reranker_of(spec)
                index = index_for(EVAL / kb, encoder, settings.data_dir / "kb-eval", answers=answers,
                                  reranker=reranker)
                search = dense_search(index, encoder)
                build_s = f"{index.manifest.build_seconds:.1f}"
                if reranker is not None:
                    notes.append(loo_note(name, spec, index, thresholds_of(spec, thresholds)))
            # an earlier release answered at its own probability threshold
            r = evaluate(search, read_queries(EVAL / queries), ood, thresholds_of(spec, thresholds))
            default = (" (default)" if spec == default_scorer(settings) else " (previous default)"
                       if spec == default_scorer(settings) + "-previous" else " (first release)"
                       if spec == default_scorer(settings) + "-first" else "")
            print(f"| {name} | {spec}{default} | {r.top1:.3f} | {r.top3:.3f} | {r.top5:.3f} | {r.mrr:.3f} | "
                  f"{r.in_domain_answer_rate:.3f} | {r.answer_precision:.3f} | {r.suggest_rate:.3f} | "
                  f"{r.suggest_hit_rate:.3f} | {r.fallback_rate:.3f} | {r.ood_answer_rate:.3f} | "
                  f"{r.ood_suggest_rate:.3f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {build_s} |", flush=True)
    print(shipped_kb_row(settings, ood, thresholds), flush=True)
    for note in notes:
        print(note)


SHIPPED_QUERIES = Path(__file__).resolve().parent.parent / "nlu_eval" / "kb_queries.tsv"


def shipped_kb_row(settings: KbSettings, ood: list[str], thresholds: Thresholds) -> str:
    """This project's own KB as built (`make kb-build`) on its held-out customer messages
    (nlu_eval/kb_queries.tsv, written for the project), with the same OOD questions."""
    try:
        index = KbIndex.load_current(settings.kb_dir)
    except KbIndexError as error:
        return f"| this project's KB | (not built: {error}) |"
    r = evaluate(dense_search(index, make_encoder(index.manifest.encoder)), read_queries(SHIPPED_QUERIES), ood,
                 thresholds)
    return (f"| this project's KB, {SHIPPED_QUERIES.name} | {default_scorer(settings)} (built index) | {r.top1:.3f} | "
            f"{r.top3:.3f} | {r.top5:.3f} | {r.mrr:.3f} | {r.in_domain_answer_rate:.3f} | {r.answer_precision:.3f} | "
            f"{r.suggest_rate:.3f} | {r.suggest_hit_rate:.3f} | {r.fallback_rate:.3f} | {r.ood_answer_rate:.3f} | "
            f"{r.ood_suggest_rate:.3f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | (built by make) |")


# earlier releases of the re-ranker: (configuration, the answer probability it shipped with)
RELEASES = {"+reranker-first": (FIRST_RELEASE, FIRST_RELEASE_ANSWER_CONFIDENCE),
            "+reranker-previous": (PREVIOUS, PREVIOUS_ANSWER_CONFIDENCE)}


def reranker_of(spec: str) -> RerankerConfig | None:
    release = next((config for suffix, (config, _) in RELEASES.items() if spec.endswith(suffix)), None)
    return release or (RerankerConfig() if spec.endswith("+reranker") else None)


def thresholds_of(spec: str, thresholds: Thresholds) -> Thresholds:
    confidence = next((c for suffix, (_, c) in RELEASES.items() if spec.endswith(suffix)), None)
    return thresholds if confidence is None else dataclasses.replace(thresholds, answer_confidence=confidence)


def loo_note(name: str, spec: str, index: KbIndex, thresholds: Thresholds) -> str:
    """The re-ranker's own figures on the KB's leave-one-out queries (no dev data): out-of-fold ranking next to
    today's scoring, and the policy's outcomes there at the configured thresholds."""
    if index.reranker is None:
        return f"{name}, {spec}: {index.manifest.reranker_note}"
    report = index.reranker.report
    oof, base = report["out_of_fold"], report["out_of_fold_baseline"]
    loo = loo_policy_outcomes(report, thresholds)
    return (f"{name}, {spec}: trained on {report['queries']} leave-one-out queries in "
            f"{index.manifest.reranker_seconds:.1f} s; out-of-fold top-1 / top-3 / MRR {oof['top1']:.3f} / "
            f"{oof['top3']:.3f} / {oof['mrr']:.3f} (today's scoring {base['top1']:.3f} / {base['top3']:.3f} / "
            f"{base['mrr']:.3f}); at the thresholds: answered {loo['answer_rate']:.3f}, precision "
            f"{loo['answer_precision']:.3f}, suggested {loo['suggest_rate']:.3f} (right among them "
            f"{loo['suggest_hit_rate']:.3f}), fallback {loo['fallback_rate']:.3f}")


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
    for label, answers, reranker in (
            ("questions only", None, None),
            (f"+answers (weight {signal.weight:g}, first {signal.chars} chars)", signal, None),
            ("+answers+reranker (default)", signal, RerankerConfig())):
        with tempfile.TemporaryDirectory() as tmp:
            first = build(entries, encoder, Path(tmp), answers=answers, reranker=reranker)
            started = time.monotonic()
            again = build(edited, encoder, Path(tmp), answers=answers, reranker=reranker)
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
    ap.add_argument("--scorers", default="use,e5,tfidf,e5-sym,e5-sym+answers,e5-sym+answers+reranker-first,"
                                         "e5-sym+answers+reranker-previous,e5-sym+answers+reranker")
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
