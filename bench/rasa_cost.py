"""Rasa's share of a message, profiled in-process (run by bench/message_cost.py with the Rasa venv's Python):
the model loaded as an Agent with the project's endpoints (the masking tracker store, the running action server),
a fixed workload of conversations handled once to warm up, then again under cProfile with a CPU timer.

    .venvs/rasa/bin/python bench/rasa_cost.py --model M --workload W.json --out OUT.json

Prints nothing on success; writes {"messages", "wall_ms", "stages": [[label, ms per message]...], "top": ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import time
from pathlib import Path
from typing import Any, Dict, List

from profile_stages import Stage, breakdown, stage_seconds, top_functions

ROOT = Path(__file__).resolve().parent.parent
TOTAL = Stage("Rasa: whole message (Agent.handle_text)", ("rasa/core/agent.py",), ("handle_text",))
STAGES = [
    Stage("NLU pipeline (tokenizer, featurizers, classifier, entities, guards)", ("rasa/core/processor.py",),
          ("parse_message",)),
    Stage("dialogue policies (rules, memoization, ensemble)", ("rasa/core/policies/",)),
    Stage("tracker store: load + save, PII masking (SQLite)", ("bot/tracker_store.py", "rasa/core/tracker_store.py")),
    Stage("custom action call, Rasa side (HTTP client, JSON)", ("rasa/utils/endpoints.py",)),
    Stage("responses (NLG templates)", ("rasa/core/nlg/",)),
]


def components(profile: cProfile.Profile, messages: int) -> List[List[Any]]:
    """Each NLU component's ``process``, ms per message (the pipeline's breakdown)."""
    stats = pstats.Stats(profile)
    raw: Dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = []
    for file, _, name in raw:
        if name == "process" and ("/rasa/nlu/" in file or "/bot/" in file):
            label = file.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
            rows.append([label, stage_seconds(stats, Stage(label, (file,), ("process",))) * 1000 / max(1, messages)])
    return sorted(rows, key=lambda r: -r[1])


async def run(model: str, workload: List[List[str]]) -> Dict[str, Any]:
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints

    agent = await load_agent(model_path=model, endpoints=AvailableEndpoints.read_endpoints(
        str(ROOT / "bot" / "endpoints.yml")))
    for i, conversation in enumerate(workload):  # warm-up: caches, first-call imports, SQLite pages
        for text in conversation:
            await agent.handle_text(text, sender_id=f"warm-{i}")
    profile = cProfile.Profile(time.process_time)
    messages, started = 0, time.perf_counter()
    for i, conversation in enumerate(workload):
        for text in conversation:
            profile.enable()
            await agent.handle_text(text, sender_id=f"cost-{i}")
            profile.disable()
            messages += 1
    wall_ms = (time.perf_counter() - started) * 1000 / messages
    return {"messages": messages, "wall_ms": wall_ms,
            "stages": [list(row) for row in breakdown(profile, STAGES, TOTAL, messages)],
            "components": components(profile, messages),
            "top": [list(row) for row in top_functions(profile, Stage("all", ("",)), 12, messages)]}


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
