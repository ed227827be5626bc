"""The quality report's arithmetic (pure): scores by agent and ISO week, the most-failed checklist items, and
the bot answers reviewers marked wrong, grouped by the KB entry they came from (else by their text), so a
trainer can go straight to the answer to fix."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping, Sequence

from api.schemas.quality import AgentScore, FailedItem, WrongAnswer


@dataclass(frozen=True)
class Scored:
    """A submitted review: its final total and every item's score."""
    agent: str | None
    agent_name: str | None
    submitted_at: dt.datetime
    total: float
    titles: Mapping[str, str]  # item id -> title
    scores: Mapping[str, float | None]
    needs_coaching: bool = False


@dataclass(frozen=True)
class Marked:
    """A bot answer a reviewer marked wrong."""
    kb_entry: str | None
    text: str
    conversation_id: str


def week(at: dt.datetime) -> str:
    year, number, _ = at.isocalendar()
    return f"{year}-W{number:02d}"


def agent_scores(reviews: Sequence[Scored]) -> list[AgentScore]:
    """The average final total per agent and week (bot reviews left out), by agent then week."""
    groups: dict[tuple[str, str], list[float]] = {}
    names: dict[str, str] = {}
    for r in reviews:
        if r.agent is None:
            continue
        groups.setdefault((r.agent, week(r.submitted_at)), []).append(r.total)
        names[r.agent] = r.agent_name or r.agent
    return [AgentScore(agent=a, agent_name=names[a], period=w, reviews=len(t), average=round(sum(t) / len(t), 1))
            for (a, w), t in sorted(groups.items())]


def most_failed(reviews: Sequence[Scored], limit: int = 10) -> list[FailedItem]:
    """Items scored below full marks, most often first (ties: the larger failure share, then the id)."""
    failed: dict[str, int] = {}
    scored: dict[str, int] = {}
    titles: dict[str, str] = {}
    for r in reviews:
        for item, score in r.scores.items():
            if score is None:
                continue
            scored[item] = scored.get(item, 0) + 1
            titles[item] = r.titles.get(item, item)
            if score < 1:
                failed[item] = failed.get(item, 0) + 1
    ranked = sorted(failed, key=lambda i: (-failed[i], -failed[i] / scored[i], i))
    return [FailedItem(id=i, title=titles[i], failed=failed[i], scored=scored[i]) for i in ranked[:limit]]


def wrong_answers(marked: Sequence[Marked], limit: int = 20) -> list[WrongAnswer]:
    """Marked answers grouped by KB entry (an intent's response: by its text), most often first; the example is
    the first marked."""
    groups: dict[tuple[str | None, str], list[Marked]] = {}
    for m in marked:
        groups.setdefault((m.kb_entry, "" if m.kb_entry else m.text), []).append(m)
    ranked = sorted(groups.values(), key=lambda ms: (-len(ms), ms[0].kb_entry or "", ms[0].text))
    return [WrongAnswer(kb_entry=ms[0].kb_entry, text=ms[0].text, count=len(ms),
                        conversation_id=ms[0].conversation_id) for ms in ranked[:limit]]
