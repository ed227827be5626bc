"""Evaluate a trained model's intent classification on held-out NLU files (``python -m bot.evaluate``).

Prints accuracy, macro-F1, the most-confused intent pairs and the out-of-scope rate on a plain-text file of
off-topic questions; ``--json`` prints one JSON object instead. Used by tests and benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

REJECTED = frozenset({"out_of_scope", "nlu_fallback"})


@dataclass
class IntentReport:
    n: int
    accuracy: float
    macro_f1: float
    confused: list[tuple[str, str, int]] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)


def intent_report(gold: Sequence[str], predicted: Sequence[str], texts: Sequence[str]) -> IntentReport:
    """Accuracy, macro-F1 over the gold labels, and the confused (gold, predicted) pairs, most frequent first."""
    n = len(gold)
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    f1s = []
    for label in sorted(set(gold)):
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    pairs = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    errors = [(t, g, p) for t, g, p in zip(texts, gold, predicted, strict=True) if g != p]
    return IntentReport(
        n=n,
        accuracy=correct / n if n else 0.0,
        macro_f1=sum(f1s) / len(f1s) if f1s else 0.0,
        confused=[(g, p, c) for (g, p), c in pairs.most_common(10)],
        errors=errors,
    )


def load_examples(paths: Iterable[Path]) -> list[tuple[str, str]]:
    """(text, intent) pairs from Rasa NLU YAML files, entity annotations stripped."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples: list[tuple[str, str]] = []
    for path in paths:
        data = load_data(str(path))
        examples += [(m.get("text"), m.get("intent")) for m in data.intent_examples]
    return examples


async def predict_intents(model_path: str, texts: Sequence[str]) -> list[str]:
    """The intent the model's NLU pipeline (fallback classifier and safety guard included) gives each text."""
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        out.append(parsed["intent"]["name"])
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="var/models/bot.tar.gz")
    ap.add_argument("--data", default="nlu_eval/nlu_heldout", help="folder or file of held-out NLU YAML")
    ap.add_argument("--oos", default="nlu_eval/oos_heldout.txt", help="off-topic questions, one a line")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--out", help="also write the JSON report to this file (stdout carries Rasa's warnings too)")
    args = ap.parse_args(argv)
    import logging

    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa's per-message debug lines would bury the report on stdout
    data = Path(args.data)
    files = sorted(data.glob("*.yml")) if data.is_dir() else [data]
    examples = load_examples(files)
    oos = [line.strip() for line in Path(args.oos).read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [t for t, _ in examples] + oos
    predicted = asyncio.run(predict_intents(args.model, texts))
    report = intent_report([i for _, i in examples], predicted[: len(examples)], [t for t, _ in examples])
    oos_rate = sum(p in REJECTED for p in predicted[len(examples):]) / len(oos) if oos else 0.0
    payload = json.dumps({**asdict(report), "oos_n": len(oos), "oos_rejected_rate": oos_rate}, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(payload, encoding="utf-8")
    if args.json:
        print(payload)
        return
    print(f"held-out intents: n={report.n} accuracy={report.accuracy:.3f} macro_f1={report.macro_f1:.3f}")
    print(f"off-topic: n={len(oos)} rejected (out_of_scope/nlu_fallback)={oos_rate:.3f}")
    for gold, pred, count in report.confused:
        print(f"  confused {gold} -> {pred}: {count}")
    for text, gold, pred in report.errors:
        print(f"  miss: {text}  ({gold} -> {pred})")


if __name__ == "__main__":
    main()
