"""Benchmark: KB retrieval on ../shared/eval (dev files), the default scorer side by side with single-encoder
baselines, in one run. Prints a markdown table (top-1/3/5, MRR, OOD answer rate, p50/p99 ms, index build s).

    .venvs/app/bin/python bench/kb_eval.py [--encoders use,e5,e5-sym]

Indexes are cached under var/kb-eval (a first e5 build of the 8.5k-question bank KB takes ~2 minutes).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from kb_index.encoders import make_encoder
from kb_index.evaluate import evaluate, index_for, read_lines, read_queries
from kb_index.settings import KbSettings

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
SETS = {
    "bank_faq dev": ("bank_faq_kb.tsv", "bank_faq_queries_dev.tsv"),
    "bq dev": ("bq_dev_kb.tsv", "bq_dev_queries.tsv"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoders", default="use,e5,e5-sym")
    args = ap.parse_args()
    if not EVAL.exists():
        raise SystemExit(f"{EVAL} not found: this benchmark needs ../shared/eval beside the repository")
    settings = KbSettings()
    ood = read_lines(EVAL / "ood_dev.txt")
    print("| set | scorer | top-1 | top-3 | top-5 | MRR | OOD answered | p50 ms | p99 ms | index s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, (kb, queries) in SETS.items():
        for spec in args.encoders.split(","):
            encoder = make_encoder(spec)
            started = time.monotonic()
            index = index_for(EVAL / kb, encoder, settings.data_dir / "kb-eval")
            built = time.monotonic() - started
            r = evaluate(index, encoder, read_queries(EVAL / queries), ood, settings.answer_threshold)
            default = " (default)" if spec == settings.encoder else ""
            print(f"| {name} | {spec}{default} | {r.top1:.3f} | {r.top3:.3f} | {r.top5:.3f} | {r.mrr:.3f} | "
                  f"{r.ood_answer_rate:.3f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {built:.0f} |", flush=True)


if __name__ == "__main__":
    main()
