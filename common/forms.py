"""Which intent starts which form (nlu_data/rules.yml: the intent, then the form's action and active loop) - one
table for the action server (a picked intent starts its form), the bot's KB arbitration (a confident form intent
keeps its form) and the precision report (a started form is that intent's answer)."""

from __future__ import annotations

from typing import Mapping

FORM_OF: Mapping[str, str] = {"card_report_loss": "card_loss_form", "branch_locator": "branch_form",
                              "transfer_limit_change": "transfer_limit_form"}
INTENT_OF_FORM: Mapping[str, str] = {form: intent for intent, form in FORM_OF.items()}
FORM_INTENTS: frozenset[str] = frozenset(FORM_OF)
