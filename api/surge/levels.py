"""Surge levels from the queue (pure): 0 normal, 1 and 2 the two levels of the surge response (二级话务应急响应).

A level is entered as soon as any of its entry thresholds is reached (queue length, longest wait, waiting
customers per available agent), straight to level 2 if its thresholds are; it is left one level at a time, only
once every figure is at or below that level's exit thresholds — lower than the entry ones, so a queue hovering
around a threshold does not flap — and only after the level has held for ``min_hold_s``."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field, model_validator


@dataclass(frozen=True)
class QueueStats:
    queued: int  # customers waiting
    longest_wait_s: float
    available_agents: int  # agents online

    @property
    def per_agent(self) -> float:
        """Waiting customers per available agent; 0 when nobody is online (out of hours the queue offers 留言:
        the queue's length and its longest wait still count, one customer waiting alone is no surge)."""
        return self.queued / self.available_agents if self.available_agents > 0 else 0.0


class Bounds(BaseModel):
    queued: int = Field(ge=0)
    longest_wait_s: float = Field(ge=0)
    per_agent: float = Field(ge=0)

    def reached_by(self, stats: QueueStats) -> bool:
        """Any figure at or above its bound."""
        return (stats.queued >= self.queued or stats.longest_wait_s >= self.longest_wait_s
                or stats.per_agent >= self.per_agent)

    def clears(self, stats: QueueStats) -> bool:
        """Every figure at or below its bound."""
        return (stats.queued <= self.queued and stats.longest_wait_s <= self.longest_wait_s
                and stats.per_agent <= self.per_agent)


class LevelRule(BaseModel):
    enter: Bounds
    exit: Bounds

    @model_validator(mode="after")
    def _exit_below_entry(self) -> LevelRule:
        for name in ("queued", "longest_wait_s", "per_agent"):
            if getattr(self.exit, name) >= getattr(self.enter, name):
                raise ValueError(f"the exit threshold {name} must be below the entry threshold (hysteresis)")
        return self


class SurgeRules(BaseModel):
    """Configured as ``SURGE`` (JSON) in the environment; the defaults suit a small centre."""
    level1: LevelRule = LevelRule(enter=Bounds(queued=10, longest_wait_s=180, per_agent=3),
                                  exit=Bounds(queued=5, longest_wait_s=90, per_agent=1.5))
    level2: LevelRule = LevelRule(enter=Bounds(queued=25, longest_wait_s=480, per_agent=6),
                                  exit=Bounds(queued=15, longest_wait_s=240, per_agent=4))
    min_hold_s: float = Field(default=120, ge=0)  # a level holds at least this long before stepping down
    manual_hold_s: float = Field(default=900, ge=0)  # a level set by hand holds this long before automation resumes
    capacity_step: int = Field(default=1, ge=0, le=10)  # level 2 raises every agent's capacity by this much
    # at level 1 and 2, a 转人工 request right after one of these questions first gets its standard answer with a
    # 仍需人工 button (api/surge/deflection.py): questions with one fixed answer in domain.yml, nothing personal
    simple_intents: tuple[str, ...] = ("card_report_loss", "password_login_reset", "password_payment_reset",
                                       "password_unlock", "transfer_limit", "credit_card_limit", "business_hours")

    @model_validator(mode="after")
    def _level2_above_level1(self) -> SurgeRules:
        for name in ("queued", "longest_wait_s", "per_agent"):
            if getattr(self.level2.enter, name) <= getattr(self.level1.enter, name):
                raise ValueError(f"level 2's entry threshold {name} must be above level 1's")
        return self


def next_level(current: int, stats: QueueStats, rules: SurgeRules, held_s: float) -> int:
    """The level after observing ``stats`` at ``current`` held for ``held_s`` seconds."""
    if rules.level2.enter.reached_by(stats):
        return 2
    if current < 1 and rules.level1.enter.reached_by(stats):
        return 1
    if current == 0 or held_s < rules.min_hold_s:
        return current
    rule = rules.level2 if current == 2 else rules.level1
    return current - 1 if rule.exit.clears(stats) else current
