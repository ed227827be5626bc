"""The trainer's edits of the NLU data, each audited with its diff (who, what, the lines changed); a refused
edit raises before anything is written or audited."""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy.orm import sessionmaker

from api.compliance.audit import record
from api.schemas.trainer import Deleted, IntentDetail, IntentSummary, LookupOut, SynonymOut
from api.workbench.nlu_files import NluFiles


class NluEdits:
    def __init__(self, files: NluFiles, sessions: sessionmaker) -> None:
        self.files = files
        self.sessions = sessions

    def _edit(self, actor: str, action: str, target: str, edit: Callable[[], str], **detail: Any) -> None:
        diff = edit()
        record(self.sessions, actor, action, target, diff=diff, **detail)

    # ------------------------------------------------------------------ reading
    def intents(self) -> list[IntentSummary]:
        return [IntentSummary.model_validate(i) for i in self.files.intents()]

    def intent(self, name: str) -> IntentDetail:
        return IntentDetail.model_validate(self.files.intent(name))

    def synonyms(self) -> list[SynonymOut]:
        return [SynonymOut.model_validate(s) for s in self.files.synonyms()]

    def lookups(self) -> list[LookupOut]:
        return [LookupOut.model_validate(x) for x in self.files.lookups()]

    # ------------------------------------------------------------------ edits
    def create_intent(self, actor: str, name: str, examples: list[str], response: str) -> IntentDetail:
        self._edit(actor, "create_intent", name, lambda: self.files.create_intent(name, examples, response))
        return self.intent(name)

    def delete_intent(self, actor: str, name: str) -> Deleted:
        self._edit(actor, "delete_intent", name, lambda: self.files.delete_intent(name))
        return Deleted(deleted=name)

    def add_example(self, actor: str, intent: str, text: str, **detail: Any) -> IntentDetail:
        self._edit(actor, "add_example", intent, lambda: self.files.add_example(intent, text), **detail)
        return self.intent(intent)

    def delete_example(self, actor: str, intent: str, text: str) -> IntentDetail:
        self._edit(actor, "delete_example", intent, lambda: self.files.delete_example(intent, text))
        return self.intent(intent)

    def set_response(self, actor: str, intent: str, text: str) -> IntentDetail:
        self._edit(actor, "set_response", intent, lambda: self.files.set_response(intent, text))
        return self.intent(intent)

    def add_synonym(self, actor: str, value: str, synonym: str) -> SynonymOut:
        self._edit(actor, "add_synonym", value, lambda: self.files.add_synonym(value, synonym))
        return next(s for s in self.synonyms() if s.value == value)

    def add_lookup(self, actor: str, name: str, entry: str) -> LookupOut:
        self._edit(actor, "add_lookup", name, lambda: self.files.add_lookup(name, entry))
        return next(x for x in self.lookups() if x.name == name)
