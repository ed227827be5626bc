"""The checklist's automatic items (pure functions over a transcript): greeting and closing present, first
response time, no forbidden phrase (the sensitive-word list's output categories), a risk reminder on every
理财/基金/证券 answer, no promised return once 适当性 is the topic, no customer secret echoed.

Each check reads only the messages of the review's target (``agent`` or ``bot``), the customer's as context,
and answers an :class:`Outcome` naming the messages that failed it, so the reviewer sees why. Phrases are
matched in the sensitive-word filter's normal form (width, case, traditional characters and separators do not
hide them)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from api.compliance.sensitive_words import SensitiveWords, normalise
from common.pii import contains_masked_secret, contains_secret

NEGATIONS = ("不", "非", "无", "没", "未", "勿", "别")  # 不保本, 不承诺保证收益: a correct statement, not a promise
NEGATION_REACH = 4  # characters before a promise a negation may stand (不能保证收益)
CLAUSE = re.compile(r"[，。；！？、,.;!?\n]")


@dataclass(frozen=True)
class Line:
    id: int
    sender: str  # customer | bot | agent | system
    text: str
    at: dt.datetime


@dataclass(frozen=True)
class Transcript:
    lines: tuple[Line, ...]
    target: str  # agent | bot: whose messages are reviewed
    assigned_at: dt.datetime | None = None  # when the agent took the chat (agent reviews)

    @property
    def said(self) -> list[Line]:
        return [line for line in self.lines if line.sender == self.target]


@dataclass(frozen=True)
class Outcome:
    passed: bool
    detail: str
    message_ids: tuple[int, ...] = ()

    @property
    def score(self) -> float:
        return 1.0 if self.passed else 0.0


Check = Callable[[Transcript, Mapping[str, Any], SensitiveWords], Outcome]
WHO = {"agent": "坐席", "bot": "机器人"}


def _terms(params: Mapping[str, Any], key: str) -> list[str]:
    return [normalise(str(t)) for t in params.get(key) or [] if normalise(str(t))]


def _has_any(text: str, terms: list[str]) -> bool:
    folded = normalise(text)
    return any(t in folded for t in terms)


def greeting(t: Transcript, params: Mapping[str, Any], words: SensitiveWords) -> Outcome:
    said = t.said
    if not said:
        return Outcome(False, f"{WHO[t.target]}没有发言")
    if _has_any(said[0].text, _terms(params, "phrases")):
        return Outcome(True, "首条消息含问候")
    return Outcome(False, "首条消息没有问候语", (said[0].id,))


def closing(t: Transcript, params: Mapping[str, Any], words: SensitiveWords) -> Outcome:
    said = t.said
    if not said:
        return Outcome(False, f"{WHO[t.target]}没有发言")
    if _has_any(said[-1].text, _terms(params, "phrases")):
        return Outcome(True, "最后一条消息含结束语")
    return Outcome(False, "最后一条消息没有结束语", (said[-1].id,))


def first_response(t: Transcript, params: Mapping[str, Any], words: SensitiveWords) -> Outcome:
    """Agent: from taking the chat (else the customer's first message) to the agent's first message; bot: from
    the customer's first message to the bot's first answer after it."""
    limit = params.get("max_seconds", 30)
    limit = float(limit.get(t.target, 30) if isinstance(limit, Mapping) else limit)
    asked = next((line for line in t.lines if line.sender == "customer"), None)
    start = t.assigned_at if t.target == "agent" and t.assigned_at is not None else (asked.at if asked else None)
    if start is None:
        return Outcome(True, "客户没有发言，不计")
    answer = next((line for line in t.said if line.at >= start), None)
    if answer is None:
        return Outcome(False, f"{WHO[t.target]}没有响应")
    waited = (answer.at - start).total_seconds()
    if waited <= limit:
        return Outcome(True, f"首次响应 {waited:.0f} 秒（≤ {limit:.0f} 秒）")
    return Outcome(False, f"首次响应 {waited:.0f} 秒，超过 {limit:.0f} 秒", (answer.id,))


def forbidden_phrases(t: Transcript, params: Mapping[str, Any], words: SensitiveWords) -> Outcome:
    categories = set(params.get("categories") or [])
    bad: list[tuple[int, str]] = []
    for line in t.said:
        bad += [(line.id, h.term) for h in words.find(line.text, "output")
                if not categories or h.category in categories]
    if not bad:
        return Outcome(True, "未发现违规用语")
    terms = "、".join(dict.fromkeys(term for _, term in bad))
    return Outcome(False, f"违规用语：{terms}", tuple(dict.fromkeys(i for i, _ in bad)))


def risk_reminder(t: Transcript, params: Mapping[str, Any], words: SensitiveWords) -> Outcome:
    topics, reminders = _terms(params, "topic_terms"), _terms(params, "reminders")
    about = [line for line in t.said if _has_any(line.text, topics)]
    if not about:
        return Outcome(True, "未涉及理财/基金/证券答复")
    missing = tuple(line.id for line in about if not _has_any(line.text, reminders))
    if missing:
        return Outcome(False, f"{len(missing)} 条理财/基金/证券答复缺少风险提示", missing)
    return Outcome(True, f"{len(about)} 条相关答复均含风险提示")


def promises_in(text: str, promises: list[str]) -> list[str]:
    """The promises in ``text`` not right after a negation in the same clause (不保本 is not a promise; 保本 is,
    and so is 保证收益 in 不保本，但保证收益)."""
    found: list[str] = []
    for clause in CLAUSE.split(text):
        folded = normalise(clause)
        for promise in promises:
            start = folded.find(promise)
            while start >= 0 and promise not in found:
                if not any(n in folded[max(0, start - NEGATION_REACH):start] for n in NEGATIONS):
                    found.append(promise)
                start = folded.find(promise, start + 1)
    return sorted(found, key=promises.index)


def no_return_promise(t: Transcript, params: Mapping[str, Any], words: SensitiveWords) -> Outcome:
    """Once anyone has raised a 适当性 topic (risk assessment, risk level …), the target's later messages must
    not promise a return."""
    topics, promises = _terms(params, "topic_terms"), _terms(params, "promises")
    first = next((n for n, line in enumerate(t.lines) if _has_any(line.text, topics)), None)
    if first is None:
        return Outcome(True, "未涉及适当性话题")
    bad = [(line.id, p) for line in t.lines[first:] if line.sender == t.target
           for p in promises_in(line.text, promises)]
    if not bad:
        return Outcome(True, "适当性话题中未承诺收益")
    return Outcome(False, f"适当性话题中承诺收益：{'、'.join(dict.fromkeys(p for _, p in bad))}",
                   tuple(dict.fromkeys(i for i, _ in bad)))


def no_secret_echo(t: Transcript, params: Mapping[str, Any], words: SensitiveWords) -> Outcome:
    """A secret (password, code, full card or ID number) in the target's own messages, whole or as the mask
    the bridge left of one: the customer's secret was repeated back."""
    bad = tuple(line.id for line in t.said if contains_secret(line.text) or contains_masked_secret(line.text))
    if bad:
        return Outcome(False, f"{len(bad)} 条消息复述了客户的敏感信息", bad)
    return Outcome(True, "未复述敏感信息")


CHECKS: dict[str, Check] = {
    "greeting": greeting, "closing": closing, "first_response": first_response,
    "forbidden_phrases": forbidden_phrases, "risk_reminder": risk_reminder,
    "no_return_promise": no_return_promise, "no_secret_echo": no_secret_echo,
}


def run_check(name: str, transcript: Transcript, params: Mapping[str, Any], words: SensitiveWords) -> Outcome:
    return CHECKS[name](transcript, params, words)
