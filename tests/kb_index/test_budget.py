"""Time-budgeted KB lookups (kb_index.budget): a deliberately slow encoder degrades to lexical suggestions or the
honest fallback within the budget, never to a direct answer, and never blocks the event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pytest

from kb_index.budget import BudgetedKb
from kb_index.entry import KbEntry
from kb_index.index import build
from kb_index.policy import Action, Thresholds
from kb_index.service import KbService, Lookup
from tests.kb_index.fakes import HashingEncoder

ENTRIES = [
    KbEntry("loss", "银行卡丢了怎么挂失", "请立即挂失。", similar=("卡丢了怎么办", "挂失银行卡")),
    KbEntry("limit", "手机银行转账限额是多少", "单笔限额5万元。", similar=("转账限额多少",)),
    KbEntry("hours", "网点几点营业", "工作日9:00-17:00。", similar=("营业时间",)),
]
BUDGET_MS = 80


class SlowEncoder(HashingEncoder):
    """The hashing encoder, taking ``delay`` seconds per query once switched on (or failing with ``error``)."""

    def __init__(self) -> None:
        super().__init__()
        self.delay = 0.0
        self.error: Exception | None = None
        self.calls = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if self.error is not None:
            raise self.error
        time.sleep(self.delay)
        return super().encode_queries(texts)


@pytest.fixture()
def slow(tmp_path: Path) -> tuple[KbService, SlowEncoder]:
    build(ENTRIES, HashingEncoder(), tmp_path)
    encoder = SlowEncoder()
    service = KbService(tmp_path, Thresholds(answer=0.95, suggest=0.5), lambda spec: encoder)
    assert service.reload_if_changed()
    return service, encoder


def budgeted(service: KbService, workers: int = 1, max_pending: int | None = None) -> BudgetedKb:
    kb = BudgetedKb(lambda: service, BUDGET_MS, workers, lexical_suggest=0.5, max_pending=max_pending)
    kb.warm()
    return kb


def test_an_encoder_within_budget_answers_as_usual(slow: tuple[KbService, SlowEncoder]) -> None:
    service, _ = slow
    result = budgeted(service).lookup_blocking("卡丢了怎么办")
    assert result.path == "dense" and result.lookup.decision.action is Action.ANSWER
    assert result.lookup.hits[0].entry.id == "loss"


def test_a_slow_encoder_degrades_to_lexical_suggestions_within_the_budget(
        slow: tuple[KbService, SlowEncoder]) -> None:
    service, encoder = slow
    encoder.delay = 1.0
    kb = budgeted(service)
    started = time.perf_counter()
    result = kb.lookup_blocking("卡丢了怎么挂失")
    waited = time.perf_counter() - started
    assert result.path == "lexical"
    assert waited < 2 * BUDGET_MS / 1000 + 0.1  # not the encoder's second
    decision = result.lookup.decision
    assert decision.action is Action.SUGGEST  # a lexical match is offered, never answered directly
    assert decision.suggestions[0].entry_id == "loss"
    assert result.lookup.version == service.version


def test_lexical_matches_below_their_threshold_get_the_honest_fallback(
        slow: tuple[KbService, SlowEncoder]) -> None:
    service, encoder = slow
    encoder.delay = 1.0
    result = budgeted(service).lookup_blocking("量子力学的基本原理")
    assert result.path == "lexical" and result.lookup.decision.action is Action.FALLBACK


def test_a_failing_encoder_degrades_like_a_slow_one(slow: tuple[KbService, SlowEncoder]) -> None:
    service, encoder = slow
    encoder.error = RuntimeError("engine crashed")
    result = budgeted(service).lookup_blocking("转账限额多少")
    assert result.path == "lexical" and result.lookup.hits[0].entry.id == "limit"


def test_a_full_queue_degrades_at_once_and_queued_work_is_bounded(slow: tuple[KbService, SlowEncoder]) -> None:
    service, encoder = slow
    encoder.delay = 0.5
    kb = budgeted(service, workers=1, max_pending=1)
    first = threading.Thread(target=kb.lookup_blocking, args=("营业时间",))
    first.start()
    time.sleep(0.02)  # the first lookup holds the only worker and the only pending slot
    calls = encoder.calls
    started = time.perf_counter()
    result = kb.lookup_blocking("网点几点营业")
    assert result.path == "lexical" and time.perf_counter() - started < BUDGET_MS / 1000
    assert encoder.calls == calls  # the second query never reached the encoder
    first.join()
    assert kb.counts["lexical"] == 2


def test_when_even_the_lexical_scorer_is_late_the_customer_gets_the_fallback(
        slow: tuple[KbService, SlowEncoder], monkeypatch: pytest.MonkeyPatch) -> None:
    service, encoder = slow
    encoder.delay = 1.0
    kb = budgeted(service)
    real = kb.lexical_lookup

    def late_lexical(*args: Any, **kwargs: Any) -> Lookup:
        time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(kb, "lexical_lookup", late_lexical)
    result = kb.lookup_blocking("卡丢了怎么挂失")
    assert result.path == "none" and result.lookup.decision.action is Action.FALLBACK
    assert result.lookup.hits == () and result.elapsed_ms < 2 * BUDGET_MS + 100


def test_the_event_loop_keeps_serving_while_the_encoder_runs(slow: tuple[KbService, SlowEncoder]) -> None:
    service, encoder = slow
    encoder.delay = 0.06  # under the budget: the lookup answers, but takes 60 ms of (simulated) CPU
    kb = budgeted(service)

    async def scenario() -> tuple[str, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        task = asyncio.create_task(ticker())
        result = await kb.lookup("卡丢了怎么办")
        task.cancel()
        return result.path, ticks

    path, ticks = asyncio.run(scenario())
    assert path == "dense"
    assert ticks >= 5  # other customers' coroutines ran during the 60 ms lookup


def test_the_async_lookup_degrades_too(slow: tuple[KbService, SlowEncoder]) -> None:
    service, encoder = slow
    encoder.delay = 1.0
    result = asyncio.run(budgeted(service).lookup("卡丢了怎么挂失"))
    assert result.path == "lexical" and result.lookup.decision.action is Action.SUGGEST


def test_the_lexical_scorer_follows_a_new_index_version(tmp_path: Path) -> None:
    build(ENTRIES[:1], HashingEncoder(), tmp_path)
    encoder = SlowEncoder()
    service = KbService(tmp_path, Thresholds(answer=0.95, suggest=0.5), lambda spec: encoder)
    service.reload_if_changed()
    kb = budgeted(service)
    assert kb.lexical_lookup("营业时间").decision.action is Action.FALLBACK
    build(ENTRIES, HashingEncoder(), tmp_path)
    assert service.reload_if_changed()
    assert kb.lexical_lookup("营业时间").hits[0].entry.id == "hours"


def test_bad_budgets_are_refused(slow: tuple[KbService, SlowEncoder]) -> None:
    service, _ = slow
    with pytest.raises(ValueError):
        BudgetedKb(lambda: service, 0)
    with pytest.raises(ValueError):
        BudgetedKb(lambda: service, 100, workers=0)
