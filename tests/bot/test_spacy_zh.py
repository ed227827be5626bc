"""The blank Chinese spaCy pipeline: amounts, dates and business names with normalised values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jieba
import pytest
import spacy
from spacy.language import Language

from bot.entity_normalizer import load_business_terms
from bot.spacy_zh import build_pipeline, extract_entities

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def nlp() -> Language:
    for path in sorted((ROOT / "nlu_data" / "jieba_userdict").glob("*.txt")):
        jieba.load_userdict(str(path))
    return build_pipeline(load_business_terms(str(ROOT / "nlu_data" / "business_terms.yml")))


CASES = [
    ("我想转两千块给我妈", [("amount", "两千块", 2000)]),
    ("帮我把限额调到五万元", [("amount", "五万元", 50000)]),
    ("转账20000元可以吗", [("amount", "20000元", 20000)]),
    ("我要取十万块钱", [("amount", "十万块钱", 100000)]),
    ("两万五千元够不够", [("amount", "两万五千元", 25000)]),
    ("下周一去网点", [("date", "下周一", "2026-11-30")]),
    ("明天能到账吗", [("date", "明天", "2026-11-25")]),
    ("下个星期三可以办吗", [("date", "下个星期三", "2026-12-02")]),
    ("3月5号去办", [("date", "3月5号", "2027-03-05")]),
    ("星期天营业吗", [("date", "星期天", "2026-11-29")]),
    ("两融怎么开", [("business", "两融", "融资融券")]),
    ("科创板权限怎么开", [("business", "科创板权限", "科创板")]),
    ("三方存管怎么改", [("business", "三方存管", "银证转账")]),
    ("下周日去开户", [("date", "下周日", "2026-12-06"), ("business", "开户", "开户")]),
    ("查一下余额", []),
    ("一张卡", []),
    ("尾号1234的卡", []),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_entities(nlp: Language, text: str, expected: list) -> None:
    got = [(e["entity"], e["text"], e["value"]) for e in extract_entities(nlp, text, TODAY)]
    assert got == expected


def test_offsets_point_at_the_entity_text(nlp: Language) -> None:
    text = "下周一我要转两千块"
    for ent in extract_entities(nlp, text, TODAY):
        assert text[ent["start"]:ent["end"]] == ent["text"]


def test_pipeline_survives_save_and_load(nlp: Language, tmp_path: Path) -> None:
    nlp.to_disk(tmp_path / "spacy_zh")
    loaded = spacy.load(tmp_path / "spacy_zh")
    for text, expected in CASES:
        got = [(e["entity"], e["text"], e["value"]) for e in extract_entities(loaded, text, TODAY)]
        assert got == expected, text


def test_bad_business_terms_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "terms.yml"
    bad.write_text("开户: 不是列表\n", encoding="utf-8")
    with pytest.raises(ValueError, match=str(bad)):
        load_business_terms(str(bad))
