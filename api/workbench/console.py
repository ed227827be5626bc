"""The test console: what the bot would make of a sentence — jieba tokens (with the project's dictionaries),
Rasa's intent ranking and entities, and the knowledge base's decision and candidates. Text is masked first;
Rasa being unreachable is reported in the result, never an error."""

from __future__ import annotations

from api.rasa_client import BotUnavailable, RasaClient
from api.schemas.trainer import ConsoleResult, EntityOut, IntentScore, KbCandidate, KbProbe
from api.workbench.nlu_files import NluFiles
from common.pii import mask_pii
from kb_index.service import KbService


async def probe(text: str, nlu: NluFiles, rasa: RasaClient, kb: KbService | None) -> ConsoleResult:
    masked = mask_pii(text)
    intent, ranking, entities, error = None, [], [], None
    try:
        parsed = await rasa.parse(masked)
        intent = IntentScore.model_validate(parsed["intent"]) if parsed.get("intent") else None
        ranking = [IntentScore.model_validate(i) for i in parsed.get("intent_ranking", [])[:10]]
        entities = [EntityOut(**{k: e.get(k) for k in ("entity", "value", "start", "end")})
                    for e in parsed.get("entities", [])]
    except BotUnavailable as exc:
        error = f"Rasa unavailable: {exc.reason}"
    if kb is not None:
        found = kb.lookup(masked, k=5)
        probed = KbProbe(decision=found.decision.action.value,
                         candidates=[KbCandidate(entry_id=h.entry.id, question=h.entry.question,
                                                 score=round(h.score, 4)) for h in found.hits])
    else:
        probed = KbProbe(decision="fallback", candidates=[])
    return ConsoleResult(text=masked, tokens=[w for w, _, _ in nlu.tokenize(masked)], intent=intent,
                         intent_ranking=ranking, entities=entities, nlu_error=error, kb=probed)
