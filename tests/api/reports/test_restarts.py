"""The supervisor's restart counts as Prometheus lines (api/reports/restarts.py), and on the bridge's /metrics."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from api.reports.restarts import load, metric_lines, restart_lines
from api.settings import Settings


def test_metric_lines_per_service_in_name_order() -> None:
    counts = {"rasa-2": {"restarts": 3, "given_up": True}, "bridge-1": {"restarts": 0, "given_up": False},
              'odd "name"': {"restarts": 1}, "not a record": 7}
    assert metric_lines(counts) == [
        "# HELP service_restarts_total Restarts of a supervised process since its supervisor started.",
        "# TYPE service_restarts_total counter",
        'service_restarts_total{service="bridge-1"} 0',
        'service_restarts_total{service="odd \\"name\\""} 1',
        'service_restarts_total{service="rasa-2"} 3',
        "# HELP service_given_up 1 when the supervisor gave up restarting the process (too many restarts).",
        "# TYPE service_given_up gauge",
        'service_given_up{service="bridge-1"} 0',
        'service_given_up{service="odd \\"name\\""} 0',
        'service_given_up{service="rasa-2"} 1',
    ]


def test_no_file_or_a_broken_one_gives_no_lines(tmp_path: Path) -> None:
    assert restart_lines(tmp_path) == []
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "restarts.json").write_text("{half", encoding="utf-8")
    assert load(tmp_path / "logs" / "restarts.json") == {} and restart_lines(tmp_path) == []
    (tmp_path / "logs" / "restarts.json").write_text(json.dumps({"actions-1": {"restarts": 2, "given_up": False}}))
    assert 'service_restarts_total{service="actions-1"} 2' in restart_lines(tmp_path)


def test_metrics_shows_the_supervisors_counts(client: TestClient, settings: Settings) -> None:
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "restarts.json").write_text(json.dumps({"rasa-1": {"restarts": 4, "given_up": False}}))
    text = client.get("/metrics").text
    assert 'service_restarts_total{service="rasa-1"} 4' in text and 'service_given_up{service="rasa-1"} 0' in text
