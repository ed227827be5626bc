"""How much wording two sentences share: the Dice coefficient of their character-bigram sets (pure, no imports
beyond the standard library, so the Rasa components and the action server compute it alike).

The bot/KB arbitration uses it to tell a follow-up detail from an ordinary question of a confident intent: a
message whose wording is closer to the question the KB matched than to every training example of its intent
(信用卡最多能免息多少天 against 信用卡最长免息多少天 and credit_card_repayment's 信用卡怎么还款) asks what the KB
question asks, and the intent's standard answer is about something else. Character bigrams need no tokenizer or
fitted vocabulary, and a message is compared with single sentences, not with a corpus.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

_DROP = re.compile(r"[\W_]+")  # punctuation, spaces and symbols carry no wording


def bigrams(text: str) -> frozenset[str]:
    """The set of character bigrams of ``text`` (NFKC-folded, lower case, punctuation and spaces dropped); a
    one-character text is its own only "bigram", an empty one has none."""
    folded = _DROP.sub("", unicodedata.normalize("NFKC", text or "").lower())
    if len(folded) < 2:
        return frozenset({folded} if folded else ())
    return frozenset(folded[i:i + 2] for i in range(len(folded) - 1))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """2|a ∩ b| / (|a| + |b|): 1.0 for the same wording, 0.0 for none shared or an empty side."""
    if not a or not b:
        return 0.0
    return 2.0 * len(a & b) / (len(a) + len(b))


def best_dice(text: str, sentences: Iterable[frozenset[str]]) -> float:
    """The highest :func:`dice` of ``text`` with any of ``sentences`` (bigram sets); 0.0 for none."""
    grams = bigrams(text)
    return max((dice(grams, s) for s in sentences), default=0.0)
