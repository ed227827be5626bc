"""Knowledge-base fallback: when the NLU is not confident (nlu_fallback) or the message is out of scope, search
the KB and answer, offer the closest questions (您是不是想问), or apologise and offer a human; two fallbacks in
a row or a 没帮助 hand the customer to a human. Every fallback, suggestion and negative feedback is recorded
(masked) in the unanswered-questions store for trainers.

The KB index is loaded once per process and hot-swapped when ``python -m kb_index build`` publishes a new
version (kb_index.service): no action-server restart and no Rasa retraining for KB changes. Lookups run off the
event loop with a time budget (kb_index.budget): a slow encoder never stalls other customers, and a lookup over
budget degrades to lexical suggestions or the honest fallback instead of making the customer wait.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import threading
from functools import lru_cache
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.handoff import handoff_payload
from actions.intent_options import answer_picked, intent_button, option_value, picked_intent
from common.institution import Institution, fill_institution
from common.pii import mask_pii
from kb_index.budget import BudgetedKb, TimedLookup, open_budgeted
from kb_index.entry import KbEntry
from kb_index.normalize import normalise_query
from kb_index.overlap import bigrams, dice
from kb_index.policy import Action as KbAction
from kb_index.policy import Decision
from kb_index.service import KbService, Lookup, open_service
from kb_index.settings import KbSettings
from kb_index.unanswered import UnansweredStore

log = logging.getLogger(__name__)

FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
OWN_REPLY = {"inform": "utter_inform_without_context"}  # intents routed here first, with their usual reply
HANDOFF_BUTTON = {"title": "转人工客服", "payload": "/human_handoff"}
FEEDBACK_BUTTONS = [{"title": "有帮助", "payload": "/kb_helpful"}, {"title": "没帮助", "payload": "/kb_unhelpful"}]
# the NLU's own out-of-scope verdict at or above this makes a KB answer an offer (README "Honest fallbacks"): on
# the shipped KB's 1,924 questions 38 (2 %) parse as out_of_scope >= 0.5, on nlu_eval/oos_heldout.txt 167 of 200
OUT_OF_SCOPE_SURE = 0.5
_ORDINALS = {"1": 0, "一": 0, "2": 1, "二": 1, "两": 1, "3": 2, "三": 2}
_ORDINAL = re.compile(r"第?\s*([123一二两三])\s*(?:个|条|项|种)?")
MAX_OPTIONS = 3  # what _ORDINALS can pick
SAME_QUESTION = 0.6  # character-pair Dice at which two offered questions ask the same thing


@lru_cache(maxsize=1)
def kb_service() -> KbService:
    """The process-wide KB service, watching for new index versions."""
    return open_service(KbSettings())


@lru_cache(maxsize=1)
def budgeted_kb() -> BudgetedKb:
    """The process-wide pool that runs KB lookups with the time budget (over whatever ``kb_service()`` is)."""
    budgeted = open_budgeted(lambda: kb_service())
    budgeted.warm()
    return budgeted


_loading = threading.Lock()


def _load_kb() -> BudgetedKb:
    with _loading:  # one load, however many customers ask at once
        return budgeted_kb()


async def loaded_kb() -> BudgetedKb:
    """The KB pool, loaded on a thread the first time: the action server's worker loads it before it serves
    (actions/server.py); elsewhere loading an index and its encoder takes seconds that must not stall the loop."""
    return await asyncio.to_thread(_load_kb)


@lru_cache(maxsize=1)
def unanswered_store() -> UnansweredStore:
    return UnansweredStore(KbSettings().unanswered_path)


def _channel(tracker: Tracker) -> str | None:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    channel = metadata.get("channel") if isinstance(metadata, dict) else None
    return str(channel) if channel else None


def _intent(tracker: Tracker) -> tuple[str | None, float | None]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), intent.get("confidence")


def _previous_user_intent(tracker: Tracker) -> str | None:
    """The intent of the user message before the latest one."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    if len(users) < 2:
        return None
    return ((users[-2].get("parse_data") or {}).get("intent") or {}).get("name")


