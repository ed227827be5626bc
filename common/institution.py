"""Institution facts (name, hotline, app name, opening hours) that KB answers and bot responses name through
``{app_name}``-style placeholders. They are configured once, as the initial values of ``domain.yml``'s slots:
the action server reads them from the dialogue's slots, the bridge from the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

INSTITUTION_SLOTS = ("org_name", "hotline", "app_name", "branch_hours", "service_hours")


@dataclass(frozen=True)
class Institution:
    org_name: str
    hotline: str
    app_name: str
    branch_hours: str
    service_hours: str

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any]) -> Institution:
        return cls(**{name: str(slots.get(name) or "") for name in INSTITUTION_SLOTS})

    @classmethod
    def from_domain(cls, path: Path) -> Institution:
        """The slots' initial values in a Rasa domain file; a clear error naming the file when one is missing."""
        try:
            slots = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("slots") or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"{path}: cannot read the institution facts: {exc}") from exc
        missing = [n for n in INSTITUTION_SLOTS if not (slots.get(n) or {}).get("initial_value")]
        if missing:
            raise ValueError(f"{path}: slots {', '.join(missing)} need an initial_value (the institution facts)")
        return cls.from_slots({n: slots[n]["initial_value"] for n in INSTITUTION_SLOTS})


def fill_institution(text: str, org: Institution) -> str:
    """Replace ``{app_name}``-style placeholders (as KB answers use them) with the institution's facts; other
    braces are left alone."""
    for name in INSTITUTION_SLOTS:
        text = text.replace("{" + name + "}", getattr(org, name))
    return text
