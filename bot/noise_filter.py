"""Rasa NLU component: a message that is only noise (:func:`bot.noise.noise_kind`), or that was classified as an
intent whose cue words it lacks (:func:`bot.intent_cues.lacks_cue`: 算是吧 as bot_challenge), is not understood.

Without it the classifier files 啊啊啊啊 or asdfgh under whichever short intent is nearest (usually affirm, deny
or inform), and the dialogue answers it as agreement. The component overrides the intent with ``nlu_fallback``
(and drops entities), so the message takes the ordinary "not understood" path: the KB fallback's apology, the
two-misses handoff, and a re-prompt inside a form. It runs after the FallbackClassifier; the safety guard after
it still wins (a secret or a fraud script is never noise).

A request for a piece of writing, a joke or homework that merely mentions a bank (给我们银行的年会编个小品剧本,
骗子打电话的台词怎么写, :func:`bot.intent_cues.non_banking_task`) becomes ``task_intent`` (default
``out_of_scope``): the honest "this service can't do that", not a compliance warning or a business answer the
classifier drew from its banking words. A message that names a more specific intent than the classifier's
(:func:`bot.intent_cues.more_specific_intent`: a card reported lost and found again is card_unfreeze_loss, not
card_report_loss) gets that intent.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.intent_cues import lacks_cue, more_specific_intent, non_banking_task
from bot.noise import noise_kind


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class NoiseFilter(GraphComponent):
    """Sets ``fallback_intent`` (default ``nlu_fallback``) for noise messages and intents without their cue."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"fallback_intent": "nlu_fallback", "task_intent": "out_of_scope"}

    def __init__(self, config: Dict[str, Any]) -> None:
        self._intent = str(config["fallback_intent"])
        self._task_intent = str(config["task_intent"])

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NoiseFilter:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if noise_kind(text) is not None or lacks_cue((message.get(INTENT) or {}).get("name"), text):
                name = self._intent
            elif non_banking_task(text):
                name = self._task_intent
            else:
                specific = more_specific_intent((message.get(INTENT) or {}).get("name"), text)
                if specific is None:
                    continue
                name = specific
            intent = {"name": name, "confidence": 1.0}
            ranking = [intent] + [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != name]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            if name in (self._intent, self._task_intent):  # a more specific intent keeps the card's digits
                message.set(ENTITIES, [], add_to_output=True)
        return messages
