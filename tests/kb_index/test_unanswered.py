"""The unanswered-questions store keeps masked text only."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb_index.normalize import normalise_query
from kb_index.unanswered import UnansweredStore


def test_records_are_masked_listed_newest_first_and_closed(tmp_path: Path) -> None:
    store = UnansweredStore(tmp_path / "kb" / "unanswered.db")
    first = store.record("fallback", "我的卡号6222020200112233446丢了，手机13812345678", conversation="c1",
                         intent="nlu_fallback", confidence=0.12)
    second = store.record("negative_feedback", "ＡＴＭ吞卡怎么办", best_entry="card-9", best_score=0.91)
    rows = store.recent()
    assert [r.id for r in rows] == [second, first]
    raw = (tmp_path / "kb" / "unanswered.db").read_bytes() + b"".join(
        p.read_bytes() for p in (tmp_path / "kb").glob("unanswered.db-*"))
    assert b"6222020200112233446" not in raw and b"13812345678" not in raw
    assert "3446" in rows[1].text and rows[1].conversation == "c1" and rows[1].intent == "nlu_fallback"
    assert rows[0].text == "ＡＴＭ吞卡怎么办" and rows[0].normalised == normalise_query("ＡＴＭ吞卡怎么办")
    assert store.set_status([first], "dismissed") == 1
    assert [r.id for r in store.recent()] == [second]
    assert [r.id for r in store.recent("dismissed")] == [first]


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="kind"):
        UnansweredStore(tmp_path / "u.db").record("whatever", "text")