def answer_text(entry: KbEntry, org: Institution) -> str:
    links = "".join(f"\n{link.title}：{link.payload}" for link in entry.links)
    return fill_institution(entry.answer, org) + links


def send_answer(dispatcher: CollectingDispatcher, tracker: Tracker, entry: KbEntry) -> None:
    """The entry's answer (institution facts filled in, with its own buttons), then 这个回答对您有帮助吗."""
    org = Institution.from_slots(tracker.current_slot_values())
    dispatcher.utter_message(text=answer_text(entry, org),
                             buttons=[{"title": b.title, "payload": b.payload} for b in entry.buttons])
    dispatcher.utter_message(response="utter_kb_ask_feedback", buttons=FEEDBACK_BUTTONS)


def kb_context(lookup: Lookup, query: str, scorer: str = "dense", elapsed_ms: float | None = None,
               decision: Decision | None = None) -> Dict[str, Any]:
    """What the bridge shows an agent: the masked query, the decision, the calibrated probability that the best
    entry is right (None without a learned re-ranker; what the bot/KB arbitration reads), the candidates with
    cosine scores and probabilities (and, when the lookup ran over its time budget, which scorer stood in for
    the encoder), and how long the lookup took (operations and benchmarks read it)."""
    action = (decision or lookup.decision).action.value
    context: Dict[str, Any] = {"query": mask_pii(query), "action": action,
                               "confidence": None if lookup.confidence is None else round(lookup.confidence, 4),
                               "version": lookup.version, "candidates": [h.as_dict() for h in lookup.hits[:3]]}
    if scorer != "dense":
        context["degraded"] = scorer
    if elapsed_ms is not None:
        context["lookup_ms"] = round(elapsed_ms, 1)
    return {"kb": context}


def asked_word_for_word(lookup: Lookup, text: str) -> bool:
    """Whether ``text`` is, normalised, the very question the KB's best entry matched (pure)."""
    best = lookup.decision.best
    hit = lookup.hit(best.entry_id) if best is not None else None
    return hit is not None and normalise_query(text) == normalise_query(hit.matched_question)


def nlu_gated(lookup: Lookup, text: str, intent: str | None, confidence: float | None) -> Decision:
    """The KB's decision, held back when the NLU itself is sure the message is not banking (``out_of_scope`` at
    ``OUT_OF_SCOPE_SURE`` or above) and the message is not word for word the question it matched (pure):

    * an answer becomes an offer (您是不是想问 with that one question): 帮我查一下银行门口那家奶茶店几点开门
      shares its words with 网点几点开门, and a confident answer about the bank's hours would be wrong;
    * mere suggestions become the honest out-of-scope reply (这个我帮不了您 … what the service can do), which
      also counts toward the two-misses handoff: 帮我叫个滴滴 should not be offered 滴滴出行绑卡 questions.
    """
    decision = lookup.decision
    best = decision.best
    if (decision.action is KbAction.FALLBACK or best is None or intent != "out_of_scope"
            or (confidence or 0.0) < OUT_OF_SCOPE_SURE or asked_word_for_word(lookup, text)):
        return decision
    if decision.action is KbAction.ANSWER:
        return Decision(KbAction.SUGGEST, best, (best,))
    return Decision(KbAction.FALLBACK, best)


