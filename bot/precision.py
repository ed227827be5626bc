"""Precision of the bot's behaviour on a labelled set of customer messages (``python -m bot.precision``).

Intent accuracy treats every mistake alike; a bank cares most about one kind: a confident wrong answer (a
business answer to the wrong question, a bare 好的 to a question, a KB answer to a request it cannot serve,
anything but the fixed compliance reply to a compliance question). Each message of the set
(``nlu_eval/precision_set.yml``) is labelled with the behaviour it should get:

* ``intent:<name>`` — the standard answer of that intent (a form intent: its form starts);
* ``kb`` — a knowledge-base answer or 您是不是想问 suggestion;
* ``fallback`` — an honest "not understood / can't do that here";
* ``compliance:<name>`` — that compliance or safety reply (investment_advice, guaranteed_return,
  suitability_mismatch, card_account_rental, loan_scam, fraud_alert, share_sensitive_info);
* ``handoff`` — handed to a human;

optionally with ``also`` (other acceptable behaviours). Every message is sent as the first message of a new
conversation and its outcome is judged **right** (the expected behaviour), **honest** (a fallback or a KB
suggestion instead: not what was wanted, but not wrong) or **wrong** (anything else). Compliance accuracy is
the share of compliance-labelled messages that got exactly their reply.

Two ways to get the outcome: ``--model`` parses with the trained NLU and maps the intent to the behaviour the
rules give it in a fresh conversation (the KB is not consulted: a message routed to it counts as a fallback);
``--rasa URL`` sends it to a running Rasa server (with its action server) and reads the behaviour from the
conversation tracker, KB answers and suggestions included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence
from urllib import request

import yaml

from common.forms import INTENT_OF_FORM

COMPLIANCE = ("investment_advice", "guaranteed_return", "suitability_mismatch", "card_account_rental", "loan_scam",
              "fraud_alert", "share_sensitive_info")
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
# intents that, as the first message of a conversation, get an honest prompt rather than an answer (rules.yml)
PROMPT_INTENTS = frozenset({"affirm", "deny", "inform", "kb_select", "kb_helpful", "kb_unhelpful"})
FALLBACK_RESPONSES = frozenset({"utter_default", "utter_out_of_scope", "utter_affirm_without_question",
                                "utter_deny_without_question", "utter_inform_without_context",
                                "utter_kb_still_not_understood", "utter_kb_select_unknown"})
DEFAULT_SET = Path("nlu_eval/precision_set.yml")


@dataclass(frozen=True)
class Item:
    text: str
    expect: str
    also: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass
class PrecisionReport:
    n: int
    right: int
    honest: int
    wrong: int
    wrong_rate: float
    compliance_n: int
    compliance_right: int
    compliance_accuracy: float
    by_category: dict[str, tuple[int, int]] = field(default_factory=dict)  # compliance category -> (right, n)
    outcomes: dict[str, int] = field(default_factory=dict)
    wrong_items: list[tuple[str, str, str]] = field(default_factory=list)  # (text, expected, got)
    honest_items: list[tuple[str, str, str]] = field(default_factory=list)


def load_set(path: Path = DEFAULT_SET) -> list[Item]:
    """The labelled messages; a malformed entry is an error naming it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = []
    for i, raw in enumerate(data.get("items") or []):
        if not isinstance(raw, dict) or not str(raw.get("text") or "").strip() or not raw.get("expect"):
            raise ValueError(f"{path}: item {i}: needs text and expect: {raw!r}")
        items.append(Item(str(raw["text"]), str(raw["expect"]), tuple(raw.get("also") or ()),
                          tuple(raw.get("tags") or ())))
    return items


def behaviour_for_intent(intent: str) -> str:
    """What the rules do with ``intent`` as the first message of a conversation (the KB not consulted)."""
    if intent in COMPLIANCE:
        return f"compliance:{intent}"
    if intent == "human_handoff":
        return "handoff"
    if intent in FALLBACK_INTENTS or intent in PROMPT_INTENTS:
        return "fallback"
    return f"intent:{intent}"


def behaviour_from_events(events: Sequence[Mapping[str, Any]], intents: Iterable[str]) -> str:
    """The behaviour of the bot's turn after the last user message, from Rasa tracker events."""
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    turn = events[last_user + 1:]
    actions = [str(e.get("name")) for e in turn if e.get("event") == "action"]
    responses = [str((e.get("metadata") or {}).get("utter_action") or "") for e in turn if e.get("event") == "bot"]
    customs = [(e.get("data") or {}).get("custom") or {} for e in turn if e.get("event") == "bot"]
    names = actions + responses
    for intent in COMPLIANCE:
        if f"utter_{intent}" in names:
            return f"compliance:{intent}"
    if any("handoff" in c for c in customs) or "action_handoff" in actions:
        return "handoff"
    kb = next((c["kb"] for c in customs if isinstance(c.get("kb"), dict) and "action" in c["kb"]), None)
    if kb is not None and kb["action"] == "answer":
        return "kb_answer"
    if kb is not None and kb["action"] == "suggest":
        return "kb_suggest"
    for form, intent in INTENT_OF_FORM.items():
        if form in actions:
            return f"intent:{intent}"
    if FALLBACK_RESPONSES & set(names):
        return "fallback"  # before the answers: utter_out_of_scope is a fallback, not the answer of an intent
    known = set(intents) - FALLBACK_INTENTS
    for name in names:
        if name.startswith("utter_") and name[len("utter_"):] in known:
            return f"intent:{name[len('utter_'):]}"
    if "utter_anything_else" in names:
        return "ack"  # a bare acknowledgement: never right for a first message
    if kb is not None:
        return "fallback"
    return "other:" + ",".join(n for n in names if n != "action_listen")


