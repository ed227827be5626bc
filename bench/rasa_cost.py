"""Rasa's share of a message, measured in-process (run by bench/message_cost.py with the Rasa venv's Python): the
model loaded as an Agent with the project's endpoints (the masking tracker store, the running action server), a
fixed workload of conversations handled once to warm up, then again with a stage clock (bench/profile_stages.py):
every graph node (the NLU components and the policies, one by one), the tracker store, the custom-action call,
the response templates; the rest of the message is Rasa's processor itself.

    .venvs/rasa/bin/python bench/rasa_cost.py --model M --workload W.json --out OUT.json

Writes {"messages", "wall_ms", "stages": [[label, CPU ms per message], ...], "components": [...]}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any, Dict, List

from profile_stages import StageClock

ROOT = Path(__file__).resolve().parent.parent
TOTAL = "Rasa: whole message (Agent.handle_text, event-loop thread)"
POLICY_NODES = ("Policy", "select_prediction", "rule_only", "domain_provider", "tracker_to_")


def node_label(node: Any, *_: Any) -> str:
    name = str(getattr(node, "_node_name", "node"))
    return f"{'policy' if any(p in name for p in POLICY_NODES) else 'NLU'} node {name}"


def instrument(clock: StageClock) -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
    from rasa.engine.graph import GraphNode

    from bot.tracker_store import MaskingSQLTrackerStore

    clock.patch(node_label, GraphNode, "__call__")
    clock.patch("tracker store: load + save, PII masking (SQLite)", MaskingSQLTrackerStore, "save", "retrieve",
                "retrieve_full_tracker")
    clock.patch("custom action call, Rasa side (HTTP client, JSON)", RemoteAction, "run")
    clock.patch("responses (NLG templates)", TemplatedNaturalLanguageGenerator, "generate")


async def run(model: str, workload: List[List[str]]) -> Dict[str, Any]:
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints

    clock = StageClock()
    instrument(clock)
    clock.enabled = False
    agent = await load_agent(model_path=model, endpoints=AvailableEndpoints.read_endpoints(
        str(ROOT / "bot" / "endpoints.yml")))
    for i, conversation in enumerate(workload):  # warm-up: caches, first-call imports, SQLite pages
        for text in conversation:
            await agent.handle_text(text, sender_id=f"warm-{i}")
    total, wall = 0.0, 0.0
    messages = 0
    for i, conversation in enumerate(workload):
        for text in conversation:
            started, started_cpu = time.perf_counter(), time.thread_time()
            clock.enabled = True
            await agent.handle_text(text, sender_id=f"cost-{i}")
            clock.enabled = False
            total += time.thread_time() - started_cpu
            wall += time.perf_counter() - started
            messages += 1
    stages = clock.ms_per(messages)
    nlu = [row for row in stages if row[0].startswith("NLU node")]
    policies = [row for row in stages if row[0].startswith("policy node")]
    others = [row for row in stages if row not in nlu and row not in policies]
    total_ms = total * 1000 / messages
    grouped = [(TOTAL, total_ms), ("NLU pipeline (graph nodes)", sum(ms for _, ms in nlu)),
               ("dialogue policies (graph nodes)", sum(ms for _, ms in policies)), *others]
    rest = max(0.0, total_ms - sum(ms for _, ms in grouped[1:]))
    return {"messages": messages, "wall_ms": wall * 1000 / messages,
            "stages": [list(row) for row in [*grouped, ("rest: Rasa's processor, events, locks", rest)]],
            "components": [[label.split(" node ", 1)[1], ms] for label, ms in nlu + policies]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", required=True)
    ap.add_argument("--workload", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    workload = json.loads(Path(args.workload).read_text(encoding="utf-8"))
    result = asyncio.run(run(args.model, workload))
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
