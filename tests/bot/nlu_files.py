"""Load the project's NLU YAML files as :class:`bot.training_checks.Example` lists with Rasa's own reader."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from bot.training_checks import Example

ROOT = Path(__file__).resolve().parents[2]
TRAINING_DIR = ROOT / "nlu_data"
HELDOUT_DIR = ROOT / "nlu_eval" / "nlu_heldout"
OOS_HELDOUT = ROOT / "nlu_eval" / "oos_heldout.txt"


@lru_cache(maxsize=4)
def load_examples(folder: Path) -> tuple[Example, ...]:
    from rasa.shared.nlu.training_data.loading import load_data

    out: list[Example] = []
    for path in sorted(folder.rglob("*.yml")):
        if not (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu"):
            continue  # rules, stories, business terms
        data = load_data(str(path))
        for msg in data.intent_examples:
            ents = tuple((e["start"], e["end"], e["entity"]) for e in msg.get("entities") or [])
            out.append(Example(msg.get("text"), msg.get("intent"), ents, str(path.relative_to(ROOT))))
    return tuple(out)


def oos_heldout() -> list[str]:
    return [line.strip() for line in OOS_HELDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
