"""The KB fallback action under a slow encoder: the customer gets lexical suggestions (or the honest apology)
within the time budget instead of waiting for the encoder, the agent's context says the lookup was degraded,
and the miss is recorded for trainers like any other."""

from __future__ import annotations

import asyncio
import time
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import pytest

import actions.kb_fallback as kb_fallback
from actions.kb_fallback import ActionKbFallback
from kb_index.budget import BudgetedKb
from kb_index.index import build
from kb_index.policy import Thresholds
from kb_index.service import KbService
from kb_index.unanswered import UnansweredStore
from tests.actions.test_kb_fallback import ENTRIES, run, tracker
from tests.kb_index.fakes import HashingEncoder

BUDGET_MS = 60


class StalledEncoder(HashingEncoder):
    """Answers the load-time warm-up, then takes a second per query (a node whose cores are taken)."""

    def __init__(self) -> None:
        super().__init__()
        self.delay = 0.0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(self.delay)
        return super().encode_queries(texts)


@pytest.fixture()
def stalled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UnansweredStore]:
    build(ENTRIES, HashingEncoder(), tmp_path / "kb")
    encoder = StalledEncoder()
    service = KbService(tmp_path / "kb", Thresholds(answer=0.95, suggest=0.6), lambda spec: encoder)
    service.reload_if_changed()
    encoder.delay = 1.0
    budgeted = BudgetedKb(lambda: service, BUDGET_MS, lexical_suggest=0.5)
    budgeted.warm()  # as kb_fallback.budgeted_kb() does: the lexical scorer is fitted before it is needed
    unanswered = UnansweredStore(tmp_path / "kb" / "unanswered.db")
    monkeypatch.setattr(kb_fallback, "kb_service", lambda: service)
    monkeypatch.setattr(kb_fallback, "budgeted_kb", lambda: budgeted)
    monkeypatch.setattr(kb_fallback, "unanswered_store", lambda: unanswered)
    yield unanswered
    budgeted.close()


def test_a_stalled_encoder_gets_lexical_suggestions_in_time(stalled: UnansweredStore) -> None:
    started = time.perf_counter()
    slots, messages = run(ActionKbFallback(), tracker([("银行卡丢了怎么挂失呢", "nlu_fallback")]))
    assert time.perf_counter() - started < 0.5  # not the encoder's second
    assert messages[0]["response"] == "utter_kb_did_you_mean"  # offered, not answered: lexical scores decide less
    assert '/kb_select{"kb_entry":"card-loss"}' in [b["payload"] for b in messages[0]["buttons"]]
    context = messages[-1]["custom"]["kb"]
    assert context["degraded"] == "lexical" and context["action"] == "suggest"
    assert BUDGET_MS <= context["lookup_ms"] < 500  # waited the budget, then the lexical scorer answered
    assert slots["kb_suggestions"][0] == "card-loss"
    assert [r.kind for r in stalled.recent()] == ["suggest"]


def test_a_stalled_encoder_and_no_lexical_match_get_the_honest_apology(stalled: UnansweredStore) -> None:
    _, messages = run(ActionKbFallback(), tracker([("量子纠缠是什么", "nlu_fallback")]))
    assert messages[0]["response"] == "utter_default"
    assert messages[-1]["custom"]["kb"]["degraded"] == "lexical"
    assert [r.kind for r in stalled.recent()] == ["fallback"]


def test_the_first_load_runs_on_a_thread_once_while_other_customers_are_served(
        monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[int] = []

    @lru_cache(maxsize=1)  # as kb_fallback.budgeted_kb is
    def slow_load() -> object:
        loads.append(1)
        time.sleep(0.2)  # an index and its encoder loading
        return "the pool"

    monkeypatch.setattr(kb_fallback, "budgeted_kb", slow_load)

    async def scenario() -> tuple[list[object], int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        pools = await asyncio.gather(kb_fallback.loaded_kb(), kb_fallback.loaded_kb())
        task.cancel()
        return list(pools), ticks

    pools, ticks = asyncio.run(scenario())
    assert pools == ["the pool", "the pool"]
    assert ticks >= 5  # the event loop kept running during the 0.2 s of loading
    assert loads == [1]  # two customers at once, one load
