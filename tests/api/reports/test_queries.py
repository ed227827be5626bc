"""Reading facts from the database: each row lands in the local day it happened (UTC+8), with the dimensions the
reports slice by — a handoff's agent is the one whose 服务小结 closed it, a survey counts when it was answered, a
conversation the bot handled alone is in the bot group. Rows are written as the engine writes them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from api.reports.facts import BOT_GROUP, NO_AGENT
from api.reports.periods import DateRange
from api.reports.queries import facts_for
from api.settings import Settings
from api.staff.accounts import create_user
from api.store.database import open_database
from api.store.models import Conversation, Flag, Handoff, Survey, WrapUp

UTC_MIDNIGHT_LOCAL = dt.datetime(2026, 11, 1, 16, 0)  # = 2026-11-02 00:00 at UTC+8


def test_rows_become_facts_in_their_local_day_with_their_dimensions(tmp_path: Path) -> None:
    _, sessions = open_database(Settings(data_dir=tmp_path).db_url)
    t = UTC_MIDNIGHT_LOCAL
    with sessions() as db, db.begin():
        alice = create_user(db, "alice", "pass-word", "agent", "坐席甲", ["信用卡"])
        bob = create_user(db, "bob", "pass-word", "agent", "坐席乙", ["信用卡"])
        db.flush()
        for cid, channel, group, at in (("served", "app", "信用卡", t + dt.timedelta(hours=1)),
                                        ("bot", "web", None, t + dt.timedelta(hours=2)),
                                        ("angry", "web", "通用", t + dt.timedelta(hours=4)),
                                        ("late", "web", None, t - dt.timedelta(minutes=1))):  # the day before
            db.add(Conversation(id=cid, token_hash="x", channel=channel, skill_group=group, created_at=at,
                                updated_at=at))
        db.flush()
        h = Handoff(conversation_id="served", reason="complaint", skill_group="信用卡",
                    queued_at=t + dt.timedelta(hours=1, minutes=1), assigned_at=t + dt.timedelta(hours=1, minutes=2),
                    closed_at=t + dt.timedelta(hours=1, minutes=12), wait_s=60.0, outcome="served")
        db.add(h)
        db.flush()
        db.add(Handoff(conversation_id="angry", reason="complaint", skill_group="通用",  # left the queue
                       queued_at=t + dt.timedelta(hours=4, minutes=1), closed_at=t + dt.timedelta(hours=4, minutes=3),
                       outcome="abandoned"))
        db.add(WrapUp(conversation_id="served", handoff_id=h.id, agent_id=bob.id, disposition="complaint",
                      created_at=t + dt.timedelta(hours=1, minutes=12)))
        # asked the day before (23:59 local), answered today: counts today
        db.add(Survey(conversation_id="served", agent_id=bob.id, nps=4, csat="不满意",
                      created_at=t - dt.timedelta(minutes=1), answered_at=t + dt.timedelta(minutes=5)))
        db.add(Survey(conversation_id="bot", nps=None, csat=None, created_at=t + dt.timedelta(hours=3)))  # unanswered
        db.add(Flag(conversation_id="bot", source="customer", category="abuse", term="x", text="x",
                    created_at=t + dt.timedelta(hours=2)))
        assert alice.id != bob.id
    facts = facts_for(sessions, DateRange(dt.date(2026, 11, 2), dt.date(2026, 11, 2)), 8.0, with_previous=False)
    assert sorted(c.conversation_id for c in facts.conversations) == ["angry", "bot", "served"]
    served = next(c for c in facts.conversations if c.conversation_id == "served")
    assert served.handoff_requested and served.dims.agent == "bob" and served.at == dt.datetime(2026, 11, 2, 1, 0)
    bot = next(c for c in facts.conversations if c.conversation_id == "bot")
    assert not bot.handoff_requested and (bot.dims.skill_group, bot.dims.agent) == (BOT_GROUP, NO_AGENT)
    handoff = next(h for h in facts.handoffs if h.conversation_id == "served")
    assert (handoff.wait_s, handoff.handle_s, handoff.dims.agent, handoff.dims.channel) == (60.0, 600.0, "bob", "app")
    (survey,) = facts.surveys
    assert survey.nps == 4 and survey.at == dt.datetime(2026, 11, 2, 0, 5)
    # one complaint per conversation: handed off as a complaint and wrapped up as one counts once, at the
    # handoff, with the wrap-up's agent; a complaint handoff that never reached an agent counts too
    assert [(c.conversation_id, c.at.time(), c.dims.agent) for c in facts.complaints] == [
        ("served", dt.time(1, 1), "bob"), ("angry", dt.time(4, 1), NO_AGENT)]
    (flag,) = facts.flags
    assert flag.dims.channel == "web" and flag.category == "abuse"
    with_before = facts_for(sessions, DateRange(dt.date(2026, 11, 2), dt.date(2026, 11, 2)), 8.0)
    assert "late" in {c.conversation_id for c in with_before.conversations}  # read for the comparison
