"""action_kb_arbitrate against a real (small) index: a KB answer the KB's policy would give wins over a weak
intent (rendered as the KB fallback renders it, feedback asked, the verdict recorded); otherwise the action
reverts itself so the intent's usual rules answer."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.kb_fallback as kb_fallback
from actions.arbitrate import ActionKbArbitrate
from kb_index.index import build
from kb_index.policy import Thresholds
from kb_index.service import KbService
from tests.actions.test_kb_fallback import ENTRIES
from tests.actions.trackers import INSTITUTION
from tests.kb_index.fakes import HashingEncoder


@pytest.fixture()
def kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KbService]:
    build(ENTRIES, HashingEncoder(), tmp_path / "kb")
    service = KbService(tmp_path / "kb", Thresholds(answer=0.95, suggest=0.6), lambda spec: HashingEncoder())
    service.reload_if_changed()
    monkeypatch.setattr(kb_fallback, "kb_service", lambda: service)
    yield service


def tracker(text: str, intent: str, confidence: float) -> Tracker:
    parse = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
    return Tracker("conv-arb", dict(INSTITUTION), parse, [{"event": "user", "text": text, "parse_data": parse}],
                   False, None, {}, "action_listen")


def run(t: Tracker) -> tuple[list[Dict[str, Any]], list[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionKbArbitrate().run(dispatcher, t, {}))
    return events, dispatcher.messages


def test_a_kb_answer_beats_a_weak_intent(kb: KbService) -> None:
    events, messages = run(tracker("卡丢了怎么办", "account_open_materials", 0.24))
    assert messages[0]["text"] == f"请立即通过{INSTITUTION['app_name']}或{INSTITUTION['hotline']}挂失。"
    assert messages[1]["response"] == "utter_kb_ask_feedback"
    verdict = messages[2]["custom"]["kb"]["arbitration"]
    assert verdict["winner"] == "kb" and verdict["intent"] == "account_open_materials"
    assert messages[2]["custom"]["kb"]["action"] == "answer"
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["kb_last_entry"] == "card-loss"
    assert not [e for e in events if e["event"] == "undo"]


def test_without_a_kb_answer_the_intent_keeps_the_turn(kb: KbService) -> None:
    events, messages = run(tracker("我想开个户要带什么", "account_open_materials", 0.41))
    assert messages == []
    assert events == [{"event": "undo", "timestamp": None}]
