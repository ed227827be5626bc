"""The test console: what the bot would make of a sentence — jieba tokens (with the project's dictionaries),
Rasa's intent ranking and entities, the knowledge base's decision and candidates, and the reply a customer
would actually get, with why (api/workbench/console_reply.py). Text is masked first; Rasa being unreachable is
reported in the result, never an error.

The reply comes from the bot in service through its REST channel, on a throwaway conversation id
(``trainer-console-<random>``, never a customer's) that is erased from Rasa's tracker store and from the
unanswered-questions review right after, so testing leaves no conversation and no "unanswered" question behind.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Callable

from api.rasa_client import BotTurn, BotUnavailable, RasaClient
from api.schemas.trainer import ConsoleReply, ConsoleResult, EntityOut, IntentScore, KbCandidate, KbProbe
from api.workbench.console_reply import explain, unavailable, weak_threshold
from api.workbench.nlu_files import NluFiles
from common.pii import mask_pii
from kb_index.service import KbService

log = logging.getLogger(__name__)
SENDER_PREFIX = "trainer-console-"


async def customer_reply(rasa: RasaClient, text: str, forget: Callable[[str], Any]) -> BotTurn:
    """The bot's replies to ``text`` in a new conversation, which is erased afterwards (also on failure)."""
    sender = SENDER_PREFIX + uuid.uuid4().hex
    try:
        return await rasa.send(sender, text)
    finally:
        try:
            await rasa.erase_conversation(sender)
        except BotUnavailable as exc:  # the tracker of a throwaway conversation; logged, not shown
            log.warning("test console: erasing %s failed: %s", sender, exc.reason)
        forget(sender)


async def probe(text: str, nlu: NluFiles, rasa: RasaClient, kb: KbService | None,
                forget: Callable[[str], Any] = lambda sender: None) -> ConsoleResult:
    masked = mask_pii(text)
    intent, ranking, entities, error = None, [], [], None
    parsed, turn = await asyncio.gather(rasa.parse(masked), customer_reply(rasa, masked, forget),
                                        return_exceptions=True)
    if isinstance(parsed, BotUnavailable):
        error = f"意图识别服务（Rasa）不可用：{parsed.reason}"
    elif isinstance(parsed, BaseException):
        raise parsed
    else:
        intent = IntentScore.model_validate(parsed["intent"]) if parsed.get("intent") else None
        ranking = [IntentScore.model_validate(i) for i in parsed.get("intent_ranking", [])[:10]]
        entities = [EntityOut(**{k: e.get(k) for k in ("entity", "value", "start", "end")})
                    for e in parsed.get("entities", [])]
    reply: ConsoleReply
    if isinstance(turn, BotUnavailable):
        reply = unavailable(turn.reason)
    elif isinstance(turn, BaseException):
        raise turn
    else:
        reply = explain(turn, intent.name if intent else None, intent.confidence if intent else None,
                        weak_threshold(nlu.domain_file.parent / "config.yml"))
    if kb is not None:
        found = kb.lookup(masked, k=5)
        probed = KbProbe(decision=found.decision.action.value,
                         candidates=[KbCandidate(entry_id=h.entry.id, question=h.entry.question,
                                                 score=round(h.score, 4)) for h in found.hits])
    else:
        probed = KbProbe(decision="fallback", candidates=[])
    return ConsoleResult(text=masked, tokens=[w for w, _, _ in nlu.tokenize(masked)], intent=intent,
                         intent_ranking=ranking, entities=entities, nlu_error=error, kb=probed, reply=reply)
