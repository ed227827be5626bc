"""Every fixed reply of the bot (domain.yml) and every KB answer passes the bridge's output word filter: a reply
containing 保本保收益 or 稳赚 would be replaced before the customer sees it, so the bot must never say one."""

from __future__ import annotations

from pathlib import Path

import yaml

from api.compliance.sensitive_words import SensitiveWords

ROOT = Path(__file__).resolve().parents[3]
WORDS = SensitiveWords.from_file(ROOT / "api" / "sensitive_words.yml")


def test_no_bot_response_is_blocked_by_the_output_word_filter() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    texts = [(name, v.get("text", "")) for name, variants in domain["responses"].items() for v in variants]
    assert len(texts) > 50
    blocked = {name: [h.term for h in WORDS.find(text, "output")] for name, text in texts if WORDS.find(text, "output")}
    assert not blocked


def test_no_kb_answer_is_blocked_by_the_output_word_filter() -> None:
    blocked, seen = [], 0
    for path in sorted((ROOT / "kb_index" / "faq").glob("*.yml")):
        for entry in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("entries") or []:
            seen += 1
            hits = WORDS.find(str(entry.get("answer") or ""), "output")
            if hits:
                blocked.append((path.name, entry.get("id"), [h.term for h in hits]))
    assert seen > 20
    assert not blocked


def test_the_filter_does_block_what_the_bot_must_never_say() -> None:
    assert WORDS.find("这款理财保本保收益，稳赚不赔", "output")