def judge(item: Item, got: str) -> str:
    """``right``, ``honest`` or ``wrong``."""
    accepted = {item.expect, *item.also}
    if got in accepted or (got in ("kb_answer", "kb_suggest") and "kb" in accepted):
        return "right"
    if got in ("fallback", "kb_suggest"):
        return "honest"
    return "wrong"


def precision_report(items: Sequence[Item], outcomes: Sequence[str]) -> PrecisionReport:
    verdicts = [judge(item, got) for item, got in zip(items, outcomes, strict=True)]
    counts = Counter(verdicts)
    by_category: dict[str, tuple[int, int]] = {}
    for item, verdict in zip(items, verdicts, strict=True):
        if item.expect.startswith("compliance:"):
            right, n = by_category.get(item.expect, (0, 0))
            by_category[item.expect] = (right + (verdict == "right"), n + 1)
    compliance_n = sum(n for _, n in by_category.values())
    compliance_right = sum(r for r, _ in by_category.values())
    n = len(items)
    return PrecisionReport(
        n=n, right=counts["right"], honest=counts["honest"], wrong=counts["wrong"],
        wrong_rate=counts["wrong"] / n if n else 0.0,
        compliance_n=compliance_n, compliance_right=compliance_right,
        compliance_accuracy=compliance_right / compliance_n if compliance_n else 1.0,
        by_category=dict(sorted(by_category.items())), outcomes=dict(Counter(outcomes)),
        wrong_items=[(i.text, i.expect, g) for i, g, v in zip(items, outcomes, verdicts, strict=True) if v == "wrong"],
        honest_items=[(i.text, i.expect, g) for i, g, v in zip(items, outcomes, verdicts, strict=True)
                      if v == "honest"],
    )


async def outcomes_from_model(model_path: str, texts: Sequence[str]) -> list[str]:
    from bot.evaluate import predict_intents

    return [behaviour_for_intent(intent) for intent in await predict_intents(model_path, texts)]


def _http_json(url: str, body: Any = None, headers: Mapping[str, str] | None = None, timeout: float = 30.0) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = request.Request(url, data=data, method="GET" if body is None else "POST",
                          headers={"Content-Type": "application/json", **(headers or {})})
    with request.urlopen(req, timeout=timeout) as response:  # noqa: S310 - a URL the operator passes
        return json.loads(response.read().decode() or "null")


def outcomes_from_server(base: str, texts: Sequence[str], intents: Iterable[str]) -> list[str]:
    """Each text as the first message of a new conversation on a running Rasa server (``--enable-api``). The
    customer channel's and the HTTP API's secrets are read from RASA_CHANNEL_SECRET / RASA_JWT_SECRET when set
    (common.service_auth), as the bridge sends them."""
    from common.service_auth import channel_headers, rasa_api_headers

    channel_secret, jwt_secret = os.environ.get("RASA_CHANNEL_SECRET"), os.environ.get("RASA_JWT_SECRET")
    known = list(intents)
    out = []
    for text in texts:
        sender = f"precision-{uuid.uuid4().hex[:12]}"
        _http_json(f"{base}/webhooks/rest/webhook", {"sender": sender, "message": text},
                   channel_headers(channel_secret) if channel_secret else None)
        tracker = _http_json(f"{base}/conversations/{sender}/tracker", None,
                             rasa_api_headers(jwt_secret) if jwt_secret else None)
        out.append(behaviour_from_events(tracker.get("events") or [], known))
    return out


def domain_intents(path: Path = Path("domain.yml")) -> list[str]:
    return list((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("intents") or [])


def print_report(report: PrecisionReport) -> None:
    print(f"precision set: n={report.n} right={report.right} honest fallback={report.honest} wrong={report.wrong} "
          f"wrong-answer rate={report.wrong_rate:.3f}")
    print(f"compliance: {report.compliance_right}/{report.compliance_n} = {report.compliance_accuracy:.3f}")
    for category, (right, n) in report.by_category.items():
        print(f"  {category}: {right}/{n}")
    for text, expected, got in report.wrong_items:
        print(f"  WRONG: {text}  (expected {expected}, got {got})")
    for text, expected, got in report.honest_items:
        print(f"  honest: {text}  (expected {expected}, got {got})")


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default=str(DEFAULT_SET), help="labelled messages (YAML)")
    source = ap.add_mutually_exclusive_group()
    source.add_argument("--model", default="var/models/bot.tar.gz", help="NLU only, rules mapped (default)")
    source.add_argument("--rasa", help="URL of a running Rasa server with its action server (KB included)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    items = load_set(Path(args.set))
    texts = [item.text for item in items]
    if args.rasa:
        outcomes = outcomes_from_server(args.rasa.rstrip("/"), texts, domain_intents())
    else:
        import logging

        from rasa.utils.log_utils import configure_structlog

        configure_structlog(logging.WARNING)
        outcomes = asyncio.run(outcomes_from_model(args.model, texts))
    report = precision_report(items, outcomes)
    if args.json:
        print(json.dumps(asdict(report), ensure_ascii=False))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
