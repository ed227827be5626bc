"""A blank Chinese spaCy pipeline (jieba segmenter, nothing to download) whose EntityRuler finds what regexes
handle badly: money amounts in Chinese numerals, relative dates, product and business names.

:func:`build_pipeline` makes the pipeline from business terms; :func:`extract_entities` runs it and normalises
each match (两千块 -> 2000, 下周一 -> an ISO date, 两融 -> 融资融券). No Rasa import here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, cast

import spacy
from spacy.language import Language
from spacy.pipeline import EntityRuler

from common.zh_dates import resolve_date
from common.zh_numbers import NUMERAL_CHARS, parse_amount

_NUM_TOKEN = rf"^[{NUMERAL_CHARS}]+(块钱|块|元|圆|万元|万)?$|^\d+(\.\d+)?[wWkK]$"
_UNIT_TOKEN = r"^(元|块|块钱|圆|万|万元|千|千元|百|亿|钱|人民币)$"
_WEEKDAY = "[一二三四五六日天末1-7]"
_DATE_PATTERNS: list[list[dict[str, Any]]] = [
    [{"TEXT": {"REGEX": r"^(今天|今日|当天|明天|明日|次日|后天|大后天|昨天|昨日|前天|大前天)$"}}],
    [{"TEXT": {"REGEX": rf"^(下下|下|这|本|上)?个?(周|星期|礼拜){_WEEKDAY}$"}}],
    [{"TEXT": {"REGEX": r"^(下下|下|这|本|上)个?(周|星期|礼拜)$"}}, {"TEXT": {"REGEX": rf"^{_WEEKDAY}$"}}],
    [{"TEXT": {"REGEX": r"^(下下|下|这|本|上)个?$"}}, {"TEXT": {"REGEX": rf"^(周|星期|礼拜){_WEEKDAY}$"}}],
    [{"TEXT": {"REGEX": r"^(\d{4}年)?\d{1,2}月\d{1,2}[日号]?$"}}],
    [
        {"TEXT": {"REGEX": r"^(\d{1,2}|[一二三四五六七八九十]{1,2})$"}},
        {"TEXT": "月"},
        {"TEXT": {"REGEX": r"^(\d{1,2}|[一二三四五六七八九十]{1,3})$"}},
        {"TEXT": {"IN": ["日", "号"]}, "OP": "?"},
    ],
    [{"TEXT": {"REGEX": r"^(\d{1,2}|[一二三四五六七八九十]{1,2})月$"}}, {"TEXT": {"REGEX": r"^\d{1,2}[日号]?$"}}],
]
_AMOUNT_PATTERNS: list[list[dict[str, Any]]] = [
    [{"TEXT": {"REGEX": _NUM_TOKEN}}, {"TEXT": {"REGEX": f"{_NUM_TOKEN}|{_UNIT_TOKEN}"}, "OP": "*"}],
]


def build_pipeline(business_terms: Mapping[str, Sequence[str]]) -> Language:
    """A blank ``zh`` pipeline with an EntityRuler for ``amount``, ``date`` and ``business``.

    ``business_terms`` maps each canonical business/product name to its aliases; the canonical name becomes
    the pattern id, so every alias normalises to it.
    """
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = cast(EntityRuler, nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "TEXT"}))
    patterns: list[dict[str, Any]] = []
    patterns += [{"label": "amount", "pattern": p} for p in _AMOUNT_PATTERNS]
    patterns += [{"label": "date", "pattern": p} for p in _DATE_PATTERNS]
    for canonical, aliases in business_terms.items():
        for alias in {canonical, *aliases}:
            patterns.append({"label": "business", "pattern": alias, "id": canonical})
    ruler.add_patterns(patterns)
    return nlp


def _normalise(label: str, text: str, ent_id: str, today: dt.date) -> Any:
    if label == "amount":
        return parse_amount(text)
    if label == "date":
        date = resolve_date(text, today)
        return date.isoformat() if date else None
    return ent_id or text


def extract_entities(nlp: Language, text: str, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Entities of ``text`` as Rasa-style dicts with normalised values; unparseable matches are dropped."""
    today = today or dt.date.today()
    entities = []
    for ent in nlp(text).ents:
        value = _normalise(ent.label_, ent.text, ent.ent_id_, today)
        if value is None:
            continue
        entities.append(
            {"entity": ent.label_, "start": ent.start_char, "end": ent.end_char, "value": value, "text": ent.text}
        )
    return entities
