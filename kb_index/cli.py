"""Command line: build the index, search it, import a CSV/TSV/XLSX file, evaluate on a labelled query set."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from kb_index.encoders import make_encoder
from kb_index.entry import KbSourceError
from kb_index.evaluate import as_dict, dense_search, evaluate, index_for, lexical_search, read_lines, read_queries
from kb_index.importer import KbImportError, import_file, write_source
from kb_index.index import KbIndex, KbIndexError, build
from kb_index.normalize import normalise_query
from kb_index.policy import Scored, Thresholds, decide
from kb_index.ranking import AnswerSignal
from kb_index.settings import KbSettings
from kb_index.sources import load_file, load_folder


def _build(args: argparse.Namespace, settings: KbSettings) -> int:
    manifest = build(load_folder(settings.faq_dir), make_encoder(args.encoder or settings.encoder), settings.kb_dir,
                     args.index_type or settings.index_type, settings.answer_signal)
    print(json.dumps(manifest.__dict__, ensure_ascii=False))
    return 0


def _search(args: argparse.Namespace, settings: KbSettings) -> int:
    index = KbIndex.load_current(settings.kb_dir)
    encoder = make_encoder(index.manifest.encoder)
    found = index.search(encoder.encode_queries([normalise_query(args.question)])[0], k=args.k)
    scored = [Scored(index.entries[c.entry].id, index.question_text[c.question], c.score) for c in found]
    decision = decide(scored, Thresholds(settings.answer_threshold, settings.suggest_threshold))
    print(f"decision: {decision.action.value}")
    for c, s in zip(found, scored, strict=True):
        print(f"{s.score:.3f}  {s.entry_id}  {index.entries[c.entry].question}  (matched: {s.question})")
    return 0


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
    if spec == "tfidf":
        search = lexical_search(Path(args.kb))
    else:
        encoder = make_encoder(spec)
        answers = settings.answer_signal if args.answer_weight is None else AnswerSignal(args.answer_weight,
                                                                                          settings.answer_chars)
        index = index_for(Path(args.kb), encoder, settings.data_dir / "kb-eval", args.index_type or settings.index_type,
                          answers)
        search = dense_search(index, encoder)
    ood = read_lines(Path(args.ood)) if args.ood else []
    result = evaluate(search, read_queries(Path(args.queries)), ood,
                      args.answer_threshold if args.answer_threshold is not None else settings.answer_threshold)
    print(json.dumps(as_dict(result)))
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
    e.add_argument("--kb", required=True, help="KB file: id<TAB>question<TAB>answer (or CSV/XLSX)")
    e.add_argument("--queries", required=True, help="query<TAB>gold_id")
    e.add_argument("--ood", help="out-of-domain questions, one a line")
    e.add_argument("--encoder", help="e5 | e5-sym | use | st:<model> | tfidf (the lexical baseline)")
    e.add_argument("--index-type", choices=["flat", "hnsw", "ivf"])
    e.add_argument("--answer-threshold", type=float)
    e.add_argument("--answer-weight", type=float,
                   help="answer-aware re-ranking weight (default: KB_ANSWER_WEIGHT or 0.2; 0 turns it off)")
    args = ap.parse_args(argv)
    settings = KbSettings()
    handlers = {"build": _build, "search": _search, "import": _import, "eval": _eval}
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
