"""The service centre's KPIs, defined once, pure (oracle-tested on hand-computed facts in
tests/api/reports/test_kpis.py). Every figure below is computed from :class:`api.reports.facts.Facts` for one
period and one slice; rates are percentages rounded to 2 places, None when their denominator is 0 (nothing to
rate: shown as 「—」, never as 0 %). Each KPI's formula is in :data:`KPI_DEFS` (shown on the reports page).

Which facts count where: a conversation, message, KB lookup, handoff request, 留言, survey answer, complaint or
sensitive-word hit belongs to the period in which it happened (conversation started, message sent, handoff
requested, 留言 left, survey answered, wrap-up written, word flagged). 满意度 and NPS count every answer: after
human service, the sampled survey after bot-only chats and themed campaigns (a campaign may replace the standard
question; each campaign's own results are on its page, api/feedback/).

人工接通率 is taken over handoff requests made within service hours (outcome ``out_of_hours`` requests could not
be connected by anyone; they are counted in handoff requests and by reason, and shown on their own)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

from api.reports.facts import Facts, HandoffFact, LeaveFact
from api.reports.kpi import nps_score

OUT_OF_HOURS = "out_of_hours"


@dataclass(frozen=True)
class Rules:
    connect_within_s: float = 60.0  # 人工接通率: accepted within this many seconds of the request
    callback_sla_s: float = 24 * 3600.0  # a 留言 called back within this is within SLA


@dataclass(frozen=True)
class KpiDef:
    key: str
    label: str
    unit: str  # count | percent | seconds | score
    formula: str


KPI_DEFS: tuple[KpiDef, ...] = (
    KpiDef("conversations", "会话量", "count", "本期开始的会话数"),
    KpiDef("messages", "消息量", "count", "本期客户、机器人、坐席发出的消息数（系统提示除外）"),
    KpiDef("bot_self_service_rate", "机器人自助率", "percent", "未请求转人工的会话 ÷ 会话量"),
    KpiDef("kb_lookups", "知识库检索次数", "count", "机器人检索知识库的次数"),
    KpiDef("kb_answer_rate", "知识库直接回答率", "percent", "直接回答 ÷ 知识库检索次数"),
    KpiDef("kb_suggest_rate", "知识库推荐问题率", "percent", "给出「您是不是想问」÷ 知识库检索次数"),
    KpiDef("kb_fallback_rate", "知识库未命中率", "percent", "未找到答案 ÷ 知识库检索次数"),
    KpiDef("handoff_requests", "转人工请求", "count", "本期的转人工请求数（含非服务时间）"),
    KpiDef("out_of_hours_requests", "非服务时间转人工", "count", "服务时间外的转人工请求数"),
    KpiDef("connect_rate", "人工接通率", "percent", "规定时间内被坐席接起的请求 ÷ 服务时间内的转人工请求"),
    KpiDef("avg_wait_s", "平均等待时长", "seconds", "被接起请求的排队时长平均值"),
    KpiDef("p90_wait_s", "P90 等待时长", "seconds", "被接起请求的排队时长第 90 百分位（最近秩法）"),
    KpiDef("abandon_rate", "放弃率", "percent", "排队中离开的请求 ÷ 服务时间内的转人工请求"),
    KpiDef("avg_handle_s", "平均处理时长", "seconds", "从坐席接起到结束服务的平均时长"),
    KpiDef("leave_messages", "留言量", "count", "本期收到的留言数"),
    KpiDef("callback_sla_rate", "留言及时回拨率", "percent", "在时限内已回拨的留言 ÷ 留言量"),
    KpiDef("csat_answers", "满意度评价数", "count", "本期的满意度评价数"),
    KpiDef("satisfaction_rate", "满意度", "percent", "评价「满意」÷ 满意度评价数"),
    KpiDef("nps", "NPS", "score", "推荐者（9–10 分）占比 − 贬损者（0–6 分）占比"),
    KpiDef("nps_answers", "NPS 有效样本", "count", "本期的 0–10 分评价数"),
    KpiDef("complaints", "投诉量", "count",
           "客户投诉的会话数：机器人识别为投诉而转人工，或服务小结为「投诉」（每个会话计一次）"),
    KpiDef("complaint_rate", "投诉率", "percent", "投诉量 ÷ 会话量"),
    KpiDef("sensitive_hits", "敏感词命中", "count", "客户、机器人、坐席消息命中敏感词的次数"),
)
KPI_KEYS = tuple(d.key for d in KPI_DEFS)


@dataclass(frozen=True)
class KpiValues:
    conversations: int
    messages: int
    bot_self_service_rate: float | None
    kb_lookups: int
    kb_answer_rate: float | None
    kb_suggest_rate: float | None
    kb_fallback_rate: float | None
    handoff_requests: int
    out_of_hours_requests: int
    connect_rate: float | None
    avg_wait_s: float | None
    p90_wait_s: float | None
    abandon_rate: float | None
    avg_handle_s: float | None
    leave_messages: int
    callback_sla_rate: float | None
    csat_answers: int
    satisfaction_rate: float | None
    nps: float | None
    nps_answers: int
    complaints: int
    complaint_rate: float | None
    sensitive_hits: int

    def as_dict(self) -> dict[str, float | int | None]:
        return dict(asdict(self))


def rate(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, 2 places; None when ``whole`` is 0."""
    return round(100.0 * part / whole, 2) if whole else None


def mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def percentile(values: Iterable[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``q`` % of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return round(ordered[rank - 1], 1)


def in_hours(facts: Facts) -> list[HandoffFact]:
    """The handoff requests 人工接通率 and 放弃率 are taken over."""
    return [h for h in facts.handoffs if h.outcome != OUT_OF_HOURS]


def is_connected(h: HandoffFact, rules: Rules) -> bool:
    return h.outcome != OUT_OF_HOURS and h.wait_s is not None and h.wait_s <= rules.connect_within_s


def on_time(m: LeaveFact, rules: Rules) -> bool:
    return m.called_back_after_s is not None and m.called_back_after_s <= rules.callback_sla_s


def connected(facts: Facts, rules: Rules) -> list[HandoffFact]:
    return [h for h in facts.handoffs if is_connected(h, rules)]


def leaves_on_time(facts: Facts, rules: Rules) -> list[LeaveFact]:
    return [m for m in facts.leaves if on_time(m, rules)]


def compute(facts: Facts, rules: Rules) -> KpiValues:
    """Every KPI of :data:`KPI_DEFS` over ``facts`` (already cut to one period and slice)."""
    conversations = len(facts.conversations)
    kb = Counter(k.action for k in facts.kb)
    lookups = len(facts.kb)
    requests = in_hours(facts)
    waits = [h.wait_s for h in requests if h.wait_s is not None]
    handles = [h.handle_s for h in facts.handoffs if h.handle_s is not None]
    csat = [s.csat for s in facts.surveys if s.csat is not None]
    scores = [s.nps for s in facts.surveys if s.nps is not None]
    return KpiValues(
        conversations=conversations,
        messages=len(facts.messages),
        bot_self_service_rate=rate(sum(not c.handoff_requested for c in facts.conversations), conversations),
        kb_lookups=lookups,
        kb_answer_rate=rate(kb["answer"], lookups),
        kb_suggest_rate=rate(kb["suggest"], lookups),
        kb_fallback_rate=rate(kb["fallback"], lookups),
        handoff_requests=len(facts.handoffs),
        out_of_hours_requests=len(facts.handoffs) - len(requests),
        connect_rate=rate(len(connected(facts, rules)), len(requests)),
        avg_wait_s=mean(waits),
        p90_wait_s=percentile(waits, 90),
        abandon_rate=rate(sum(h.outcome == "abandoned" for h in requests), len(requests)),
        avg_handle_s=mean(handles),
        leave_messages=len(facts.leaves),
        callback_sla_rate=rate(len(leaves_on_time(facts, rules)), len(facts.leaves)),
        csat_answers=len(csat),
        satisfaction_rate=rate(csat.count("满意"), len(csat)),
        nps=nps_score(scores) if scores else None,
        nps_answers=len(scores),
        complaints=len(facts.complaints),
        complaint_rate=rate(len(facts.complaints), conversations),
        sensitive_hits=len(facts.flags),
    )


def change(current: KpiValues, previous: KpiValues) -> dict[str, float | None]:
    """Current minus previous for every KPI (percentage points for rates, points for NPS); None when either
    side has no value."""
    now, before = current.as_dict(), previous.as_dict()
    out: dict[str, float | None] = {}
    for key in KPI_KEYS:
        a, b = now[key], before[key]
        out[key] = None if a is None or b is None else round(float(a) - float(b), 2)
    return out


def handoffs_by_reason(facts: Facts) -> dict[str, int]:
    """Handoff requests by reason, most frequent first (ties by name)."""
    counts = Counter(h.reason for h in facts.handoffs)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def nps_distribution(facts: Facts) -> list[int]:
    """How many answers gave each score 0..10 (index = score)."""
    counts = Counter(s.nps for s in facts.surveys if s.nps is not None)
    return [counts[score] for score in range(11)]


def nps_groups(distribution: Sequence[int]) -> dict[str, int]:
    """Promoters (9-10), passives (7-8) and detractors (0-6) from a 0..10 distribution."""
    return {"promoters": sum(distribution[9:11]), "passives": sum(distribution[7:9]),
            "detractors": sum(distribution[0:7])}
