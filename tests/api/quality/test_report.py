"""The quality report's arithmetic on a hand-computed fixture."""

from __future__ import annotations

import datetime as dt

from api.quality.report import Marked, Scored, agent_scores, most_failed, week, wrong_answers

MON = dt.datetime(2026, 11, 30, 10)  # ISO week 2026-W49
NEXT_MON = MON + dt.timedelta(days=7)
TITLES = {"a": "问候", "b": "准确", "c": "态度"}


def scored(agent: str | None, at: dt.datetime, total: float, **scores: float | None) -> Scored:
    return Scored(agent, agent and f"坐席{agent}", at, total, TITLES, scores)


REVIEWS = [
    scored("wang", MON, 80, a=1, b=0, c=0.5),
    scored("wang", MON + dt.timedelta(days=6), 90, a=1, b=0, c=1),  # Sunday: still W49
    scored("wang", NEXT_MON, 70, a=0, b=1, c=None),
    scored("li", MON, 100, a=1, b=1, c=1),
    scored(None, MON, 50, b=0),  # a bot review: in the items, not in the agents' scores
]


def test_scores_by_agent_and_week() -> None:
    assert week(MON) == "2026-W49" and week(NEXT_MON) == "2026-W50"
    assert [(s.agent, s.period, s.reviews, s.average) for s in agent_scores(REVIEWS)] == [
        ("li", "2026-W49", 1, 100.0), ("wang", "2026-W49", 2, 85.0), ("wang", "2026-W50", 1, 70.0)]


def test_most_failed_items_count_scores_below_full_marks() -> None:
    # b: failed 3 of 5; a: 1 of 4; c: 1 of 3 (None is not scored) -> c before a on the larger share
    assert [(f.id, f.title, f.failed, f.scored) for f in most_failed(REVIEWS)] == [
        ("b", "准确", 3, 5), ("c", "态度", 1, 3), ("a", "问候", 1, 4)]
    assert most_failed(REVIEWS, limit=1)[0].id == "b"


def test_wrong_answers_group_by_kb_entry_else_by_text() -> None:
    marked = [Marked("kb-1", "答案一", "c1"), Marked(None, "意图答复", "c2"), Marked("kb-1", "答案一（旧）", "c3"),
              Marked(None, "意图答复", "c4"), Marked(None, "另一答复", "c5"), Marked("kb-2", "答案二", "c6")]
    assert [(w.kb_entry, w.text, w.count, w.conversation_id) for w in wrong_answers(marked)] == [
        (None, "意图答复", 2, "c2"), ("kb-1", "答案一", 2, "c1"), (None, "另一答复", 1, "c5"),
        ("kb-2", "答案二", 1, "c6")]
