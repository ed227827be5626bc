"""Sampling rules (oracle fixtures) and the checklist file: its loading, refusals naming the item, the score."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from api.quality.checklist import ChecklistError, Item, load_checklist, missing_items, parse_checklist, total_score
from api.quality.checks import CHECKS
from api.quality.sampling import Candidate, Rules, routine, sample, watched_agents

DAY = dt.date(2026, 12, 1)
BEFORE = DAY - dt.timedelta(days=3)
LONG_AGO = DAY - dt.timedelta(days=10)


def conv(cid: str, agent: int | None = None, day: dt.date = DAY, **facts: object) -> Candidate:
    return Candidate(cid, day, agent, **facts)  # type: ignore[arg-type]


HISTORY = [
    conv("old-complaint", 7, BEFORE, complaint=True),  # agent 7: one complaint 3 days ago
    conv("older-detractor", 8, LONG_AGO, nps=2),  # agent 8: outside a 7-day window
    conv("passive", 9, BEFORE, nps=7),  # 7 is passive, not a detractor
    conv("csat", 10, BEFORE, csat="不满意"),
]


def test_agents_with_complaints_or_low_scores_in_the_window_are_watched() -> None:
    rules = Rules(lookback_days=7)
    assert watched_agents(HISTORY, {}, DAY, rules) == {7, 10}
    assert watched_agents(HISTORY, {}, DAY, Rules(lookback_days=11)) == {7, 8, 10}
    assert watched_agents(HISTORY, {}, DAY, Rules(complaints_threshold=2)) == set()
    assert watched_agents([], {11: [70.0, 85.0], 12: [80.0], 13: []}, DAY, rules) == {11}  # 77.5 < 80 <= 80


def test_targeted_picks_carry_every_reason_and_come_before_routine_ones() -> None:
    today = [conv("a-detractor", 1, nps=6), conv("a-csat", 2, csat="不满意", flagged=True),
             conv("bot-flag", None, flagged=True), conv("a-watched", 7), conv("bot-topic", topics=frozenset({"理财"})),
             conv("a-plain", 3), conv("bot-plain"), conv("yesterday", 7, BEFORE, nps=0), conv("queued", 7, nps=0)]
    rules = Rules(routine_agent=0, routine_bot=0, topics=frozenset({"理财"}))
    picks = sample(today, rules, DAY, watched={7}, already={"queued"})
    assert [(p.conversation_id, p.target, p.reasons) for p in picks] == [
        ("a-detractor", "agent", ("dissatisfied",)), ("a-csat", "agent", ("dissatisfied", "flagged")),
        ("bot-flag", "bot", ("flagged",)), ("a-watched", "agent", ("agent_watch",)), ("bot-topic", "bot", ("topic",))]
    off = Rules(routine_agent=0, routine_bot=0, dissatisfied=False, flagged=False, watch_agents=False)
    assert sample(today, off, DAY, watched={7}, already=set()) == []


def test_the_routine_sample_is_per_target_and_reproducible_for_a_day() -> None:
    today = [conv(f"a{n}", 1) for n in range(10)] + [conv(f"b{n}") for n in range(4)]
    first = sample(today, Rules(routine_agent=3, routine_bot=10), DAY, set(), set())
    assert [p.reasons for p in first] == [("routine_agent",)] * 3 + [("routine_bot",)] * 4  # only 4 bot-only
    assert {p.conversation_id for p in first if p.target == "bot"} == {"b0", "b1", "b2", "b3"}
    assert sample(today, Rules(routine_agent=3, routine_bot=10), DAY, set(), set()) == first
    assert routine(today, "agent", 3, DAY + dt.timedelta(days=1)) == []  # only that day's conversations
    queued = {p.conversation_id for p in first}
    assert sample(today, Rules(routine_agent=3, routine_bot=10), DAY, set(), queued) == []  # a rerun adds nothing
    more = sample(today, Rules(routine_agent=5, routine_bot=0), DAY, set(), queued)  # a larger sample adds to it
    assert len(more) == 2 and not {p.conversation_id for p in more} & queued
    assert set(routine(today, "agent", 3, DAY)) < set(routine(today, "agent", 5, DAY))
    flagged = [conv("f", 1, flagged=True), conv("g", 1)]
    both = sample(flagged, Rules(routine_agent=2, routine_bot=0), DAY, set(), set())
    assert {p.conversation_id: p.reasons for p in both} == {"f": ("flagged", "routine_agent"), "g": ("routine_agent",)}


def test_the_shipped_checklist_loads_with_known_checks_and_both_targets() -> None:
    checklist = load_checklist()
    assert int(checklist.version) >= 1
    assert {i.check for i in checklist.items if i.check} == set(CHECKS)
    assert any(not i.automatic for i in checklist.for_target("agent"))
    assert any(not i.automatic for i in checklist.for_target("bot"))
    assert "greeting" not in {i.id for i in checklist.for_target("bot")}


@pytest.mark.parametrize(("text", "problem"), [
    ("items: []", "expected 'version'"),
    ("version: 1\nitems:\n  - {id: a, title: A, weight: 0, applies_to: [agent]}", "item a: weight"),
    ("version: 1\nitems:\n  - {id: a, title: A, weight: 1, applies_to: [boss]}", "item a: applies_to"),
    ("version: 1\nitems:\n  - {id: a, title: A, weight: 1, applies_to: [bot], check: magic}", "unknown check"),
    ("version: 1\nitems:\n  - {id: a, title: A, weight: 1, applies_to: [bot]}\n"
     "  - {id: a, title: B, weight: 1, applies_to: [bot]}", "item a: duplicate"),
    ("version: 1\nitems: [{title: A}]", "item 1 needs an id"),
])
def test_a_bad_checklist_is_refused_naming_file_and_item(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "checklist.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ChecklistError, match=problem) as caught:
        load_checklist(path)
    assert str(path) in str(caught.value)


def test_a_broken_checklist_stops_the_bridge_naming_the_file(tmp_path: Path) -> None:
    from api.app import BridgeStartupError, create_app
    from api.settings import Settings
    from tests.api.conftest import ScriptedRasa

    bad = tmp_path / "checklist.yml"
    bad.write_text("version: 1\nitems:\n  - {id: a, title: A, weight: 1, applies_to: [bot], check: magic}\n",
                   encoding="utf-8")
    with pytest.raises(BridgeStartupError, match="unknown check 'magic'") as caught:
        create_app(Settings(data_dir=tmp_path, kb_suggestions=False, quality_checklist_file=bad),
                   ScriptedRasa())  # type: ignore[arg-type]
    assert str(bad) in str(caught.value)


def test_the_total_is_the_weighted_share_of_items_met() -> None:
    items = [Item("a", "A", 10, ("agent",)), Item("b", "B", 30, ("agent",)), Item("c", "C", 60, ("agent",))]
    assert total_score(items, {"a": 1, "b": 0, "c": 0.5}) == 40.0  # (10 + 0 + 30) / 100
    assert total_score(items[:2], {"a": 1, "b": 0}) == 25.0  # weights normalised over the items that apply
    assert total_score(items, {"a": 1, "b": 1}) is None and missing_items(items, {"a": 1, "b": None}) == ["b", "c"]
    assert parse_checklist({"version": 2, "items": []}, "x", []).items == ()
