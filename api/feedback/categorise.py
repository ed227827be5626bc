"""An opinion's category by its keywords (pure): the category with the most distinct keywords found in the text
wins, ties to the one listed first in the file; none found: the fallback category. Matching ignores case and
full-width forms (ＡＰＰ is app)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from api.feedback.config import FeedbackConfig


@dataclass(frozen=True)
class Categorised:
    category: str
    keywords: tuple[str, ...]  # the keywords found, in the category's order


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def categorise(text: str, config: FeedbackConfig) -> Categorised:
    folded = _fold(text)
    best: Categorised | None = None
    for category in config.categories:
        found = tuple(k for k in category.keywords if _fold(k) in folded)
        if found and (best is None or len(found) > len(best.keywords)):
            best = Categorised(category.name, found)
    return best or Categorised(config.fallback, ())
