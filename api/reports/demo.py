"""``python -m api demo-data --days 30``: a month of synthetic traffic driven through the real conversation engine
(:class:`api.conversation.service.ChatService`: the transcript, masking, the sensitive-word filter, the queue and
its routing, agents' replies and 服务小结, the post-service survey, 留言 and call-backs) on a simulated clock, so
the reports show believable figures. Only the Rasa server is stood in for (``api.reports.demo_bot``). Nothing
is inserted as a final number: every KPI comes out of the rows the engine writes.

Development mode only (APP_ENV=development): it refuses to run anywhere else, so it can never add fake
conversations to a real service centre's reports. Agents' availability is simulated by setting their status
(as they would in the console); they are all offline again at the end."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from api.compliance.sensitive_words import SensitiveWords
from api.conversation.errors import ChatError
from api.conversation.hub import Hub
from api.conversation.service import ChatService
from api.reports.demo_bot import AGENT_LINES, ANGRY, CHANNELS, COMMENTS, CUSTOMER_LINES, DemoBot, pick, pick_topic
from api.reports.periods import local_day
from api.reports.prometheus import Registry
from api.settings import Settings
from api.staff.accounts import create_user, seed_demo
from api.store.database import open_database
from api.store.models import Conversation, LeaveMessage, User, utcnow

DEMO_AGENTS = (("demo_card", "坐席小赵", ["信用卡", "通用"]), ("demo_wealth", "坐席小钱", ["理财", "通用"]),
               ("demo_securities", "坐席小孙", ["证券", "通用"]))
POOL = ("agent",) + tuple(name for name, _, _ in DEMO_AGENTS)  # who serves the demo's chats
HOURS = tuple((h, w) for h, w in ((0, .2), (1, .1), (2, .1), (3, .1), (4, .1), (5, .2), (6, .4), (7, .8), (8, 2),
                                  (9, 5), (10, 6), (11, 5), (12, 3), (13, 4), (14, 5), (15, 5), (16, 4),
                                  (17, 3), (18, 2), (19, 2), (20, 1.5), (21, 1), (22, .6), (23, .3)))
OPEN_HOURS = range(8, 21)  # the simulated service hours (local): handoffs outside them are out of hours
NPS_WEIGHTS = ((0, .2), (1, .1), (2, .1), (3, .2), (4, .3), (5, .5), (6, 1), (7, 3), (8, 6), (9, 14), (10, 22))
DISPOSITIONS = (("resolved", 84), ("unresolved", 7), ("callback", 6), ("complaint", 3))


Say = Callable[..., Awaitable[str]]  # the customer says a text or clicks a payload; the state after


class DemoRefused(ValueError):
    """demo-data outside development mode."""


@dataclass
class Clock:
    at: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)

    def __str__(self) -> str:
        return "demo traffic: " + ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))


def closed_now(settings: Settings) -> Settings:
    """The settings with service hours that exclude this wall-clock moment (the engine asks the wall clock):
    a simulated night-time handoff request meets a closed service centre."""
    now = dt.datetime.now()
    start, end = (now + dt.timedelta(hours=1)).strftime("%H:%M"), (now + dt.timedelta(hours=2)).strftime("%H:%M")
    return settings.model_copy(update={"service_hours": f"{start}-{end}"})


def ensure_staff(sessions: sessionmaker, settings: Settings) -> dict[int, User]:
    """The demo accounts and the demo's extra agents (one per skill group; random passwords: they are
    simulated, nobody logs in as them); every agent of the pool by id."""
    seed_demo(sessions, settings)
    with sessions() as db, db.begin():
        for username, name, skills in DEMO_AGENTS:
            if db.scalars(select(User).where(User.username == username)).first() is None:
                create_user(db, username, secrets.token_urlsafe(18), "agent", name, skills, 4)
    with sessions() as db:
        return {u.id: u for u in db.scalars(select(User).where(User.username.in_(POOL))).all()}


class DemoTraffic:
    def __init__(self, settings: Settings, sessions: sessionmaker, seed: int) -> None:
        self.rng = random.Random(seed)
        self.sessions, self.open_settings = sessions, settings
        self.clock = Clock(utcnow())
        words = SensitiveWords.from_file(settings.sensitive_words_file)
        self.chat = ChatService(settings, sessions, DemoBot(), Hub(), Registry(), words,  # type: ignore[arg-type]
                                now=self.clock)
        self.staff = ensure_staff(sessions, settings)
        self.supervisor = self._user("supervisor")
        self.tally = Tally()

    def _user(self, username: str) -> User:
        with self.sessions() as db:
            user = db.scalars(select(User).where(User.username == username)).one()
            db.expunge(user)
            return user

    def set_pool(self, status: str) -> None:
        with self.sessions() as db, db.begin():
            db.execute(update(User).where(User.username.in_(POOL)).values(status=status))

    # ------------------------------------------------------------------ the month
    async def run(self, days: int, per_day: int) -> Tally:
        offset = self.open_settings.report_utc_offset_h
        today = local_day(utcnow(), offset)
        self.clock.at = dt.datetime.combine(today - dt.timedelta(days=days), dt.time()) - dt.timedelta(hours=offset)
        try:
            for back in range(days, 0, -1):
                day = today - dt.timedelta(days=back)
                factor = 0.6 if day.isoweekday() >= 6 else 1.0
                n = max(1, round(per_day * factor * self.rng.uniform(0.8, 1.2)))
                for start in sorted(self._start(day, offset) for _ in range(n)):
                    self.clock.at = max(self.clock.at, start)
                    await self.conversation(local_hour=(start + dt.timedelta(hours=offset)).hour)
        finally:
            self.set_pool("offline")
            self.chat.ctx.settings = self.open_settings
        return self.tally

    def _start(self, day: dt.date, offset: float) -> dt.datetime:
        hour = pick(self.rng, HOURS)
        local = dt.datetime.combine(day, dt.time(hour)) + dt.timedelta(seconds=self.rng.uniform(0, 3599))
        return local - dt.timedelta(hours=offset)

    # ------------------------------------------------------------------ one customer
    async def conversation(self, local_hour: int) -> None:
        rng, turn = self.rng, self.chat.turn
        conv, token, _ = await turn.create_conversation(pick(rng, CHANNELS), f"demo-{rng.randrange(10 ** 6):06d}")
        self.tally.counts["conversations"] += 1

        async def say(text: str | None = None, payload: str | None = None) -> str:
            self.clock.advance(rng.uniform(5, 40))
            return (await turn.message(conv.id, text, payload, token, check_token=True)).state

        if rng.random() < 0.03:
            await say(rng.choice(ANGRY))
        topic = pick_topic(rng)
        await say(topic.question)
        if rng.random() < 0.3:
            topic = pick_topic(rng)
            await say(topic.question)
        wants = {"answer": 0.1, "suggest": 0.3, "fallback": 0.6}[topic.kb_action]
        if rng.random() >= wants:
            return
        self.chat.ctx.settings = self.open_settings if local_hour in OPEN_HOURS else closed_now(self.open_settings)
        try:
            await self.handoff(conv.id, token, say)
        finally:
            self.chat.ctx.settings = self.open_settings

    async def handoff(self, conv_id: str, token: str, say: Say) -> None:
        rng, turn = self.rng, self.chat.turn
        self.set_pool("away")  # nobody takes it at once: the wait is simulated below
        state = await say("我要投诉，转人工" if rng.random() < 0.05 else "转人工")
        self.tally.counts["handoff requests"] += 1
        if state != "queued":  # out of hours: 留言 is offered
            if rng.random() < 0.5:
                await self.leave(conv_id, token)
            return
        fate = rng.random()
        if fate < 0.04:
            self.clock.advance(rng.uniform(20, 240))
            await turn.end(conv_id, token)
            self.tally.counts["abandoned"] += 1
            return
        if fate < 0.07:
            self.clock.advance(rng.uniform(60, 300))
            await self.leave(conv_id, token)
            return
        self.clock.advance(min(900.0, rng.expovariate(1 / 20)))
        turn.authenticate(conv_id, token, touch=True)  # the widget kept polling while the customer waited
        self.set_pool("online")
        await self.chat.queue.dispatch()
        with self.sessions() as db:
            row = db.get(Conversation, conv_id)
            agent_id = row.agent_id if row is not None else None
        if agent_id is None:
            return
        await self.serve(conv_id, self.staff[agent_id], say)

    async def serve(self, conv_id: str, agent: User, say: Say) -> None:
        rng, desk = self.rng, self.chat.desk
        for line in AGENT_LINES[:rng.randint(1, 3)]:
            self.clock.advance(rng.uniform(15, 90))
            await desk.reply(agent, conv_id, line)
            await say(rng.choice(CUSTOMER_LINES))
        disposition = pick(rng, DISPOSITIONS)
        self.clock.advance(rng.uniform(20, 120))
        await desk.close(agent, conv_id, disposition, f"演示数据：{disposition}")
        self.tally.counts["served"] += 1
        if rng.random() < 0.65:
            await self.survey(disposition, say)

    async def survey(self, disposition: str, say: Say) -> None:
        rng = self.rng
        score = pick(rng, NPS_WEIGHTS)
        if disposition in ("complaint", "unresolved"):
            score = min(score, rng.randint(0, 7))
        rating = "满意" if score >= 7 else "一般" if score >= 5 or rng.random() < 0.5 else "不满意"
        try:  # a survey step the engine no longer offers is skipped, never forced
            await say(payload=f'/survey_nps{{"score":{score}}}')
            await say(payload=f'/survey_csat{{"rating":"{rating}"}}')
            if rng.random() < 0.35:
                await say(rng.choice(COMMENTS))
            else:
                await say(payload="/survey_skip")
            self.tally.counts["surveys"] += 1
        except ChatError:
            self.tally.counts["surveys cut short"] += 1

    async def leave(self, conv_id: str, token: str) -> None:
        """A 留言 with a callback number; most are called back (by the supervisor, through the engine) within
        hours, some late, some never — unless the call-back would be in the future."""
        rng = self.rng
        number = "139" + "".join(str(rng.randrange(10)) for _ in range(8))
        await self.chat.turn.leave_message(conv_id, token, number, "尽快", "请回电，关于转账到账的问题")
        self.tally.counts["留言"] += 1
        with self.sessions() as db:
            leave_id = db.scalars(select(LeaveMessage.id).where(LeaveMessage.conversation_id == conv_id)
                                  .order_by(LeaveMessage.id.desc())).first()
        fate = rng.random()
        if leave_id is None or fate < 0.1:
            return
        after_h = rng.uniform(0.5, 20) if fate < 0.85 else rng.uniform(25, 60)
        now = self.clock.at
        due = now + dt.timedelta(hours=after_h)
        if due > utcnow():
            return
        self.clock.at = due
        try:
            self.chat.callbacks.record_outcome(self.supervisor, leave_id, "called_back")
        finally:
            self.clock.at = now


def run_demo(settings: Settings, days: int, per_day: int = 40, seed: int = 15) -> str:
    """Drive ``days`` of traffic ending yesterday; a summary line. Refused outside development."""
    if not settings.development:
        raise DemoRefused("demo-data 仅可在开发模式（APP_ENV=development）下运行：它会向数据库写入模拟会话")
    if not 1 <= days <= 366 or not 1 <= per_day <= 500:
        raise DemoRefused("--days 须在 1–366 之间，--per-day 须在 1–500 之间")
    engine, sessions = open_database(settings.db_url)
    try:
        return str(asyncio.run(DemoTraffic(settings, sessions, seed).run(days, per_day)))
    finally:
        engine.dispose()