def offer(dispatcher: CollectingDispatcher, decision: Decision, context: Dict[str, Any],
          text: str, intent: str | None = None, intent_first: bool = False) -> List[Dict[str, Any]]:
    """您是不是想问 with the suggested questions as buttons (and a human), the context for the bridge, the slots;
    with ``intent`` that intent's question among them (actions/intent_options.py), first or last, and at most
    three options in all (第一个 … 第三个 pick them)."""
    options = [({"title": s.question, "payload": f'/kb_select{{"kb_entry":"{s.entry_id}"}}'}, s.entry_id)
               for s in decision.suggestions]
    button = intent_button(intent) if intent else None
    own_grams = bigrams(normalise_query(button["title"])) if button is not None else frozenset()
    # the intent's question is left out when a KB question already asks it (个人网上银行怎么开通？ beside
    # 怎么开通网上银行？): the entry answers it, and more specifically
    if button is not None and intent is not None and not any(
            dice(bigrams(normalise_query(b["title"])), own_grams) >= SAME_QUESTION for b, _ in options):
        options = options[:MAX_OPTIONS - 1]
        own = (button, option_value(intent))
        options = [own, *options] if intent_first else [*options, own]
    dispatcher.utter_message(response="utter_kb_did_you_mean", buttons=[*(b for b, _ in options), HANDOFF_BUTTON])
    dispatcher.utter_message(json_message=context)
    return [SlotSet("kb_fallback_streak", 0.0), SlotSet("kb_last_query", mask_pii(text)),
            SlotSet("kb_suggestions", [v for _, v in options]), SlotSet("kb_last_entry", None)]


def _handoff(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str, lead: str,
             context: Dict[str, Any] | None = None) -> None:
    dispatcher.utter_message(response=lead)
    dispatcher.utter_message(response="utter_human_handoff")
    payload = handoff_payload(tracker, reason)
    if context:
        payload["handoff"].update(context)
    dispatcher.utter_message(json_message=payload)


class ActionKbFallback(Action):
    def name(self) -> str:
        return "action_kb_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        intent, confidence = _intent(tracker)
        timed: TimedLookup = await (await loaded_kb()).lookup(text, channel=_channel(tracker))
        lookup = timed.lookup
        decision = nlu_gated(lookup, text, intent, confidence)
        context = kb_context(lookup, text, timed.path, timed.elapsed_ms, decision)
        best = decision.best

        def record(kind: str) -> None:
            unanswered_store().record(kind, text, conversation=tracker.sender_id, intent=intent,
                                      confidence=confidence, best_entry=best.entry_id if best else None,
                                      best_score=best.score if best else None)

        if decision.action is KbAction.ANSWER and best is not None:
            hit = lookup.hit(best.entry_id)
            assert hit is not None
            send_answer(dispatcher, tracker, hit.entry)
            dispatcher.utter_message(json_message=context)
            return [SlotSet("kb_fallback_streak", 0.0), SlotSet("kb_last_entry", hit.entry.id),
                    SlotSet("kb_last_query", mask_pii(text)), SlotSet("kb_suggestions", None)]
        if decision.action is KbAction.SUGGEST:
            record("suggest")
            return offer(dispatcher, decision, context, text)
        if intent not in FALLBACK_INTENTS:  # e.g. a bare 杭州 / 信用卡 outside a form: ask what they want
            dispatcher.utter_message(response=OWN_REPLY.get(str(intent), "utter_default"))
            dispatcher.utter_message(json_message=context)
            return [SlotSet("kb_suggestions", None), SlotSet("kb_last_entry", None)]
        record("fallback")
        previous = float(tracker.get_slot("kb_fallback_streak") or 0)
        streak = previous + 1 if _previous_user_intent(tracker) in FALLBACK_INTENTS and previous else 1.0
        if streak >= 2:
            _handoff(dispatcher, tracker, "repeated_fallback", "utter_kb_still_not_understood", context)
            return [SlotSet("kb_fallback_streak", 0.0), SlotSet("kb_suggestions", None), SlotSet("kb_last_entry", None)]
        dispatcher.utter_message(response="utter_out_of_scope" if intent == "out_of_scope" else "utter_default")
        dispatcher.utter_message(json_message=context)
        return [SlotSet("kb_fallback_streak", streak), SlotSet("kb_suggestions", None), SlotSet("kb_last_entry", None)]


