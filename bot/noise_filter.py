"""Rasa NLU component: a message that is only noise (:func:`bot.noise.noise_kind`), or that was classified as an
intent whose cue words it lacks (:func:`bot.intent_cues.lacks_cue`: 算是吧 as bot_challenge), is not understood.

Without it the classifier files 啊啊啊啊 or asdfgh under whichever short intent is nearest (usually affirm, deny
or inform), and the dialogue answers it as agreement. The component overrides the intent with ``nlu_fallback``
(and drops entities), so the message takes the ordinary "not understood" path: the KB fallback's apology, the
two-misses handoff, and a re-prompt inside a form. It runs after the FallbackClassifier; the safety guard after
it still wins (a secret or a fraud script is never noise).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.intent_cues import lacks_cue
from bot.noise import noise_kind


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class NoiseFilter(GraphComponent):
    """Sets ``fallback_intent`` (default ``nlu_fallback``) for noise messages and intents without their cue."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"fallback_intent": "nlu_fallback"}

    def __init__(self, config: Dict[str, Any]) -> None:
        self._intent = str(config["fallback_intent"])

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
            if noise_kind(text) is None and not lacks_cue((message.get(INTENT) or {}).get("name"), text):
                continue
            intent = {"name": self._intent, "confidence": 1.0}
            ranking = [intent] + [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != self._intent]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            message.set(ENTITIES, [], add_to_output=True)
        return messages
