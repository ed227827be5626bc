"""The versioned quality-review checklist (api/quality/checklist.yml) and the score a review adds up to (pure).

A review keeps the items it was opened with (``Item.as_dict``), so editing the file changes future reviews
only. Scores per item are in [0, 1] (1 = met); the total is out of 100, the items' weights normalised over the
items that apply to the review's target (the agent or the bot)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

CHECKLIST_FILE = Path(__file__).resolve().parent / "checklist.yml"
TARGETS = ("agent", "bot")


class ChecklistError(ValueError):
    """The checklist file does not load; the message names the file and the item."""


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    weight: float
    applies_to: tuple[str, ...]
    check: str | None = None  # an automatic check of api.quality.checks; None: the reviewer scores it
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def automatic(self) -> bool:
        return self.check is not None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "weight": self.weight, "applies_to": list(self.applies_to),
                "check": self.check, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Item:
        return cls(str(data["id"]), str(data["title"]), float(data["weight"]), tuple(data["applies_to"]),
                   data.get("check"), dict(data.get("params") or {}))


@dataclass(frozen=True)
class Checklist:
    version: str
    items: tuple[Item, ...]

    def for_target(self, target: str) -> list[Item]:
        return [i for i in self.items if target in i.applies_to]


def parse_checklist(data: Any, where: str, known_checks: Sequence[str]) -> Checklist:
    """A checklist from the YAML mapping; every problem is a :class:`ChecklistError` naming ``where``."""
    if not isinstance(data, dict) or "version" not in data or not isinstance(data.get("items"), list):
        raise ChecklistError(f"{where}: expected 'version' and a list of 'items'")
    items, seen = [], set()
    for n, raw in enumerate(data["items"], start=1):
        if not isinstance(raw, dict) or not raw.get("id") or not raw.get("title"):
            raise ChecklistError(f"{where}: item {n} needs an id and a title")
        name = f"{where}: item {raw['id']}"
        if raw["id"] in seen:
            raise ChecklistError(f"{name}: duplicate id")
        seen.add(raw["id"])
        weight = raw.get("weight")
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight <= 0:
            raise ChecklistError(f"{name}: weight must be a positive number")
        targets = raw.get("applies_to")
        if not isinstance(targets, list) or not targets or any(t not in TARGETS for t in targets):
            raise ChecklistError(f"{name}: applies_to must list {TARGETS}")
        check = raw.get("check")
        if check is not None and check not in known_checks:
            raise ChecklistError(f"{name}: unknown check {check!r} (known: {', '.join(known_checks)})")
        if not isinstance(raw.get("params") or {}, dict):
            raise ChecklistError(f"{name}: params must be a mapping")
        items.append(Item.from_dict(raw))
    return Checklist(str(data["version"]), tuple(items))


def load_checklist(path: Path = CHECKLIST_FILE) -> Checklist:
    from api.quality.checks import CHECKS

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ChecklistError(f"{path}: cannot read the checklist: {exc}") from exc
    return parse_checklist(data, str(path), sorted(CHECKS))


def total_score(items: Sequence[Item], scores: Mapping[str, float | None]) -> float | None:
    """``100 * Σ weight·score / Σ weight`` over ``items``, one decimal; None while any item is unscored."""
    if not items or any(scores.get(i.id) is None for i in items):
        return None
    weights = sum(i.weight for i in items)
    return round(100 * sum(i.weight * float(scores[i.id] or 0.0) for i in items) / weights, 1)


def missing_items(items: Sequence[Item], scores: Mapping[str, float | None]) -> list[str]:
    return [i.id for i in items if scores.get(i.id) is None]
