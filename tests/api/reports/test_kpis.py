"""Every KPI against a hand-computed fixture (fixture_facts.py: each number below is worked out there), the
percentile and the change against an independent reading of their definitions, slices, the drill-down counting
exactly what the KPI counts, and the report's period before."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from api.reports.facts import Facts, Filters
from api.reports.kpis import (
    KPI_DEFS,
    KPI_KEYS,
    KpiValues,
    Rules,
    change,
    compute,
    handoffs_by_reason,
    nps_distribution,
    percentile,
)
from api.reports.periods import DateRange
from api.reports.report import DRILLS, build_report, drill_down
from tests.api.reports.fixture_facts import DAY, day_facts, with_neighbours

RULES = Rules(connect_within_s=60, callback_sla_s=24 * 3600)

EXPECTED = {
    "conversations": 4, "messages": 10, "bot_self_service_rate": 50.0,
    "kb_lookups": 5, "kb_answer_rate": 60.0, "kb_suggest_rate": 20.0, "kb_fallback_rate": 20.0,
    "handoff_requests": 4, "out_of_hours_requests": 1,
    "connect_rate": 33.33,  # 1 of the 3 in-hours requests accepted within 60 s
    "avg_wait_s": 60.0, "p90_wait_s": 90.0,  # waits 30 and 90; nearest rank ceil(0.9 * 2) = 2
    "abandon_rate": 33.33, "avg_handle_s": 210.0,
    "leave_messages": 3, "callback_sla_rate": 33.33,
    "csat_answers": 5, "satisfaction_rate": 60.0, "nps": 25.0, "nps_answers": 4,
    "complaints": 1, "complaint_rate": 25.0, "sensitive_hits": 2,
}


def test_every_kpi_on_the_hand_computed_day() -> None:
    values = compute(day_facts(), RULES).as_dict()
    assert set(values) == set(KPI_KEYS) == set(EXPECTED)
    assert values == EXPECTED


def test_the_time_limits_are_configurable() -> None:
    values = compute(day_facts(), Rules(connect_within_s=90, callback_sla_s=31 * 3600))
    assert values.connect_rate == 66.67  # 30 s and 90 s now both count
    assert values.callback_sla_rate == 66.67  # 1 h and 30 h


def test_nothing_to_rate_is_none_never_zero() -> None:
    values = compute(Facts(), RULES)
    counts = {d.key for d in KPI_DEFS if d.unit == "count"}
    assert all(values.as_dict()[k] == 0 for k in counts)
    assert all(values.as_dict()[k] is None for k in set(KPI_KEYS) - counts)


def test_reasons_and_nps_distribution() -> None:
    facts = day_facts()
    assert handoffs_by_reason(facts) == {"customer_request": 3, "kb_fallback": 1}
    assert nps_distribution(facts) == [0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1]


@pytest.mark.parametrize(("values", "q", "expected"), [
    ([], 90, None), ([5.0], 90, 5.0), ([30.0, 90.0], 90, 90.0), ([30.0, 90.0], 50, 30.0),
    ([float(v) for v in range(1, 11)], 90, 9.0), ([float(v) for v in range(1, 12)], 90, 10.0),
])
def test_percentile_nearest_rank(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected


def test_percentile_against_its_definition_on_random_values() -> None:
    rng = random.Random(3)
    for _ in range(300):
        values = [round(rng.uniform(0, 600), 1) for _ in range(rng.randint(1, 40))]
        p = percentile(values, 90)
        assert p is not None
        at_or_below = sum(v <= p for v in values)
        assert at_or_below >= math.ceil(0.9 * len(values))  # at least 90 % at or below it
        assert sum(v < p for v in values) < math.ceil(0.9 * len(values))  # and it is the smallest such value


def test_change_is_current_minus_previous_and_none_without_both() -> None:
    now = compute(day_facts(), RULES)
    before = compute(Facts(), RULES)
    delta = change(now, before)
    assert delta["conversations"] == 4.0 and delta["handoff_requests"] == 4.0
    assert delta["nps"] is None and delta["connect_rate"] is None
    same = change(now, now)
    assert all(v == 0 for v in same.values())
    assert isinstance(now, KpiValues)


def test_filters_slice_every_kind_of_fact() -> None:
    alice = day_facts().where(Filters(agent="alice").accepts)
    values = compute(alice, RULES)
    assert values.conversations == 1 and values.messages == 6 and values.handoff_requests == 1
    assert values.nps_answers == 2 and values.nps == 50.0  # 10 and 8: one promoter, one passive
    app = compute(day_facts().where(Filters(channel="app").accepts), RULES)
    assert app.conversations == 2 and app.complaints == 1 and app.complaint_rate == 50.0


def test_report_compares_with_the_day_before_and_slices() -> None:
    report = build_report(with_neighbours(), DateRange(DAY, DAY), "day", Filters(), RULES)
    assert (report.previous_start, report.previous_end) == ("2026-11-01", "2026-11-01")
    assert report.current.conversations == 4 and report.previous.conversations == 1
    assert report.change["conversations"] == 3.0
    assert [p.bucket for p in report.series] == ["2026-11-02"]
    assert report.series[0].kpis == report.current
    by_channel = {s.key: s.kpis.conversations for s in report.by_channel}
    assert by_channel == {"web": 2, "app": 2}
    assert sum(s.kpis.handoff_requests for s in report.by_skill_group) == report.current.handoff_requests
    assert report.nps_distribution.promoters == 2 and report.nps_distribution.detractors == 1
    assert set(report.options.channels) == {"web", "app"}


def test_a_week_report_trends_by_day_and_compares_with_the_week_before() -> None:
    week = DateRange(DAY, DAY.replace(day=8))
    report = build_report(with_neighbours(), week, "day", Filters(), RULES)
    assert (report.previous_start, report.previous_end) == ("2026-10-26", "2026-11-01")
    assert len(report.series) == 7 and sum(p.kpis.conversations for p in report.series) == 5
    assert report.previous.conversations == 1


@pytest.mark.parametrize(("kpi", "count", "conversations"), [
    ("conversations", 4, ["c1", "c2", "c3", "c4"]),
    ("bot_self_service", 2, ["c1", "c4"]),
    ("messages", 10, ["c1", "c2"]),
    ("kb_fallback", 1, ["c2"]),
    ("handoff_requests", 4, ["c2", "c3", "c5", "c6"]),
    ("connected", 1, ["c2"]),
    ("not_connected", 2, ["c3", "c5"]),
    ("abandoned", 1, ["c5"]),
    ("out_of_hours_requests", 1, ["c6"]),
    ("leave_late", 2, ["c6", "c7"]),
    ("dissatisfied", 1, ["c8"]),
    ("detractors", 1, ["c8"]),
    ("promoters", 2, ["c2", "c3"]),
    ("complaints", 1, ["c3"]),
    ("sensitive_hits", 2, ["c1", "c2"]),
])
def test_drill_down_lists_what_the_kpi_counts(kpi: str, count: int, conversations: list[str]) -> None:
    drill = drill_down(with_neighbours(), kpi, DateRange(DAY, DAY), Filters(), RULES)
    assert drill.count == count
    assert [c.conversation_id for c in drill.conversations] == conversations  # oldest first


def test_drill_down_by_reason_and_filter() -> None:
    drill = drill_down(day_facts(), "handoff_requests", DateRange(DAY, DAY), Filters(channel="web"), RULES,
                       reason="customer_request")
    assert [c.conversation_id for c in drill.conversations] == ["c2", "c5", "c6"]
    assert "customer_request" in drill.conversations[0].detail and "30" in drill.conversations[0].detail


def test_every_count_kpi_has_a_drill_down_with_the_same_count() -> None:
    facts, r = day_facts(), DateRange(DAY, DAY)
    values = compute(facts, RULES).as_dict()
    same = {"conversations": "conversations", "messages": "messages", "kb_lookups": "kb_lookups",
            "handoff_requests": "handoff_requests", "out_of_hours_requests": "out_of_hours_requests",
            "leave_messages": "leave_messages", "csat_answers": "csat_answers", "nps_answers": "nps_answers",
            "complaints": "complaints", "sensitive_hits": "sensitive_hits"}
    assert set(same) == {d.key for d in KPI_DEFS if d.unit == "count"}
    for key, drill in same.items():
        assert drill in DRILLS
        assert drill_down(facts, drill, r, Filters(), RULES).count == values[key], key


def test_trend_and_slices_match_a_naive_recount_on_random_facts() -> None:
    """The report groups facts in one pass; recomputing each bucket and slice from scratch gives the same."""
    from api.reports.facts import ConversationFact, Dims, HandoffFact, SurveyFact
    from api.reports.periods import buckets
    from api.reports.report import kpi_set, local_bounds

    rng = random.Random(11)
    start = DAY.replace(day=1)
    facts = Facts()
    for i in range(400):
        at = dt.datetime.combine(start, dt.time()) + dt.timedelta(minutes=rng.randrange(60 * 24 * 61))
        dims = Dims(rng.choice(["web", "app"]), rng.choice(["信用卡", "通用"]), rng.choice(["alice", "bob"]))
        facts.conversations.append(ConversationFact(f"c{i}", at, dims, handoff_requested=rng.random() < 0.3))
        if rng.random() < 0.3:
            facts.handoffs.append(HandoffFact(f"c{i}", at, dims, wait_s=rng.uniform(0, 120), outcome="served"))
        if rng.random() < 0.2:
            facts.surveys.append(SurveyFact(f"c{i}", at, dims, nps=rng.randint(0, 10), csat="满意"))
    r = DateRange(start + dt.timedelta(days=20), start + dt.timedelta(days=50))
    for granularity in ("day", "week", "month"):
        report = build_report(facts, r, granularity, Filters(), RULES)
        current = facts.between(*local_bounds(r))
        assert [p.kpis for p in report.series] == [kpi_set(current.between(*local_bounds(part)), RULES)
                                                   for _, part in buckets(r, granularity)]
        for dim, slices in (("channel", report.by_channel), ("agent", report.by_agent)):
            for s in slices:
                assert s.kpis == kpi_set(current.where(Filters(**{dim: s.key}).accepts), RULES)
