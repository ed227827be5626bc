"""KB suggestions for an agent's reply: the knowledge base's best entries for the customer's latest message,
with the institution facts ({hotline}, {app_name} …) filled in so an agent never inserts a raw placeholder."""

from __future__ import annotations

from api.schemas.staff import KbSuggestion
from common.institution import Institution, fill_institution
from kb_index.service import KbService


def kb_suggestions(kb: KbService | None, institution: Institution | None, text: str, k: int = 3
                   ) -> list[KbSuggestion]:
    if kb is None or not text.strip():
        return []
    return [KbSuggestion(entry_id=h.entry.id, question=h.entry.question,
                         answer=fill_institution(h.entry.answer, institution) if institution else h.entry.answer,
                         score=round(h.score, 4)) for h in kb.lookup(text, k=k).hits]
