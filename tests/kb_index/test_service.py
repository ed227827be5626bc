"""The KB service: answer policy over the loaded index, filters, and hot swap under concurrent queries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from pathlib import Path

import pytest

from kb_index.entry import KbEntry
from kb_index.index import build, current_version
from kb_index.policy import Action, Thresholds
from kb_index.service import KbService
from tests.kb_index.fakes import HashingEncoder

ENTRIES = [
    KbEntry("loss", "银行卡丢了怎么挂失", "请立即通过手机银行挂失。v1", similar=("卡丢了怎么办", "挂失银行卡")),
    KbEntry("limit", "手机银行转账限额是多少", "手机银行单笔限额5万元。v1", similar=("转账限额多少",)),
    KbEntry("hours", "网点几点营业", "工作日9:00-17:00。v1", similar=("营业时间",)),
]
THRESHOLDS = Thresholds(answer=0.95, suggest=0.5)


def service_for(kb_dir: Path) -> KbService:
    return KbService(kb_dir, THRESHOLDS, encoder_factory=lambda spec: HashingEncoder())


def test_exact_question_is_answered_and_unknown_text_falls_back(tmp_path: Path) -> None:
    build(ENTRIES, HashingEncoder(), tmp_path)
    service = service_for(tmp_path)
    assert service.reload_if_changed()
    found = service.lookup("卡丢了怎么办")
    assert found.decision.action is Action.ANSWER
    assert found.hits[0].entry.id == "loss" and found.hits[0].matched_question == "卡丢了怎么办"
    assert service.lookup("量子力学").decision.action is Action.FALLBACK
    assert service.lookup("   ").decision.action is Action.FALLBACK


def test_suggestions_are_at_most_three_distinct_entries(tmp_path: Path) -> None:
    build(ENTRIES, HashingEncoder(), tmp_path)
    service = KbService(tmp_path, Thresholds(answer=0.999, suggest=0.0), lambda spec: HashingEncoder())
    service.reload_if_changed()
    decision = service.lookup("手机银行转账").decision
    assert decision.action is Action.SUGGEST
    ids = [s.entry_id for s in decision.suggestions]
    assert ids[0] == "limit" and len(ids) == len(set(ids)) <= 3


def test_retired_and_other_channel_entries_are_not_served(tmp_path: Path) -> None:
    retired = dataclasses.replace(ENTRIES[0], valid_until=dt.date(2020, 1, 1))
    app_only = dataclasses.replace(ENTRIES[1], channels=("app",))
    build([retired, app_only, ENTRIES[2]], HashingEncoder(), tmp_path)
    service = service_for(tmp_path)
    service.reload_if_changed()
    assert all(h.entry.id != "loss" for h in service.lookup("卡丢了怎么办").hits)
    assert service.lookup("转账限额多少", channel="web").hits[0].entry.id != "limit"
    assert service.lookup("转账限额多少", channel="app").hits[0].entry.id == "limit"
    assert service.lookup("卡丢了怎么办", today=dt.date(2019, 6, 1)).hits[0].entry.id == "loss"


def test_without_an_index_every_lookup_falls_back_and_the_error_names_the_file(tmp_path: Path) -> None:
    service = service_for(tmp_path)
    assert not service.reload_if_changed()
    assert service.version is None and service.last_error and str(tmp_path / "current") in service.last_error
    assert service.lookup("卡丢了怎么办").decision.action is Action.FALLBACK


def test_a_corrupt_new_version_is_refused_and_the_old_one_keeps_serving(tmp_path: Path) -> None:
    build(ENTRIES, HashingEncoder(), tmp_path)
    service = service_for(tmp_path)
    service.reload_if_changed()
    old = service.version
    build([dataclasses.replace(e, answer=e.answer.replace("v1", "v2")) for e in ENTRIES], HashingEncoder(), tmp_path)
    (tmp_path / "versions" / current_version(tmp_path) / "index.faiss").write_bytes(b"garbage")
    assert not service.reload_if_changed()
    assert service.version == old and service.last_error and "index.faiss" in service.last_error
    assert service.lookup("卡丢了怎么办").hits[0].entry.answer.endswith("v1")


def test_hot_swap_under_concurrent_queries_never_fails_or_mixes_versions(tmp_path: Path) -> None:
    build(ENTRIES, HashingEncoder(), tmp_path)
    service = service_for(tmp_path)
    service.reload_if_changed()
    service.start_watching(interval_s=0.02)
    answers: dict[int, list[str]] = {}
    errors: list[BaseException] = []
    stop = threading.Event()

    def ask(worker: int) -> None:
        seen = answers.setdefault(worker, [])
        while not stop.is_set():
            try:
                found = service.lookup("卡丢了怎么办")
                tags = {h.entry.answer[-2:] for h in found.hits}
                assert len(tags) == 1, f"one lookup saw two versions: {tags}"
                seen.append(found.hits[0].entry.answer[-2:])
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
                errors.append(exc)

    workers = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for worker in workers:
        worker.start()
    try:
        for version in ("v2", "v3"):
            build([dataclasses.replace(e, answer=e.answer.replace("v1", version)) for e in ENTRIES],
                  HashingEncoder(), tmp_path)
            deadline = threading.Event()
            for _ in range(200):
                if service.lookup("卡丢了怎么办").hits[0].entry.answer.endswith(version):
                    break
                deadline.wait(0.02)
        for _ in range(200):  # let every worker ask at least once after the last swap
            if all(seen and seen[-1] == "v3" for seen in answers.values()):
                break
            threading.Event().wait(0.01)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
        service.stop_watching()
    assert not errors, errors[:3]
    for seen in answers.values():  # each worker moves forward through the versions and never back
        assert seen[0] == "v1" and seen[-1] == "v3"
        assert seen == sorted(seen)


@pytest.mark.parametrize("dims", [32])
def test_an_encoder_of_other_dimensions_is_refused(tmp_path: Path, dims: int) -> None:
    build(ENTRIES, HashingEncoder(), tmp_path)

    class Narrow(HashingEncoder):
        dim = dims

    service = KbService(tmp_path, THRESHOLDS, lambda spec: Narrow())
    assert not service.reload_if_changed()
    assert service.last_error and "dims" in service.last_error
