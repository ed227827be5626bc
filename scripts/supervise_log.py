"""What the supervisor (scripts/supervise.py) leaves behind for people and for /metrics: every event one line on
stdout and in ``$DATA_DIR/logs/supervisor.log``; the restart counts in ``$DATA_DIR/logs/restarts.json`` (read by
api/reports/restarts.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Protocol, Sequence


class Supervised(Protocol):
    """What the restart counts need of a supervised service (supervise_services.Service)."""

    name: str
    restarts: list[float]
    given_up: bool


def say(message: str) -> None:
    line = f"[supervisor {time.strftime('%H:%M:%S')}] {message}"
    print(line, flush=True)
    data_dir = Path(os.environ.get("DATA_DIR", "var"))
    try:
        with open(data_dir / "logs" / "supervisor.log", "a", encoding="utf-8") as log:
            log.write(line + "\n")
    except OSError:
        pass


def record(all_services: Sequence[Supervised]) -> None:
    path = Path(os.environ["DATA_DIR"]) / "logs" / "restarts.json"
    counts = {s.name: {"restarts": len(s.restarts), "given_up": s.given_up} for s in all_services}
    path.write_text(json.dumps(counts, ensure_ascii=False), encoding="utf-8")