def chosen_entry_id(tracker: Tracker) -> str | None:
    """The entry a customer picked from 您是不是想问: the button's ``kb_entry`` entity, or 第二个 / 2 typed."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "kb_entry" and entity.get("value"):
            return str(entity["value"])
    suggestions = tracker.get_slot("kb_suggestions") or []
    match = _ORDINAL.search((tracker.latest_message or {}).get("text") or "")
    if match and suggestions:
        position = _ORDINALS[match.group(1)]
        return str(suggestions[position]) if position < len(suggestions) else None
    return None


def selectable(entry: KbEntry | None, channel: str | None, today: dt.date | None = None) -> KbEntry | None:
    """The entry if a customer may be shown it by id: a ``/kb_select{"kb_entry": …}`` payload can name any id,
    so a retired entry (past valid_until, or not yet valid) or one kept to other channels is refused, and an
    entry restricted to some channels is only shown when the message's channel is known to be one of them."""
    if entry is None or not entry.is_valid_on(today or dt.date.today()):
        return None
    if entry.channels and channel not in entry.channels:
        return None
    return entry


class ActionKbSelect(Action):
    def name(self) -> str:
        return "action_kb_select"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        entry_id = chosen_entry_id(tracker)
        intent = picked_intent(entry_id)
        if intent is not None:  # the intent offered beside the KB's questions (actions/intent_options.py)
            return [SlotSet("kb_suggestions", None), *answer_picked(dispatcher, intent, domain.get("responses") or {})]
        await loaded_kb()
        entry = selectable(kb_service().entry(entry_id) if entry_id else None, _channel(tracker))
        if entry is None:
            dispatcher.utter_message(response="utter_kb_select_unknown", buttons=[HANDOFF_BUTTON])
            return [SlotSet("kb_suggestions", None)]
        send_answer(dispatcher, tracker, entry)
        return [SlotSet("kb_last_entry", entry.id), SlotSet("kb_suggestions", None),
                SlotSet("kb_fallback_streak", 0.0)]


PLAIN_YES_NO = ("affirm", "deny")  # right after a KB reply (rules.yml): 有/是的 or 没有/不是


def _yes_no_without_an_answer(dispatcher: CollectingDispatcher, tracker: Tracker, yes: bool,
                              responses: Dict[str, Any]) -> List[Dict[str, Any]]:
    """A plain yes or no to a KB reply that was not an answer: to 您是不是想问, 是的 picks the only suggestion
    (or asks which one) and 不是 apologises with a human offered; after an apology it is just acknowledged."""
    suggestions = tracker.get_slot("kb_suggestions") or []
    if suggestions and yes:
        only = str(suggestions[0]) if len(suggestions) == 1 else None
        intent = picked_intent(only)
        if intent is not None:
            return [SlotSet("kb_suggestions", None), *answer_picked(dispatcher, intent, responses)]
        entry = selectable(kb_service().entry(only) if only else None, _channel(tracker))
        if entry is None:
            dispatcher.utter_message(response="utter_kb_pick_one")
            return []
        send_answer(dispatcher, tracker, entry)
        return [SlotSet("kb_last_entry", entry.id), SlotSet("kb_suggestions", None)]
    dispatcher.utter_message(response="utter_default" if suggestions else "utter_anything_else")
    return [SlotSet("kb_suggestions", None)]


class ActionKbFeedback(Action):
    def name(self) -> str:
        return "action_kb_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[str, Any]]:
        intent, _ = _intent(tracker)
        entry_id = tracker.get_slot("kb_last_entry")
        if intent in PLAIN_YES_NO and not entry_id:
            return _yes_no_without_an_answer(dispatcher, tracker, intent == "affirm", domain.get("responses") or {})
        if intent in ("kb_helpful", "affirm"):
            dispatcher.utter_message(response="utter_kb_thanks")
            return [SlotSet("kb_last_entry", None), SlotSet("kb_last_query", None)]
        question = tracker.get_slot("kb_last_query") or (tracker.latest_message or {}).get("text") or ""
        unanswered_store().record("negative_feedback", question, conversation=tracker.sender_id,
                                  intent=intent, best_entry=entry_id)
        _handoff(dispatcher, tracker, "negative_feedback", "utter_kb_sorry_unhelpful",
                 {"kb": {"query": mask_pii(question), "answered_entry": entry_id}})
        return [SlotSet("kb_last_entry", None), SlotSet("kb_last_query", None)]
