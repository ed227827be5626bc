"""Rasa NLU component: the words of a message its intent was never trained on (``novel_terms`` in the parse), and
how close its wording comes to the nearest training example of that intent (``intent_support``).

A confident intent can still be the wrong answer: 股票账户里的闲钱能做逆回购吗 is classified stock_account_open
(股票账户), 房贷还清了抵押怎么解 loan_prepay (房贷还清), 工资卡被法院冻结了 card_report_loss — the intent's
standard answer is about something else, while the KB has an entry on 逆回购 / 解押 / 司法冻结. What gives it away
is a word none of the intent's training examples contains (抵押, 法院, 老人模式, 免息, 强平). This component lists
such words for the predicted intent: nouns, verbs, adjectives and other content words (jieba's part of speech) of
two or more characters that no training example of that intent contains and that are rare across all training
examples (document frequency below ``max_df``). The bot/KB arbitration (bot/kb_arbitration_policy.py) sends a
message with novel terms to the KB, and the KB's offer wins only when the question it matched contains one of them
(actions/arbitrate.py).

History, measured on the held-out NLU data and the six precision sets (1,084 labelled messages): ``max_df`` 0.01
with naming words only (nouns, abbreviations, Latin words) was the first design, after 哪些 / 回来 / 十分钟 had
sent confident intents to the KB. The follow-up details customers ask next to a standard intent are often verbs or
adjectives (信用卡最多能免息多少天, 两融会被强平吗, 分期想一次性结清), so verbs and adjectives count too, with
``max_df`` 0.003 keeping common ones (需要, 回来) out: of the confident intents whose KB question holds a novel
term, KB-only questions offered the right entry 9 times instead of 4, intent-only messages were offered the KB 10
times instead of 12 (an offer, never a KB answer over a confident intent).

``intent_support`` (kb_index.overlap: Dice of character bigrams with the nearest example, 0-1) serves the same
arbitration: a follow-up detail often has no novel word (额度被降 is all credit_card_limit vocabulary), but its
wording is closer to the KB question that asks it than to anything the intent was trained on; the action compares
the two (actions/arbitrate.py). The examples are stored with the model, in simplified characters.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, Dict, Iterable, List, Mapping, Sequence

from jieba import posseg
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from kb_index.normalize import simplified
from kb_index.overlap import best_dice, bigrams

NOVEL_TERMS = "novel_terms"  # the key in the parse data the policy and the action read
# how close the message's wording comes to the nearest training example of its intent (kb_index.overlap: Dice of
# character bigrams, 0-1): the arbitration compares it with the question the KB matched
INTENT_SUPPORT = "intent_support"
_CONTENT = re.compile(r"[\u4e00-\u9fffA-Za-z]")


# jieba part-of-speech tags of content words: nouns of every kind, verbs and verbal nouns (免息, 抵押),
# adjectives (强平), abbreviations (房贷), fixed expressions (可转债) and Latin words (ETF); not pronouns (哪些),
# numerals (十分钟), adverbs or conjunctions, which say how something is asked, not what about
_CONTENT_TAGS = ("n", "v", "a", "j", "l", "eng")


def content_words(text: str) -> list[str]:
    """Content words (nouns, verbs, adjectives, abbreviations, fixed expressions, Latin words) of two or more
    characters, in order, read in simplified characters (銀行卡丟了 is the 银行卡丢了 the training data knows) and
    full-width folded (NFKC)."""
    folded = simplified(text)
    return [pair.word for pair in posseg.cut(folded)
            if len(pair.word) >= 2 and _CONTENT.search(pair.word) and pair.flag.startswith(_CONTENT_TAGS)]


def vocabulary(examples: Iterable[tuple[str, str]]) -> tuple[dict[str, set[str]], Counter[str], int]:
    """Per intent the words of its examples, the number of examples each word occurs in, and the example count."""
    per_intent: dict[str, set[str]] = {}
    df: Counter[str] = Counter()
    n = 0
    for text, intent in examples:
        words = set(content_words(text))
        per_intent.setdefault(intent, set()).update(words)
        df.update(words)
        n += 1
    return per_intent, df, n


def novel_terms(words: Sequence[str], intent: str, per_intent: Mapping[str, set[str]], df: Mapping[str, int],
                n: int, max_df: float) -> list[str]:
    """The words (in order, once each) that ``intent``'s examples never contain and that occur in fewer than
    ``max_df`` of all ``n`` training examples (pure). An intent without examples has none: nothing to compare."""
    known = per_intent.get(intent)
    if not known or n <= 0:
        return []
    out: list[str] = []
    for word in words:
        if word not in known and df.get(word, 0) / n < max_df and word not in out:
            out.append(word)
    return out


def _example_grams(examples: Mapping[str, Sequence[str]]) -> dict[str, list[frozenset[str]]]:
    """Per intent the character bigrams of its (simplified) training examples, for ``intent_support``."""
    return {intent: [bigrams(t) for t in texts] for intent, texts in examples.items()}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class NovelTermDetector(GraphComponent):
    """Adds ``novel_terms`` to every parsed message (see the module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"max_df": 0.003}

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 per_intent: Dict[str, set[str]] | None = None, df: Mapping[str, int] | None = None,
                 n: int = 0, examples: Mapping[str, Sequence[str]] | None = None) -> None:
        self._max_df = float(config["max_df"])  # Rasa merges get_default_config()
        self._storage = model_storage
        self._resource = resource
        self._per_intent = per_intent or {}
        self._df = dict(df or {})
        self._n = n
        self._grams = _example_grams(examples or {})

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> NovelTermDetector:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [(m.get(TEXT) or "", str(m.get(INTENT))) for m in training_data.intent_examples if m.get(TEXT)]
        self._per_intent, df, self._n = vocabulary(examples)
        self._df = dict(df)
        texts: dict[str, list[str]] = {}
        for text, intent in examples:
            texts.setdefault(intent, []).append(simplified(text))
        self._grams = _example_grams(texts)
        with self._storage.write_to(self._resource) as directory:
            (directory / "vocabulary.json").write_text(json.dumps(
                {"n": self._n, "df": self._df, "intents": {k: sorted(v) for k, v in self._per_intent.items()},
                 "examples": texts}, ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> NovelTermDetector:
        with model_storage.read_from(resource) as directory:
            data = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, {k: set(v) for k, v in data["intents"].items()},
                   data["df"], int(data["n"]), data.get("examples") or {})

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            terms = (novel_terms(content_words(message.get(TEXT) or ""), str(intent), self._per_intent, self._df,
                                 self._n, self._max_df) if intent else [])
            message.set(NOVEL_TERMS, terms, add_to_output=True)
            grams = self._grams.get(str(intent)) if intent else None
            if grams:  # a model trained before the examples were stored has none: no support, no comparison
                support = best_dice(simplified(message.get(TEXT) or ""), grams)
                message.set(INTENT_SUPPORT, round(support, 4), add_to_output=True)
        return messages
