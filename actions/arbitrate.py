"""``action_kb_arbitrate``: the KB side of the bot/KB arbitration (bot/kb_arbitration_policy.py).

The policy runs this action when the customer's intent is weak or the message is exactly a KB question. The
better-supported answer wins: when the KB's answer policy says answer (its calibrated re-ranker confidence or
cosine thresholds, kb_index.policy), the customer gets the KB answer, rendered as the KB fallback renders it;
otherwise the action reverts itself (``ActionReverted``), so the rules and stories answer the intent exactly as
they would have without arbitration (utter_<intent>, a form, a custom action). When the KB wins the decision is
recorded for the bridge in the ``kb`` json message the KB fallback also sends (``kb.arbitration``: the intent,
its confidence, the KB's calibrated confidence and which side won), so agents and trainers see why.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionReverted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.kb_fallback import _channel, _intent, budgeted_kb, kb_context, send_answer
from common.pii import mask_pii
from kb_index.policy import Action as KbAction
from kb_index.service import Lookup


def kb_wins(lookup: Lookup) -> bool:
    """Whether the KB's answer is better supported than the intent: its answer policy says answer (pure)."""
    return lookup.decision.action is KbAction.ANSWER and lookup.decision.best is not None


class ActionKbArbitrate(Action):
    def name(self) -> str:
        return "action_kb_arbitrate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        intent, confidence = _intent(tracker)
        timed = await budgeted_kb().lookup(text, channel=_channel(tracker))
        lookup = timed.lookup
        context = kb_context(lookup, text, timed.path)
        best = lookup.decision.best
        hit = lookup.hit(best.entry_id) if kb_wins(lookup) and best is not None else None
        verdict = {"intent": intent, "intent_confidence": confidence, "kb_confidence": lookup.confidence,
                   "winner": "kb" if hit is not None else "intent"}
        if hit is None:
            # the intent keeps the turn: undo this action so the rules answer as they always would
            return [ActionReverted()]
        send_answer(dispatcher, tracker, hit.entry)
        dispatcher.utter_message(json_message={"kb": {**context["kb"], "arbitration": verdict}})
        return [SlotSet("kb_fallback_streak", 0.0), SlotSet("kb_last_entry", hit.entry.id),
                SlotSet("kb_last_query", mask_pii(text)), SlotSet("kb_suggestions", None)]
