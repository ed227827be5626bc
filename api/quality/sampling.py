"""Which conversations go into the review queue (pure): a routine daily sample of agent conversations and of
bot-only ones, and targeted samples (专项质检) — every conversation rated 不满意 or by an NPS detractor, every one
with a sensitive-word flag, every one of an agent with complaints or low review scores in the last N days, every
one on a chosen topic (an intent or a business area).

A conversation is queued once: already-queued ones are left out, and one picked for several reasons carries
them all (targeted reasons first). The routine sample is seeded by the day and drawn from all of the day's
conversations, so running it again for the same day (the daily run after a restart, a second click) adds
nothing, and a larger sample adds to the first."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

DETRACTOR_MAX = 6  # NPS 0-6
REASON_NAMES = {"dissatisfied": "不满意/NPS贬损", "flagged": "敏感词", "agent_watch": "被投诉或低分坐席",
                "topic": "专项话题", "routine_agent": "日常抽检（坐席）", "routine_bot": "日常抽检（机器人）"}


@dataclass(frozen=True)
class Candidate:
    """What sampling needs to know of one conversation."""
    conversation_id: str
    day: dt.date  # the day it started
    agent_id: int | None  # the agent who served it (None: bot-only)
    csat: str | None = None
    nps: int | None = None
    flagged: bool = False  # a sensitive-word flag on it
    complaint: bool = False  # complaint intent / handoff reason / wrap-up / feedback item of the complaint type
    topics: frozenset[str] = frozenset()  # intents and business areas (skill groups) it touched

    @property
    def target(self) -> str:
        return "agent" if self.agent_id is not None else "bot"

    @property
    def dissatisfied(self) -> bool:
        return self.csat == "不满意" or (self.nps is not None and self.nps <= DETRACTOR_MAX)


@dataclass(frozen=True)
class Rules:
    routine_agent: int = 5  # agent conversations a day
    routine_bot: int = 5  # bot-only conversations a day
    dissatisfied: bool = True
    flagged: bool = True
    watch_agents: bool = True
    lookback_days: int = 7  # "in the last N days" for watching agents
    complaints_threshold: int = 1  # complaints or dissatisfied ratings that put an agent on watch
    low_score: float = 80.0  # a submitted review average below this puts an agent on watch
    topics: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Pick:
    conversation_id: str
    target: str
    reasons: tuple[str, ...]
    agent_id: int | None


def watched_agents(history: Iterable[Candidate], scores: Mapping[int, Sequence[float]], day: dt.date,
                   rules: Rules) -> set[int]:
    """Agents with at least ``complaints_threshold`` complaints or dissatisfied ratings among conversations of
    the ``lookback_days`` up to ``day``, or whose submitted reviews of that period average below ``low_score``
    (``scores``: the totals of those reviews by agent)."""
    since = day - dt.timedelta(days=rules.lookback_days - 1)
    counts: dict[int, int] = {}
    for c in history:
        if c.agent_id is not None and since <= c.day <= day and (c.complaint or c.dissatisfied):
            counts[c.agent_id] = counts.get(c.agent_id, 0) + 1
    watched = {a for a, n in counts.items() if n >= rules.complaints_threshold}
    watched |= {a for a, totals in scores.items() if totals and sum(totals) / len(totals) < rules.low_score}
    return watched


def routine(candidates: Sequence[Candidate], target: str, n: int, day: dt.date) -> list[str]:
    """``n`` of the day's conversations of ``target``, at random with the day as the seed: the first ``n`` of
    one shuffle, so the same ``n`` picks the same conversations and a larger ``n`` adds to them."""
    pool = sorted(c.conversation_id for c in candidates if c.day == day and c.target == target)
    random.Random(f"quality:{day.isoformat()}:{target}").shuffle(pool)
    return pool[:max(n, 0)]


def sample(candidates: Sequence[Candidate], rules: Rules, day: dt.date, watched: set[int],
           already: set[str]) -> list[Pick]:
    """The day's picks, in the order: targeted (dissatisfied, flagged, watched agent, topic), then routine."""
    today = [c for c in candidates if c.day == day and c.conversation_id not in already]
    reasons: dict[str, list[str]] = {}
    for c in today:
        found = []
        if rules.dissatisfied and c.dissatisfied:
            found.append("dissatisfied")
        if rules.flagged and c.flagged:
            found.append("flagged")
        if rules.watch_agents and c.agent_id in watched:
            found.append("agent_watch")
        if rules.topics and c.topics & rules.topics:
            found.append("topic")
        if found:
            reasons[c.conversation_id] = found
    for target, n in (("agent", rules.routine_agent), ("bot", rules.routine_bot)):
        for conv_id in routine(candidates, target, n, day):  # drawn from the whole day: a rerun adds nothing
            if conv_id not in already:
                reasons.setdefault(conv_id, []).append(f"routine_{target}")
    picked = [c for c in today if c.conversation_id in reasons]
    targeted = [c for c in picked if not reasons[c.conversation_id][0].startswith("routine")]
    rest = [c for c in picked if reasons[c.conversation_id][0].startswith("routine")]
    return [Pick(c.conversation_id, c.target, tuple(reasons[c.conversation_id]), c.agent_id)
            for c in [*targeted, *rest]]
