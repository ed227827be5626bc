"""Rasa NLU component: runs the blank Chinese spaCy pipeline of :mod:`bot.spacy_zh` and adds ``amount``,
``date`` and ``business`` entities with normalised values. The pipeline is built at training time from
``business_terms_path`` and saved inside the Rasa model, so a served model needs no source files."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.language import Language

from bot.spacy_zh import build_pipeline, extract_entities

logger = logging.getLogger(__name__)


def load_business_terms(path: str) -> dict[str, list[str]]:
    """Read the canonical-name -> aliases mapping; a clear error names the file on bad content."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read business terms: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of canonical name -> list of aliases")
    terms: dict[str, list[str]] = {}
    for canonical, aliases in data.items():
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise ValueError(f"{path}: entry '{canonical}' must be a list of non-empty strings")
        terms[str(canonical)] = [a.strip() for a in aliases]
    return terms


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class SpacyEntityNormalizer(GraphComponent, EntityExtractorMixin):
    """Amounts in Chinese numerals, relative dates and business names, with normalised values."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"business_terms_path": "nlu_data/business_terms.yml"}

    @staticmethod
    def required_packages() -> List[str]:
        return ["spacy", "jieba"]

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        nlp: Optional[Language] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._nlp = nlp

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpacyEntityNormalizer:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        self._nlp = build_pipeline(load_business_terms(self._config["business_terms_path"]))
        with self._model_storage.write_to(self._resource) as directory:
            self._nlp.to_disk(Path(directory) / "spacy_zh")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SpacyEntityNormalizer:
        import spacy

        with model_storage.read_from(resource) as directory:
            nlp = spacy.load(Path(directory) / "spacy_zh")
        return cls(config, model_storage, resource, nlp)

    def process(self, messages: List[Message]) -> List[Message]:
        if self._nlp is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = self.add_extractor_name(extract_entities(self._nlp, text))
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
