"""Queue routing (pure): which queued conversation goes to which agent, queue positions and wait estimates.

FIFO by queue time within a skill group; an agent takes conversations of the groups in their skills while
they are online and under capacity; the least loaded such agent gets the next chat (ties: longest since their
last assignment). A conversation whose group has no online agent with that skill goes to online 通用
agents, so nobody waits for a group with nobody on duty. A conversation an agent transferred to a skill group
never goes back to that agent (``exclude_agent``): they handed it on because they could not serve it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Sequence

GENERAL = "通用"
SKILL_GROUPS = ("信用卡", "理财", "证券", GENERAL)

_GROUP_BY_INTENT_PREFIX = (
    ("credit_card_", "信用卡"),
    ("wealth_", "理财"), ("risk_assessment", "理财"), ("fund_", "理财"), ("deposit_", "理财"),
    ("stock_", "证券"), ("securities_", "证券"), ("gem_board", "证券"), ("star_market", "证券"),
    ("bse_board", "证券"), ("margin_trading", "证券"), ("ipo_", "证券"), ("bank_securities", "证券"),
    ("video_witness", "证券"),
)


def skill_group_for(intent: str | None, slots: dict | None = None) -> str:
    """The skill group a handoff goes to, from the bot's last intent (and the card type slot)."""
    if slots and slots.get("card_type") == "信用卡":
        return "信用卡"
    for prefix, group in _GROUP_BY_INTENT_PREFIX:
        if intent and intent.startswith(prefix):
            return group
    return GENERAL


@dataclass(frozen=True)
class AgentSlot:
    id: int
    skills: tuple[str, ...]
    capacity: int
    load: int
    online: bool
    last_assigned_at: dt.datetime | None = None


@dataclass(frozen=True)
class Waiting:
    id: str
    skill_group: str
    queued_at: dt.datetime
    exclude_agent: int | None = None  # the agent who transferred it here


@dataclass
class _Agent:
    slot: AgentSlot
    load: int
    last: dt.datetime | None = field(default=None)


def _eligible(agent: AgentSlot, group: str, groups_with_skill: set[str]) -> bool:
    if group in agent.skills:
        return True
    return group not in groups_with_skill and GENERAL in agent.skills


def dispatch(waiting: Sequence[Waiting], agents: Sequence[AgentSlot]) -> list[tuple[str, int]]:
    """(conversation id, agent id) assignments for as many waiting conversations as capacity allows."""
    pool = [_Agent(a, a.load, a.last_assigned_at) for a in agents if a.online and a.capacity > 0]
    groups_with_skill = {s for a in pool for s in a.slot.skills}
    assignments = []
    epoch = dt.datetime.min
    for conv in sorted(waiting, key=lambda w: (w.queued_at, w.id)):
        free = [a for a in pool if a.load < a.slot.capacity and a.slot.id != conv.exclude_agent
                and _eligible(a.slot, conv.skill_group, groups_with_skill)]
        if not free:
            continue
        best = min(free, key=lambda a: (a.load / a.slot.capacity, a.last or epoch, a.slot.id))
        best.load += 1
        best.last = dt.datetime.max
        assignments.append((conv.id, best.slot.id))
    return assignments


def queue_positions(waiting: Sequence[Waiting]) -> dict[str, int]:
    """1-based position of each conversation among those waiting for the same skill group."""
    positions: dict[str, int] = {}
    counts: dict[str, int] = {}
    for conv in sorted(waiting, key=lambda w: (w.queued_at, w.id)):
        counts[conv.skill_group] = counts.get(conv.skill_group, 0) + 1
        positions[conv.id] = counts[conv.skill_group]
    return positions


def estimated_wait_s(position: int, serving_capacity: int, avg_handle_s: float) -> int:
    """Expected wait for the ``position``-th in line when ``serving_capacity`` chats are handled in parallel."""
    return int(math.ceil(position / max(1, serving_capacity)) * avg_handle_s)
