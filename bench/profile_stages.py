"""Where a profiled workload's time goes, by stage: a stage is a set of functions (by file and, optionally, name),
and its time is what the profile spent in them *entered from outside the stage*, callees included (cProfile
records cumulative time per caller -> callee edge), so a stage that calls itself or its own helpers is counted
once. Stdlib only and Python 3.10-compatible: the Rasa-side profile (bench/rasa_cost.py) runs in the Rasa venv.

Profiles are taken with ``time.process_time`` as the timer, so a stage's figure is CPU time: an awaited
network reply or a disk flush costs nothing, which is what "how much CPU does a message take" asks.
"""

from __future__ import annotations

import cProfile
import pstats
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple

Func = Tuple[str, int, str]  # (file, line, function name), pstats' key


@dataclass(frozen=True)
class Stage:
    label: str
    files: Tuple[str, ...]  # a function belongs when its file path contains one of these
    names: Optional[Tuple[str, ...]] = None  # ... and, when given, its name is one of these

    def holds(self, func: Func) -> bool:
        file, _, name = func
        return any(part in file for part in self.files) and (self.names is None or name in self.names)


def stage_seconds(stats: pstats.Stats, stage: Stage) -> float:
    """Cumulative seconds of ``stage``'s functions over the calls that came from outside it (including calls
    from code the profiler did not see start, e.g. the function that enabled it)."""
    total = 0.0
    raw: Dict[Func, Any] = stats.stats  # type: ignore[attr-defined]
    for func, (_, _, _, cumulative, callers) in raw.items():
        if not stage.holds(func):
            continue
        total += max(0.0, cumulative - sum(edge[3] for edge in callers.values()))  # entered from unseen code
        for caller, edge in callers.items():
            if not stage.holds(caller):
                total += edge[3]
    return total


def breakdown(profile: cProfile.Profile, stages: Iterable[Stage], total_stage: Stage,
              messages: int) -> List[Tuple[str, float]]:
    """(label, ms per message) for ``total_stage`` first, then each stage, then what the stages leave of it."""
    stats = pstats.Stats(profile)
    total = stage_seconds(stats, total_stage)
    rows = [(total_stage.label, total)]
    for stage in stages:
        rows.append((stage.label, stage_seconds(stats, stage)))
    rows.append(("rest (framework, serialisation, own logic)", max(0.0, total - sum(s for _, s in rows[1:]))))
    return [(label, seconds * 1000 / max(1, messages)) for label, seconds in rows]


def top_functions(profile: cProfile.Profile, within: Stage, limit: int = 8,
                  messages: int = 1) -> List[Tuple[str, float]]:
    """The functions of ``within`` with the most own (not cumulative) time: what to look at first."""
    stats = pstats.Stats(profile)
    raw: Dict[Func, Any] = stats.stats  # type: ignore[attr-defined]
    own = sorted(((f, v[2]) for f, v in raw.items() if within.holds(f)), key=lambda fv: -fv[1])[:limit]
    return [(f"{f[0].split('site-packages/')[-1]}:{f[1]} {f[2]}", s * 1000 / max(1, messages)) for f, s in own]
