"""common/forms.py is what nlu_data/rules.yml does: each intent in it starts its form, and no other rule starts one."""

from __future__ import annotations

from pathlib import Path

import yaml

from common.forms import FORM_INTENTS, FORM_OF, INTENT_OF_FORM

ROOT = Path(__file__).resolve().parents[2]


def started_forms() -> dict[str, str]:
    """intent -> form, for every rule that starts a form from a user intent (not one that resumes an active form
    after an interruption: those have the form in their condition)."""
    rules = yaml.safe_load((ROOT / "nlu_data" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    forms = set(domain.get("forms") or {})
    found: dict[str, str] = {}
    for rule in rules:
        steps = rule.get("steps") or []
        if any("active_loop" in c for c in rule.get("condition") or []):
            continue
        intents = [s["intent"] for s in steps if "intent" in s]
        activated = [s["active_loop"] for s in steps if s.get("active_loop") in forms]
        if intents and activated:
            found[intents[-1]] = activated[0]
    return found


def test_the_table_is_what_the_rules_do() -> None:
    assert dict(FORM_OF) == started_forms()
    assert {INTENT_OF_FORM[form] for form in FORM_OF.values()} == FORM_INTENTS == set(FORM_OF)
