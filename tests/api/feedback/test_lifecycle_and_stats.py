"""Feedback item states and SLA (api/feedback/lifecycle.py) and the period's figures (api/feedback/stats.py) on a
hand-computed fixture."""

from __future__ import annotations

import datetime as dt

import pytest

from api.feedback.lifecycle import TransitionRefused, due_at, is_overdue, next_status
from api.feedback.stats import FeedbackRow, feedback_stats

T0 = dt.datetime(2026, 11, 1, 9, 0)
H = dt.timedelta(hours=1)


@pytest.mark.parametrize("status, action, after", [
    ("open", "assign", "assigned"), ("assigned", "assign", "assigned"), ("open", "reply", "replied"),
    ("assigned", "reply", "replied"), ("replied", "reply", "replied"), ("replied", "close", "closed"),
])
def test_allowed_transitions(status: str, action: str, after: str) -> None:
    assert next_status(status, action) == after


@pytest.mark.parametrize("status, action, reason", [
    ("open", "close", "请先答复"), ("assigned", "close", "请先答复"), ("closed", "reply", "已关闭"),
    ("closed", "assign", "已关闭"), ("closed", "close", "已关闭"), ("replied", "assign", "已答复"),
])
def test_refused_transitions(status: str, action: str, reason: str) -> None:
    with pytest.raises(TransitionRefused, match=reason):
        next_status(status, action)


def test_sla_and_overdue() -> None:
    due = due_at(T0, 24)
    assert due == T0 + 24 * H
    assert not is_overdue("open", due, due)  # at the due time: not yet
    assert is_overdue("assigned", due, due + dt.timedelta(seconds=1))
    assert not is_overdue("closed", due, due + 100 * H)


def test_stats_on_a_hand_computed_fixture() -> None:
    rows = [
        # replied after 2 h, closed after 10 h, within its 24 h
        FeedbackRow(1, "费用", "运营部", "closed", T0, T0 + 24 * H, T0 + 2 * H, T0 + 10 * H, ("手续费", "扣费")),
        # replied after 4 h, closed after 30 h: closed late
        FeedbackRow(2, "费用", "运营部", "closed", T0, T0 + 24 * H, T0 + 4 * H, T0 + 30 * H, ("手续费",)),
        # open, due at T0 + 24 h: overdue at NOW
        FeedbackRow(3, "系统/App故障", "金融科技部", "open", T0, T0 + 24 * H, None, None, ("闪退", "闪退")),
        # replied after 9 h, not closed, due later: not overdue
        FeedbackRow(4, "系统/App故障", "金融科技部", "replied", T0, T0 + 72 * H, T0 + 9 * H, None, ("闪退",)),
    ]
    now = T0 + 48 * H
    stats = feedback_stats(rows, now, ["系统/App故障", "费用", "网点"], top=2)
    assert stats.total == 4
    assert [(v.category, v.total, v.open, v.overdue) for v in stats.by_category] == [
        ("系统/App故障", 2, 2, 1), ("费用", 2, 0, 0), ("网点", 0, 0, 0)]
    assert stats.by_status == {"open": 1, "assigned": 0, "replied": 1, "closed": 2}
    assert (stats.first_reply.count, stats.first_reply.mean_h, stats.first_reply.median_h) == (3, 5.0, 4.0)
    assert (stats.close.count, stats.close.mean_h, stats.close.median_h) == (2, 20.0, 20.0)
    assert stats.overdue_ids == [3] and stats.closed_late == 1
    # 闪退: items 3 and 4 (item 3 counts it once); 手续费: items 1 and 2; then 扣费 (1) is cut by top=2
    assert [(t.keyword, t.category, t.count) for t in stats.themes] == [("手续费", "费用", 2),
                                                                          ("闪退", "系统/App故障", 2)]


def test_stats_without_items() -> None:
    stats = feedback_stats([], T0, ["其他"])
    assert stats.total == 0 and stats.first_reply.mean_h is None and stats.themes == []
    assert [(v.category, v.total) for v in stats.by_category] == [("其他", 0)]
