"""Maker-checker bodies (api/workbench/approvals.py, api/routes/approvals.py): a pending change with its diff and
the checker's decision."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ChangeKind = Literal["kb_create", "kb_update", "kb_retire", "kb_add_similar", "kb_import", "deploy", "response",
                     "institution"]
ChangeStatus = Literal["pending", "approving", "approved", "rejected", "failed"]  # approving: being applied


class PendingChangeOut(BaseModel):
    """A trainer's change held for a second person: customers see it only once it is approved."""
    id: int
    kind: ChangeKind
    target: str  # the KB entry id, the area of an import, the model name, the intent of a response, or domain.yml
    diff: str
    maker: str
    status: ChangeStatus
    checker: str | None
    comment: str | None
    created_at: str
    decided_at: str | None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field(default="", max_length=1000)
