"""The surge level in service: observed from the queue on every tick (api/surge/levels.py decides), set by a
supervisor by hand (held for ``manual_hold_s``, then automation resumes and steps down as the queue clears).
Every change is audited with its reason and the queue figures, and the audit log is also where the level in force
lives: the newest ``surge_level`` entry gives the level, since when, and whether a supervisor set it (held until
``manual_hold_s`` after). So a restarted bridge carries on at the level it left, and with several bridge processes
(issue 17) only the holder of the periodic jobs' lease observes the queue while every process reads the same level
(re-read at most every ``REFRESH_S`` for the widget's notice, the console and 转人工 answers; at once before a
change is decided).

The engine applies the measures it can by itself, reconciled on every tick and change: at level 2 every agent's
capacity is raised by ``capacity_step`` and restored below it (api/surge/capacity.py); the widget's notice tells
customers the expected wait and, at level 2, offers 留言 first (``notice``); the console shows the level, its
measures and who is over capacity (``status``). The rest of the measures are the supervisors' to carry out."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from api.compliance.audit import audit, record
from api.conversation.routing import estimated_wait_s
from api.reports.surge_levels import parse_change
from api.schemas.surge import OverCapacityOut, QueueStatsOut, SurgeNotice, SurgeOut
from api.staff.accounts import AGENT_ROLES
from api.store.models import AuditEntry, Conversation, User, iso, utcnow
from api.surge import capacity
from api.surge.levels import QueueStats, SurgeRules, next_level

MEASURES = {
    0: [],
    1: ["提醒班长关注排队", "告知排队客户真实等待时间，并引导留言或回拨",
        "简单标准问题的转人工请求，先给出机器人答案并保留一键转人工"],
    2: ["呼叫备班坐席上线", "临时提高坐席接待上限", "新的转人工请求默认引导留言，按回拨时限处理",
        "客户端显示繁忙提示"],
}
NOTICES = {1: "当前咨询量较大，人工客服需要排队，预计等待约 {minutes} 分钟。您也可以选择留言，我们会尽快回电。",
           2: "当前咨询量非常大，人工客服繁忙，预计等待约 {minutes} 分钟。建议您留言，我们将在承诺时限内回电。"}
REFRESH_S = 2.0  # how stale another process's change may be where the level is only read


def notice_text(level: int, wait_s: int) -> str | None:
    """The widget's notice at ``level`` with the expected wait in whole minutes, at least 1 (pure)."""
    template = NOTICES.get(level)
    return template.format(minutes=max(1, round(wait_s / 60))) if template else None


def _since(detail_json: str | None) -> dt.datetime | None:
    """The ``since`` of a change's audit detail (the control's own clock), None when absent or unreadable (pure)."""
    try:
        detail = json.loads(detail_json or "{}")
        return dt.datetime.fromisoformat(detail["since"]) if isinstance(detail, dict) and "since" in detail else None
    except (ValueError, TypeError):
        return None


