"""Command line: build the index, search it, import a CSV/TSV/XLSX file, evaluate on a labelled query set, show
the re-ranker's leave-one-out figures and answer thresholds (`loo`), lint the KB for near-identical questions
with different answers and for intent examples that collide with it."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Sequence

from kb_index.encoders import make_encoder
from kb_index.entry import KbSourceError
from kb_index.evaluate import (
    as_dict,
    dense_search,
    evaluate,
    index_for,
    lexical_search,
    lowest_threshold,
    threshold_sweep,
)
from kb_index.importer import KbImportError, import_file, write_source
from kb_index.index import KbIndex, KbIndexError, build
from kb_index.lint import QUESTION_SIMILARITY, find_conflicts, read_intent_examples
from kb_index.normalize import normalise_query
from kb_index.policy import Scored, decide
from kb_index.ranking import AnswerSignal
from kb_index.reranker import RerankerConfig
from kb_index.settings import ROOT, KbSettings
from kb_index.sources import load_file, load_folder, read_lines, read_queries
from kb_index.threads import configure_process


def _build(args: argparse.Namespace, settings: KbSettings) -> int:
    manifest = build(load_folder(settings.faq_dir), make_encoder(args.encoder or settings.encoder), settings.kb_dir,
                     args.index_type or settings.index_type, settings.answer_signal, settings.reranker_config)
    print(json.dumps(manifest.__dict__, ensure_ascii=False))
    return 0


def _search(args: argparse.Namespace, settings: KbSettings) -> int:
    index = KbIndex.load_current(settings.kb_dir)
    encoder = make_encoder(index.manifest.encoder)
    query = normalise_query(args.question)
    found = index.search(encoder.encode_queries([query])[0], k=args.k, text=query)
    scored = [Scored(index.entries[c.entry].id, index.question_text[c.question], c.score, c.confidence)
              for c in found]
    decision = decide(scored, settings.thresholds)
    print(f"decision: {decision.action.value}")
    for c, s in zip(found, scored, strict=True):
        confidence = "" if s.confidence is None else f"p={s.confidence:.2f}  "
        print(f"{confidence}cos={s.score:.3f}  {s.entry_id}  {index.entries[c.entry].question}  "
              f"(matched: {s.question})")
    return 0


def _lint(args: argparse.Namespace, settings: KbSettings) -> int:
    nlu = Path(args.nlu) if args.nlu else ROOT / "nlu_data" / "nlu"
    conflicts = find_conflicts(load_folder(settings.faq_dir), read_intent_examples(nlu) if nlu.is_dir() else {},
                               question_similarity=args.similarity)
    for conflict in conflicts:
        print(conflict.describe())
    counts = {kind: sum(c.kind == kind for c in conflicts) for kind in ("conflict", "duplicate", "intent")}
    print(f"{counts['conflict']} 组近似问题答案不同，{counts['duplicate']} 组可合并，"
          f"{counts['intent']} 条意图样例与知识库问题相同")
    return 1 if args.strict and conflicts else 0


def _import(args: argparse.Namespace, settings: KbSettings) -> int:
    path = Path(args.file)
    entries = import_file(path)
    target = settings.faq_dir / f"{args.area or path.stem}.yml"
    others = [e.id for p in settings.faq_dir.glob("*.yml") if p != target for e in load_file(p)]
    if args.dry_run:
        print(f"{path}: {len(entries)} entries OK (dry run, nothing written)")
        return 0
    write_source(entries, target, args.area or path.stem, existing_ids=others)
    print(f"{path}: {len(entries)} entries written to {target}; run `python -m kb_index build` to index them")
    return 0


def _eval(args: argparse.Namespace, settings: KbSettings) -> int:
    spec = args.encoder or settings.encoder
    if args.kb is None:  # the index in service (`python -m kb_index build`), with its own encoder
        index = KbIndex.load_current(settings.kb_dir)
        search = dense_search(index, make_encoder(index.manifest.encoder))
    elif spec == "tfidf":
        search = lexical_search(Path(args.kb))
    else:
        encoder = make_encoder(spec)
        answers = settings.answer_signal if args.answer_weight is None else AnswerSignal(args.answer_weight,
                                                                                          settings.answer_chars)
        reranker = settings.reranker_config if args.reranker is None else (RerankerConfig() if args.reranker else None)
        index = index_for(Path(args.kb), encoder, settings.data_dir / "kb-eval", args.index_type or settings.index_type,
                          answers, reranker)
        search = dense_search(index, encoder)
    ood = read_lines(Path(args.ood)) if args.ood else []
    thresholds = settings.thresholds
    if args.answer_threshold is not None:
        thresholds = dataclasses.replace(thresholds, answer=args.answer_threshold)
    result = evaluate(search, read_queries(Path(args.queries)), ood, thresholds)
    print(json.dumps(as_dict(result)))
    return 0


def _loo(args: argparse.Namespace, settings: KbSettings) -> int:
    """The re-ranker's leave-one-out figures on a KB (the built index, or a KB file): out-of-fold ranking next
    to today's scoring, and the policy's outcomes over answer probabilities - how a bank chooses
    KB_ANSWER_CONFIDENCE on its own KB, without labelled queries: the lowest probability whose direct answers'
    precision reaches the target with a margin (its lower confidence bound), and, for comparison, the lowest
    whose point estimate does."""
    if args.kb:
        index = index_for(Path(args.kb), make_encoder(args.encoder or settings.encoder), settings.data_dir / "kb-eval",
                          settings.index_type, settings.answer_signal, RerankerConfig())
    else:
        index = KbIndex.load_current(settings.kb_dir)
    if index.reranker is None:
        print(f"no re-ranker: {index.manifest.reranker_note or 'built without one'}")
        return 1
    report = index.reranker.report
    print(json.dumps({"queries": report["queries"], "out_of_fold": report["out_of_fold"],
                      "todays_scoring": report["out_of_fold_baseline"]}))
    sweep = threshold_sweep(report, settings.thresholds, [round(0.05 * i, 2) for i in range(4, 20)])
    for row in sweep:
        print(json.dumps({k: round(v, 4) for k, v in row.items()}))
    print(json.dumps({"lowest_answer_confidence_with_precision": args.precision,
                      "point_estimate": lowest_threshold(sweep, args.precision),
                      "lower_bound_confidence": args.confidence,
                      "value": lowest_threshold(sweep, args.precision, args.confidence)}))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m kb_index", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="index kb_index/faq/*.yml into <data dir>/kb")
    b.add_argument("--encoder", help="e5 | use | st:<model name or path> (default: KB_ENCODER or e5)")
    b.add_argument("--index-type", choices=["flat", "hnsw", "ivf"])
    s = sub.add_parser("search", help="search the current index")
    s.add_argument("question")
    s.add_argument("-k", type=int, default=5)
    i = sub.add_parser("import", help="import a CSV/TSV/XLSX file as a KB source file (all or nothing)")
    i.add_argument("file")
    i.add_argument("--area", help="name of the source file to write (default: the file's stem)")
    i.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    e = sub.add_parser("eval", help="evaluate retrieval on a labelled query set")
    e.add_argument("--kb", help="KB file: id<TAB>question<TAB>answer (or CSV/XLSX); default: the built index of "
                                "kb_index/faq (e.g. with --queries nlu_eval/kb_queries.tsv)")
    e.add_argument("--queries", required=True, help="query<TAB>gold_id")
    e.add_argument("--ood", help="out-of-domain questions, one a line")
    e.add_argument("--encoder", help="e5 | e5-sym | use | st:<model> | tfidf (the lexical baseline)")
    e.add_argument("--index-type", choices=["flat", "hnsw", "ivf"])
    e.add_argument("--answer-threshold", type=float)
    e.add_argument("--answer-weight", type=float,
                   help="answer-aware re-ranking weight (default: KB_ANSWER_WEIGHT or 0.2; 0 turns it off)")
    e.add_argument("--reranker", action=argparse.BooleanOptionalAction,
                   help="train the learned re-ranker on the KB (default: KB_RERANKER, on)")
    loo = sub.add_parser("loo", help="the re-ranker's leave-one-out figures and answer thresholds on a KB")
    loo.add_argument("--kb", help="KB file (default: the built index of kb_index/faq)")
    loo.add_argument("--encoder", help="encoder for --kb (default: KB_ENCODER)")
    loo.add_argument("--precision", type=float, default=0.9, help="direct-answer precision to reach (0.9)")
    loo.add_argument("--confidence", type=float, default=0.95,
                     help="the precision must be reached by its one-sided Wilson lower bound at this confidence "
                          "(0.95), not only by the leave-one-out estimate")
    lint = sub.add_parser("lint", help="near-identical questions with different answers; intent examples that "
                                       "collide with KB questions")
    lint.add_argument("--nlu", help="folder of Rasa NLU files (default: nlu_data/nlu)")
    lint.add_argument("--similarity", type=float, default=QUESTION_SIMILARITY,
                      help=f"question similarity that counts as near-identical (default {QUESTION_SIMILARITY})")
    lint.add_argument("--strict", action="store_true", help="exit 1 when anything is found")
    args = ap.parse_args(argv)
    settings = KbSettings()
    # before faiss / the encoder load; builds and evaluations run below serving processes (kb_index.threads)
    configure_process("build" if args.command in ("build", "eval", "loo") else "serve", settings)
    handlers = {"build": _build, "search": _search, "import": _import, "eval": _eval, "lint": _lint, "loo": _loo}
    try:
        return handlers[args.command](args, settings)
    except KbImportError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 2
    except (KbSourceError, KbIndexError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
