"""One hand-written day of facts (Monday 2026-11-02, local time) whose KPIs are worked out by hand in
test_kpis.py, plus one fact on the Sunday before (the previous day) and one on the Tuesday after."""

from __future__ import annotations

import datetime as dt

from api.reports.facts import (
    ComplaintFact,
    ConversationFact,
    Dims,
    Facts,
    FlagFact,
    HandoffFact,
    KbFact,
    LeaveFact,
    MessageFact,
    SurveyFact,
)

DAY = dt.date(2026, 11, 2)
WEB_BOT = Dims("web")
APP_BOT = Dims("app")
WEB_CARD_A = Dims("web", "信用卡", "alice")
APP_WEALTH_B = Dims("app", "理财", "bob")


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def day_facts() -> Facts:
    f = Facts()
    # 4 conversations, 2 asked for a human -> self-service 2/4
    f.conversations += [ConversationFact("c1", at(9), WEB_BOT), ConversationFact("c4", at(15), APP_BOT),
                        ConversationFact("c2", at(10), WEB_CARD_A, handoff_requested=True),
                        ConversationFact("c3", at(11), APP_WEALTH_B, handoff_requested=True)]
    f.messages += [MessageFact("c1", at(9, i), WEB_BOT) for i in range(4)]
    f.messages += [MessageFact("c2", at(10, i), WEB_CARD_A, sender="agent") for i in range(6)]  # 10 messages
    # KB: 3 answers, 1 suggestion, 1 fallback
    f.kb += [KbFact("c1", at(9, 1), WEB_BOT, action="answer"), KbFact("c1", at(9, 2), WEB_BOT, action="answer"),
             KbFact("c4", at(15, 1), APP_BOT, action="answer"), KbFact("c4", at(15, 2), APP_BOT, action="suggest"),
             KbFact("c2", at(10, 1), WEB_CARD_A, action="fallback")]
    # handoffs: 4 requests, 1 out of hours; of 3 in hours 1 accepted within 60 s, 1 after 90 s, 1 abandoned
    f.handoffs += [
        HandoffFact("c2", at(10, 5), WEB_CARD_A, reason="customer_request", wait_s=30, handle_s=300, outcome="served"),
        HandoffFact("c3", at(11, 5), APP_WEALTH_B, reason="kb_fallback", wait_s=90, handle_s=120, outcome="served"),
        HandoffFact("c5", at(12), Dims("web", "通用"), reason="customer_request", outcome="abandoned"),
        HandoffFact("c6", at(23), Dims("web", "通用"), reason="customer_request", outcome="out_of_hours"),
    ]
    # 留言: on time (1 h), late (30 h), never called back
    f.leaves += [LeaveFact("c5", at(12, 10), WEB_BOT, called_back_after_s=3600),
                 LeaveFact("c6", at(23, 1), WEB_BOT, called_back_after_s=30 * 3600),
                 LeaveFact("c7", at(23, 2), WEB_BOT)]
    # surveys: CSAT 满意 3 of 5; NPS 10, 9, 6, 8 -> (2 - 1) / 4
    f.surveys += [SurveyFact("c2", at(10, 30), WEB_CARD_A, nps=10, csat="满意"),
                  SurveyFact("c3", at(11, 30), APP_WEALTH_B, nps=9, csat="满意"),
                  SurveyFact("c8", at(13), APP_WEALTH_B, nps=6, csat="不满意"),
                  SurveyFact("c9", at(14), WEB_CARD_A, nps=8, csat="一般"),
                  SurveyFact("c10", at(16), WEB_CARD_A, csat="满意")]
    f.complaints.append(ComplaintFact("c3", at(11, 29), APP_WEALTH_B))
    f.flags += [FlagFact("c1", at(9, 3), WEB_BOT, category="abuse"),
                FlagFact("c2", at(10, 7), WEB_CARD_A, category="fraud_bait")]
    return f


def with_neighbours() -> Facts:
    """The day plus a conversation on Sunday (the period before) and one on Tuesday (after it)."""
    f = day_facts()
    f.conversations += [ConversationFact("s1", at(20, day=DAY - dt.timedelta(days=1)), WEB_BOT),
                        ConversationFact("t1", at(8, day=DAY + dt.timedelta(days=1)), WEB_BOT)]
    return f
