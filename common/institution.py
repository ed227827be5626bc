"""Institution facts (name, hotline, app name, opening hours) that KB answers and bot responses name through
``{app_name}``-style placeholders. They are configured once, as the initial values of ``domain.yml``'s slots:
the action server reads them from the dialogue's slots, the bridge from the file."""

from __future__ import annotations

import re
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


# what a value still left as shipped looks like: 95xxx, XX银行, 某某, 示例, 待配置, TODO
_PLACEHOLDER = re.compile(r"[xX×＊*]{2,}|某|示例|样例|待定|待配置|请配置|TODO|TBD|placeholder", re.I)
_GENERIC_NAMES = ("本行", "我行", "银行", "")


def placeholder_facts(org: Institution) -> list[str]:
    """The institution facts still holding a placeholder (``hotline: 客服热线95xxx``, ``org_name: 本行``), as
    ``name=value``: customers must never be told to call 95xxx, so the bridge refuses to start outside
    development while any is left."""
    found = [f"{name}={getattr(org, name)}" for name in INSTITUTION_SLOTS if _PLACEHOLDER.search(getattr(org, name))]
    if org.org_name.strip() in _GENERIC_NAMES and not any(f.startswith("org_name=") for f in found):
        found.insert(0, f"org_name={org.org_name}")
    return found
