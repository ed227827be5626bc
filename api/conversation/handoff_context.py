"""What an agent reads before answering a handed-off customer, besides the transcript: the bot's handoff signal
made readable (reason, the intent and confidence, the slots the customer gave, the turns before with their
intents), the KB lookups the bot made (each bot turn's metadata, stored with its message), and the customer's
earlier conversations by ``customer_id`` (masked, as everything stored).
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.conversation.texts import is_substantive
from api.schemas.staff import EarlierConversation, HandoffContext, HandoffTurn, KbLookup
from api.store.models import Conversation, Message, WrapUp, iso
from common.pii import mask_pii

EARLIER_LIMIT = 5


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def kb_lookups(messages: Sequence[Message]) -> list[KbLookup]:
    """The KB lookups of the bot's turns, oldest first (the query, the decision, the best entry)."""
    found = []
    for m in messages:
        kb = m.meta.get("kb") if m.sender == "bot" else None
        if not isinstance(kb, dict) or not kb.get("query"):
            continue
        candidates = [c for c in kb.get("candidates") or [] if isinstance(c, dict)]
        best = candidates[0] if candidates else {}
        found.append(KbLookup(query=mask_pii(str(kb["query"])), action=str(kb.get("action") or ""),
                              confidence=_number(kb.get("confidence")),
                              best_question=str(best.get("question") or "") or None,
                              best_score=_number(best.get("score"))))
    return found


def handoff_context(handoff: dict[str, Any] | None, messages: Sequence[Message]) -> HandoffContext | None:
    """The handoff signal and the bot's KB lookups as the console shows them; None without a handoff."""
    if not handoff:
        return None
    slots = handoff.get("slots") if isinstance(handoff.get("slots"), dict) else {}
    turns = [HandoffTurn(text=mask_pii(str(t.get("text") or "")), intent=t.get("intent"),
                         confidence=_number(t.get("confidence")))
             for t in handoff.get("history") or [] if isinstance(t, dict)]
    lookups = kb_lookups(messages)
    signal_kb = handoff.get("kb")
    if isinstance(signal_kb, dict) and signal_kb.get("query") and not any(
            k.query == mask_pii(str(signal_kb["query"])) for k in lookups):
        lookups += kb_lookups([Message(sender="bot", meta_json=json.dumps({"kb": signal_kb}, ensure_ascii=False))])
    return HandoffContext(reason=handoff.get("reason"), intent=handoff.get("intent"),
                          confidence=_number(handoff.get("confidence")),
                          slots={k: mask_pii(v) if isinstance(v, str) else v for k, v in (slots or {}).items()},
                          turns=turns, kb_lookups=lookups)


def earlier_conversations(db: Session, conv: Conversation) -> list[EarlierConversation]:
    """The customer's other conversations, newest first: when, how the handoff ended, what they asked first."""
    if not conv.customer_id:
        return []
    rows = db.scalars(select(Conversation).where(Conversation.customer_id == conv.customer_id,
                                                 Conversation.id != conv.id)
                      .order_by(Conversation.created_at.desc()).limit(EARLIER_LIMIT)).all()
    out = []
    for other in rows:
        said = db.scalars(select(Message.text).where(Message.conversation_id == other.id,
                                                     Message.sender == "customer")
                          .order_by(Message.id).limit(20)).all()
        count = db.scalar(select(func.count()).select_from(Message).where(Message.conversation_id == other.id))
        wrap = db.scalars(select(WrapUp).where(WrapUp.conversation_id == other.id)
                          .order_by(WrapUp.id.desc())).first()
        first = next((t for t in said if is_substantive(t)), said[0] if said else "")
        out.append(EarlierConversation(id=other.id, created_at=iso(other.created_at) or "",
                                       state=other.state,  # type: ignore[arg-type]
                                       handoff_reason=other.handoff_reason,
                                       disposition=wrap.disposition if wrap else None,
                                       note=mask_pii(wrap.note) if wrap and wrap.note else None,
                                       first_question=mask_pii(first)[:200], messages=int(count or 0)))
    return out
