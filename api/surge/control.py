"""The surge level in service: observed from the queue on every tick (api/surge/levels.py decides), set by a
supervisor by hand (held for ``manual_hold_s``, then automation resumes and steps down as the queue clears).
Every change is audited with its reason and the queue figures. The level lives in memory: a restart starts at 0
and the next tick sets it from the queue again."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from api.compliance.audit import record
from api.schemas.surge import QueueStatsOut, SurgeNotice, SurgeOut
from api.staff.accounts import AGENT_ROLES
from api.store.models import Conversation, User, iso, utcnow
from api.surge.levels import QueueStats, SurgeRules, next_level

# the response measures of each level, shown to the console; the engine does not yet apply them by itself (the
# widget's notice is the one it does): supervisors carry them out
MEASURES = {
    0: [],
    1: ["提醒班长关注排队", "告知排队客户真实等待时间，并引导留言或回拨",
        "简单标准问题的转人工请求，先给出机器人答案并保留一键转人工"],
    2: ["呼叫备班坐席上线", "临时提高坐席接待上限", "新的转人工请求默认引导留言，按回拨时限处理",
        "客户端显示繁忙提示"],
}
NOTICES = {1: "当前咨询量较大，人工客服需要排队，您也可以选择留言，我们会尽快回电。",
           2: "当前咨询量非常大，人工客服繁忙。建议您留言，我们将在承诺时限内回电。"}


class SurgeControl:
    def __init__(self, sessions: sessionmaker, rules: SurgeRules,
                 now: Callable[[], dt.datetime] = utcnow) -> None:
        self.sessions = sessions
        self.rules = rules
        self.now = now
        self.level = 0
        self.changed_at = now()
        self.manual_until: dt.datetime | None = None
        self.set_by: str | None = None
        self.stats = QueueStats(0, 0.0, 0)

    def read_stats(self) -> QueueStats:
        with self.sessions() as db:
            queued, oldest = db.execute(select(func.count(Conversation.id), func.min(Conversation.queued_at)).where(
                Conversation.state == "queued", Conversation.customer_left_at.is_(None))).one()
            online = db.scalar(select(func.count(User.id)).where(User.role.in_(AGENT_ROLES),
                                                                 User.status == "online")) or 0
        wait = (self.now() - oldest).total_seconds() if oldest is not None else 0.0
        return QueueStats(int(queued or 0), max(0.0, wait), int(online))

    def observe(self) -> SurgeOut:
        """One tick: read the queue and move the level as the rules say (not while a manual level holds)."""
        self.stats = self.read_stats()
        now = self.now()
        if self.manual_until is not None and now < self.manual_until:
            return self.status()
        self.manual_until = None
        held = (now - self.changed_at).total_seconds()
        new = next_level(self.level, self.stats, self.rules, held)
        if new != self.level:
            self._change(new, "system", "自动" + ("升级" if new > self.level else "降级"))
        return self.status()

    def set_level(self, actor: str, level: int, reason: str) -> SurgeOut:
        self.stats = self.read_stats()
        self.manual_until = self.now() + dt.timedelta(seconds=self.rules.manual_hold_s)
        self._change(level, actor, reason)
        return self.status()

    def _change(self, level: int, actor: str, reason: str) -> None:
        previous, self.level, self.changed_at = self.level, level, self.now()
        self.set_by = None if actor == "system" else actor
        record(self.sessions, actor, "surge_level", f"{previous}->{level}", reason=reason,
               queued=self.stats.queued, longest_wait_s=round(self.stats.longest_wait_s),
               available_agents=self.stats.available_agents, manual=actor != "system")

    def status(self) -> SurgeOut:
        per_agent = self.stats.per_agent
        return SurgeOut(level=self.level, since=iso(self.changed_at) or "", manual=self.manual_until is not None,
                        manual_until=iso(self.manual_until), set_by=self.set_by,
                        stats=QueueStatsOut(queued=self.stats.queued,
                                            longest_wait_s=round(self.stats.longest_wait_s, 1),
                                            available_agents=self.stats.available_agents,
                                            per_agent=round(per_agent, 2)),
                        measures=MEASURES[self.level])

    def notice(self) -> SurgeNotice:
        return SurgeNotice(level=self.level, notice=NOTICES.get(self.level))
