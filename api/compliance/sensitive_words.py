"""Sensitive-word filter: an Aho-Corasick automaton over an editable list (api/sensitive_words.yml) with
categories and a direction each — ``input`` (what customers send: abuse, fraud bait) or ``output`` (what the
bot and agents send: wording forbidden in financial marketing such as 保本保收益, 稳赚不赔, 内幕消息).

Matching is on a normalised form, the same for the list and the text, so spelling tricks do not slip past:
NFKC (full-width ＶＸ → vx), zero-width and other invisible format characters removed (稳\u200b赚不赔),
traditional characters read as simplified (穩賺不賠 → 稳赚不赔, with zhconv), lower case, spaces and common
separators dropped (稳 赚-不·赔). Each hit reports the term and category. Pure: build once, ``find`` per message.
"""

from __future__ import annotations

import unicodedata
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import yaml
import zhconv

LIST_FILE = Path(__file__).resolve().parents[1] / "sensitive_words.yml"  # api/sensitive_words.yml
DIRECTIONS = ("input", "output")
_INVISIBLE = frozenset({"Cf", "Cc"})  # zero-width spaces and joiners, BOM, soft hyphen; control characters
_DROP = set(" \t\r\n\u3000·.。,，、-_*~|/\\'\"“”‘’")


def normalise(text: str) -> str:
    """The form both the list and the text are matched in (see the module docstring)."""
    folded = "".join(ch for ch in unicodedata.normalize("NFKC", text)
                     if ch not in _DROP and unicodedata.category(ch) not in _INVISIBLE)
    return zhconv.convert(folded, "zh-hans").lower()


@dataclass(frozen=True)
class Hit:
    term: str
    category: str
    direction: str


class WordListError(ValueError):
    pass


class SensitiveWords:
    def __init__(self, entries: Iterable[tuple[str, str, str]]) -> None:
        """``entries``: (term, category, direction)."""
        self._goto: list[dict[str, int]] = [{}]
        self._fail: list[int] = [0]
        self._out: list[list[Hit]] = [[]]
        for term, category, direction in entries:
            key = normalise(term)
            if not key:
                continue
            node = 0
            for ch in key:
                nxt = self._goto[node].get(ch)
                if nxt is None:
                    nxt = len(self._goto)
                    self._goto[node][ch] = nxt
                    self._goto.append({})
                    self._fail.append(0)
                    self._out.append([])
                node = nxt
            self._out[node].append(Hit(term, category, direction))
        queue = deque(self._goto[0].values())
        while queue:
            node = queue.popleft()
            for ch, nxt in self._goto[node].items():
                queue.append(nxt)
                f = self._fail[node]
                while f and ch not in self._goto[f]:
                    f = self._fail[f]
                self._fail[nxt] = self._goto[f].get(ch, 0) if self._goto[f].get(ch, 0) != nxt else 0
                self._out[nxt] = self._out[nxt] + self._out[self._fail[nxt]]

    def find(self, text: str, direction: str | None = None) -> list[Hit]:
        """Every distinct hit in ``text`` (optionally only of one direction), in order of first occurrence."""
        node, found, seen = 0, [], set()
        for ch in normalise(text):
            while node and ch not in self._goto[node]:
                node = self._fail[node]
            node = self._goto[node].get(ch, 0)
            for hit in self._out[node]:
                if (direction is None or hit.direction == direction) and hit not in seen:
                    seen.add(hit)
                    found.append(hit)
        return found

    @classmethod
    def from_file(cls, path: Path = LIST_FILE) -> SensitiveWords:
        """The list file: ``categories: {name: {direction: input|output, terms: [...]}}``; errors name the file."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise WordListError(f"{path}: cannot read the sensitive-word list: {exc}") from exc
        entries = []
        for name, spec in (data.get("categories") or {}).items():
            direction = (spec or {}).get("direction")
            if direction not in DIRECTIONS:
                raise WordListError(f"{path}: category {name}: direction must be one of {DIRECTIONS}")
            terms = (spec or {}).get("terms") or []
            if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
                raise WordListError(f"{path}: category {name}: terms must be a list of non-empty strings")
            entries += [(t.strip(), str(name), direction) for t in terms]
        return cls(entries)
