"""KB lint in the trainer workbench (issue 13): entries whose questions are near-identical but whose answers
differ (or are the same: merge them), and intents whose training examples collide with KB questions — the
same findings as ``python -m kb_index lint`` (kb_index.lint.find_conflicts, the pure core), over the entries
in service (retired ones are no longer served and are left out) and the workbench's NLU files.

``new_conflicts`` is what the KB save path warns about: the findings on the saved entry that were not there
before the edit (a warning, never a refusal — telling two entries apart may take more than one edit)."""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from api.schemas.trainer import KbConflictOut, KbLintOut
from kb_index.entry import KbEntry
from kb_index.lint import Conflict, find_conflicts

KINDS = ("conflict", "duplicate", "intent")


def conflict_out(conflict: Conflict) -> KbConflictOut:
    return KbConflictOut(kind=conflict.kind, first=conflict.first, first_question=conflict.first_question,  # type: ignore[arg-type]
                         second=conflict.second, second_question=conflict.second_question,
                         similarity=conflict.similarity, answer_similarity=conflict.answer_similarity,
                         term_differences=list(conflict.term_differences), description=conflict.describe())


def lint(entries: Sequence[KbEntry], intent_examples: Mapping[str, Sequence[str]],
         kinds: Iterable[str] | None = None) -> KbLintOut:
    """Every finding (or those of ``kinds``), with the counts of all of them by kind."""
    found = [conflict_out(c) for c in find_conflicts(entries, intent_examples)]
    wanted = set(kinds or KINDS)
    return KbLintOut(conflicts=[c for c in found if c.kind in wanted],
                     counts={kind: sum(c.kind == kind for c in found) for kind in KINDS})


def _key(conflict: Conflict) -> tuple[str, str, str]:
    return conflict.kind, conflict.first, conflict.second


def involving(conflicts: Iterable[Conflict], entry_id: str) -> list[Conflict]:
    return [c for c in conflicts if entry_id in (c.first, c.second)]


def new_conflicts(before: Sequence[KbEntry], after: Sequence[KbEntry], entry_id: str) -> list[KbConflictOut]:
    """Findings between KB entries on ``entry_id`` after an edit that were not there before it (pure)."""
    old = {_key(c) for c in involving(find_conflicts(before), entry_id)}
    return [conflict_out(c) for c in involving(find_conflicts(after), entry_id) if _key(c) not in old]
