"""Test stories (tests/stories/) through `rasa test core` on the trained model: forms, digressions, safety."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("DATA_DIR", ROOT / "var"))


def test_stories_pass(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
           "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook", "ACTIONS_SECRET": "unused-no-action-server"}
    rasa = Path(sys.executable).parent / "rasa"
    # the tracker store writes under tmp_path; the KB arbitration policy reads the KB index in service
    # ($DATA_DIR/kb/current, built by `make test` before the suite), which tests/stories/test_kb_arbitration.yml needs
    assert (DATA_DIR / "kb" / "current").exists(), "build the KB index first (make $(KB_INDEX), part of make test)"
    (tmp_path / "kb").symlink_to((DATA_DIR / "kb").resolve(), target_is_directory=True)
    proc = subprocess.run(
        [str(rasa), "test", "core", "--model", str(DATA_DIR / "models" / "bot.tar.gz"), "--stories", "tests/stories",
         "--endpoints", "bot/endpoints.yml", "--out", str(tmp_path), "--fail-on-prediction-errors"],
        cwd=ROOT, env={**env, "DATA_DIR": str(tmp_path)}, capture_output=True, text=True, timeout=600,
    )
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:] + detail
    assert "# None of the test stories failed" in detail or not detail.strip()