class SurgeControl:
    def __init__(self, sessions: sessionmaker, rules: SurgeRules,
                 now: Callable[[], dt.datetime] = utcnow, handle_time_s: float = 180) -> None:
        self.sessions = sessions
        self.rules = rules
        self.now = now
        self.handle_time_s = handle_time_s  # the average handle time for the notice's expected wait
        self._level = 0
        self.changed_at = now()
        self.manual_until: dt.datetime | None = None
        self.set_by: str | None = None
        self._read_at: float | None = None  # monotonic time of the last read of the audit log
        self.stats = QueueStats(0, 0.0, 0)
        self.serving = 0  # the capacities of the agents online, summed
        self.over: list[capacity.OverCapacity] = []
        self.raised = 0

    @property
    def level(self) -> int:
        """The level in force (the audit log's newest change, re-read when older than ``REFRESH_S``)."""
        self.refresh(REFRESH_S)
        return self._level

    def refresh(self, max_age_s: float = 0.0) -> None:
        """Read the level in force from the audit log, unless read less than ``max_age_s`` ago."""
        if self._read_at is not None and time.monotonic() - self._read_at < max_age_s:
            return
        with self.sessions() as db:
            row = db.execute(select(AuditEntry.at, AuditEntry.actor, AuditEntry.target, AuditEntry.detail_json)
                             .where(AuditEntry.action == "surge_level")
                             .order_by(AuditEntry.id.desc()).limit(1)).first()
        self._read_at = time.monotonic()
        change = parse_change(row.at, row.target, row.detail_json) if row is not None else None
        if row is None or change is None:
            return  # never changed (or a malformed entry): what this process holds stands
        self._level, self.changed_at = change.after, _since(row.detail_json) or row.at
        self.set_by = row.actor if change.manual else None
        until = self.changed_at + dt.timedelta(seconds=self.rules.manual_hold_s)
        self.manual_until = until if change.manual and self.now() < until else None

    def read_stats(self) -> QueueStats:
        with self.sessions() as db:
            queued, oldest = db.execute(select(func.count(Conversation.id), func.min(Conversation.queued_at)).where(
                Conversation.state == "queued", Conversation.customer_left_at.is_(None))).one()
            online, serving = db.execute(select(func.count(User.id), func.sum(User.capacity)).where(
                User.role.in_(AGENT_ROLES), User.status == "online")).one()
        self.serving = int(serving or 0)
        wait = (self.now() - oldest).total_seconds() if oldest is not None else 0.0
        return QueueStats(int(queued or 0), max(0.0, wait), int(online or 0))

    def observe(self) -> SurgeOut:
        """One tick: read the queue and move the level as the rules say (not while a manual level holds)."""
        self.refresh()  # a supervisor may have set it through another process
        self.stats = self.read_stats()
        now = self.now()
        if self.manual_until is not None and now < self.manual_until:
            self.apply_measures()
            return self.status()
        self.manual_until = None
        held = (now - self.changed_at).total_seconds()
        new = next_level(self._level, self.stats, self.rules, held)
        if new != self._level:
            self._change(new, "system", "自动" + ("升级" if new > self._level else "降级"))
        self.apply_measures()
        return self.status()

    def set_level(self, actor: str, level: int, reason: str) -> SurgeOut:
        self.stats = self.read_stats()
        self.manual_until = self.now() + dt.timedelta(seconds=self.rules.manual_hold_s)
        self._change(level, actor, reason)
        self.apply_measures()
        return self.status()

    def apply_measures(self) -> None:
        """Level 2 raises the capacities (agents created meanwhile too), below it they are restored; both
        idempotent, so a tick after a restart puts things right. Agents over capacity are kept for the status."""
        with self.sessions() as db, db.begin():
            if self.level >= 2 and self.rules.capacity_step > 0:
                capacity.raise_all(db, "system", self.rules.capacity_step)
                self.over = capacity.over_capacity(db)
            elif capacity.raised_count(db):
                self.over = capacity.restore_all(db, "system")
                if self.over:  # never silently: named in the audit, and in the console's banner
                    audit(db, "system", "surge_over_capacity",
                          ", ".join(f"{o.username} {o.load}/{o.capacity}" for o in self.over))
            else:
                self.over = capacity.over_capacity(db)
            self.raised = capacity.raised_count(db)

    def _change(self, level: int, actor: str, reason: str) -> None:
        previous, self._level, self.changed_at = self._level, level, self.now()
        self.set_by = None if actor == "system" else actor
        record(self.sessions, actor, "surge_level", f"{previous}->{level}", reason=reason,
               queued=self.stats.queued, longest_wait_s=round(self.stats.longest_wait_s),
               available_agents=self.stats.available_agents, manual=actor != "system",
               since=self.changed_at.isoformat())

    def status(self) -> SurgeOut:
        per_agent = self.stats.per_agent
        return SurgeOut(level=self.level, since=iso(self.changed_at) or "", manual=self.manual_until is not None,
                        manual_until=iso(self.manual_until), set_by=self.set_by,
                        stats=QueueStatsOut(queued=self.stats.queued,
                                            longest_wait_s=round(self.stats.longest_wait_s, 1),
                                            available_agents=self.stats.available_agents,
                                            per_agent=round(per_agent, 2)),
                        measures=MEASURES[self.level], capacity_raised=self.raised,
                        over_capacity=[OverCapacityOut(username=o.username, load=o.load, capacity=o.capacity)
                                       for o in self.over])

    def expected_wait_s(self) -> int:
        """The wait a customer asking for a person now can expect: behind everyone queued."""
        return estimated_wait_s(self.stats.queued + 1, self.serving, self.handle_time_s)

    def notice(self) -> SurgeNotice:
        wait = self.expected_wait_s() if self.level else None
        return SurgeNotice(level=self.level, notice=notice_text(self.level, wait or 0),
                           expected_wait_s=wait, leave_message_first=self.level >= 2)
