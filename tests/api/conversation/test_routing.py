"""Queue routing (pure functions): FIFO within a group, skills, capacity, least-loaded first, 通用 fallback."""

from __future__ import annotations

import datetime as dt

from api.conversation.routing import (
    AgentSlot,
    Waiting,
    dispatch,
    estimated_wait_s,
    queue_positions,
    skill_group_for,
)

T0 = dt.datetime(2026, 1, 1, 9, 0)


def waiting(*items: tuple[str, str, int]) -> list[Waiting]:
    return [Waiting(i, g, T0 + dt.timedelta(seconds=s)) for i, g, s in items]


def test_fifo_within_capacity() -> None:
    agents = [AgentSlot(1, ("通用",), capacity=2, load=0, online=True)]
    queue = waiting(("c", "通用", 3), ("a", "通用", 1), ("b", "通用", 2))
    assert dispatch(queue, agents) == [("a", 1), ("b", 1)]


def test_offline_or_full_agents_get_nothing() -> None:
    agents = [AgentSlot(1, ("通用",), 2, 2, True), AgentSlot(2, ("通用",), 3, 0, False)]
    assert dispatch(waiting(("a", "通用", 1)), agents) == []


def test_least_loaded_agent_first_then_longest_idle() -> None:
    agents = [AgentSlot(1, ("通用",), 4, 0, True, last_assigned_at=T0 - dt.timedelta(hours=1)),
              AgentSlot(2, ("通用",), 4, 1, True, last_assigned_at=T0 + dt.timedelta(seconds=60)),
              AgentSlot(3, ("通用",), 4, 1, True, last_assigned_at=T0)]
    queue = waiting(("a", "通用", 1), ("b", "通用", 2), ("c", "通用", 3))
    assert dispatch(queue, agents) == [("a", 1), ("b", 3), ("c", 2)]


def test_skill_groups_route_to_skilled_agents_and_fall_back_to_general() -> None:
    agents = [AgentSlot(1, ("信用卡",), 1, 0, True), AgentSlot(2, ("通用",), 5, 0, True)]
    queue = waiting(("card1", "信用卡", 1), ("card2", "信用卡", 2), ("fund", "理财", 3), ("x", "通用", 4))
    got = dict(dispatch(queue, agents))
    assert got["card1"] == 1 and "card2" not in got  # waits for the 信用卡 agent, who is on duty but full
    assert got["fund"] == 2 and got["x"] == 2  # nobody has 理财: 通用 agents take it


def test_queue_positions_are_per_group_and_estimates_scale_with_capacity() -> None:
    queue = waiting(("a", "通用", 1), ("b", "信用卡", 2), ("c", "通用", 3))
    assert queue_positions(queue) == {"a": 1, "b": 1, "c": 2}
    assert estimated_wait_s(1, 2, 100) == 100 and estimated_wait_s(3, 2, 100) == 200
    assert estimated_wait_s(2, 0, 60) == 120


def test_skill_group_from_intent_and_slots() -> None:
    assert skill_group_for("credit_card_overdue") == "信用卡"
    assert skill_group_for("fund_purchase_redeem") == "理财"
    assert skill_group_for("margin_trading") == "证券"
    assert skill_group_for("human_handoff", {"card_type": "信用卡"}) == "信用卡"
    assert skill_group_for(None) == "通用"


def test_unanswered_grouping_counts_near_duplicates_once() -> None:
    from api.workbench.unanswered_groups import Question, group_questions

    qs = [Question(1, "积存金怎么买", "fallback", "2026-01-01T00:00:01"),
          Question(2, "外汇怎么换", "fallback", "2026-01-01T00:00:02"),
          Question(3, "积存金怎么买？", "suggest", "2026-01-01T00:00:03"),
          Question(4, "积存金怎么购买", "negative_feedback", "2026-01-01T00:00:04")]
    groups = group_questions(qs)
    assert [(g.text, g.ids) for g in groups] == [("积存金怎么买", [1, 3, 4]), ("外汇怎么换", [2])]
    assert groups[0].kinds == {"fallback": 1, "suggest": 1, "negative_feedback": 1}
    assert groups[0].last_seen == "2026-01-01T00:00:04"
