"""The audit trail: one append-only row per staff action and per compliance event."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from api.db import AuditEntry, utcnow
from common.pii import mask_pii


def _masked(value: Any) -> Any:
    """Mask the text inside a detail value (strings only: numbers such as metrics stay numbers)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


def audit(db: Session, actor: str, action: str, target: str | None = None, **detail: Any) -> None:
    """Add an audit row in the caller's transaction (so it commits or rolls back with the action)."""
    text = json.dumps(_masked(detail), ensure_ascii=False, default=str) if detail else None
    db.add(AuditEntry(at=utcnow(), actor=actor, action=action, target=target, detail_json=text))
