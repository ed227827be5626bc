"""Process restarts for ``/metrics``: the supervisor (scripts/supervise.py, in `make run` and `make cluster`) counts
each service's restarts in ``$DATA_DIR/logs/restarts.json`` (``{"rasa-1": {"restarts": 2, "given_up": false}}``);
these are its Prometheus lines. On several machines each machine's supervisor (or systemd) has its own file; a
bridge shows the one of its own data directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def metric_lines(counts: dict[str, Any]) -> list[str]:
    """``service_restarts_total`` and ``service_given_up`` per service, in name order (entries that are not a
    service's record are skipped)."""
    records = sorted((name, record) for name, record in counts.items() if isinstance(record, dict))
    lines = ["# HELP service_restarts_total Restarts of a supervised process since its supervisor started.",
             "# TYPE service_restarts_total counter"]
    lines += [f'service_restarts_total{{service="{_label(name)}"}} {int(record.get("restarts", 0))}'
              for name, record in records]
    lines += ["# HELP service_given_up 1 when the supervisor gave up restarting the process (too many restarts).",
              "# TYPE service_given_up gauge"]
    lines += [f'service_given_up{{service="{_label(name)}"}} {int(bool(record.get("given_up")))}'
              for name, record in records]
    return lines


def load(path: Path) -> dict[str, Any]:
    """The supervisor's counts; empty when there is no supervisor (tests, a bridge started by hand) or the file
    is being replaced."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def restart_lines(data_dir: Path) -> list[str]:
    counts = load(data_dir / "logs" / "restarts.json")
    return metric_lines(counts) if counts else []
