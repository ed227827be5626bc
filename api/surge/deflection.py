"""Level 1's third measure (简单标准问题先答后转): while the surge level is 1 or more, a customer's 转人工 request
right after a simple standard question (``SurgeRules.simple_intents``: card loss, password resets, limits,
opening hours) first gets the bot's standard answer to that question again, with one button, 仍需人工; a tap on
it queues them exactly as before. At level 0, after any other question, or for any other handoff reason
(a complaint, a fraud risk, the bot giving up) nothing changes: they are queued at once.

The decision is pure (:func:`deflected_intent`); the standard answer is the intent's ``utter_<intent>`` response
in ``domain.yml`` with the institution facts filled in, as the bot says it. A response the file does not hold
(renamed, removed) means no deflection: the customer is queued."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import yaml

from common.institution import Institution, fill_institution

STILL_HUMAN = "/surge_still_human"  # the button's payload: the bridge sends the bot 转人工 and queues them
STILL_HUMAN_BUTTON = [{"title": "仍需人工", "payload": STILL_HUMAN}]
DEFLECTED_REASONS = ("customer_request",)  # only the customer's own request is answered first


def asked_before(handoff: Mapping[str, Any]) -> str | None:
    """The intent of the customer's turn before their 转人工 request, from the handoff signal's history
    (oldest first, the request itself last); None when the request was the first turn."""
    history = [t for t in handoff.get("history") or [] if isinstance(t, Mapping)]
    if len(history) < 2:
        return None
    intent = history[-2].get("intent")
    return intent if isinstance(intent, str) and intent else None


def deflected_intent(level: int, handoff: Mapping[str, Any], simple_intents: Sequence[str],
                     confirmed: bool) -> str | None:
    """The simple intent whose standard answer a 转人工 request gets first, or None to queue at once (pure):
    only at level 1 or 2, only for the customer's own request (not a complaint or a bot's handoff), never once
    the customer confirmed with 仍需人工, and only right after a question on the configured list."""
    if level < 1 or confirmed or str(handoff.get("reason") or "") not in DEFLECTED_REASONS:
        return None
    intent = asked_before(handoff)
    return intent if intent in simple_intents else None


def standard_answers(domain: Mapping[str, Any]) -> dict[str, str]:
    """Every intent's standard answer (the text of ``utter_<intent>``'s first variant) with the institution facts
    (the slots' initial values) filled in (pure)."""
    slots = domain.get("slots") or {}
    org = Institution.from_slots({k: (v or {}).get("initial_value") for k, v in slots.items() if isinstance(v, dict)})
    answers = {}
    for key, variants in (domain.get("responses") or {}).items():
        if key.startswith("utter_") and variants and isinstance(variants[0], dict) and variants[0].get("text"):
            answers[key.removeprefix("utter_")] = fill_institution(str(variants[0]["text"]), org)
    return answers


class Deflection:
    """The engine's hook (``CustomerTurn.deflect``): the standard answer a handoff gets first, or None."""

    def __init__(self, level: Callable[[], int], simple_intents: Sequence[str], domain_file: Path) -> None:
        self.level = level
        self.simple_intents = tuple(simple_intents)
        self.domain_file = domain_file
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, str]] = (-1.0, {})

    def answers(self) -> dict[str, str]:
        """Re-read when the file changed (a trainer's approved edit), else cached."""
        with self._lock:
            try:
                mtime = self.domain_file.stat().st_mtime
                if mtime != self._cached[0]:
                    domain = yaml.safe_load(self.domain_file.read_text(encoding="utf-8")) or {}
                    self._cached = (mtime, standard_answers(domain))
            except (OSError, yaml.YAMLError):
                return {}  # no answer to give first: the customer is queued as usual
            return self._cached[1]

    def __call__(self, handoff: Mapping[str, Any], confirmed: bool) -> str | None:
        intent = deflected_intent(self.level(), handoff, self.simple_intents, confirmed)
        return self.answers().get(intent) if intent else None
