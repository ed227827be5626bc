"""A Rasa the supervisor restarts serves the model the trainer last deployed (``registry.json``'s active one),
not the file `make train` wrote: a crash must never silently roll customers back to an older model."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("supervise", ROOT / "scripts" / "supervise.py")
assert _spec is not None and _spec.loader is not None
supervise: Any = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("supervise", supervise)
_spec.loader.exec_module(supervise)


def argv(model: Path) -> list[str]:
    return ["python", "-m", "bot.serve", "--model", str(model), "--enable-api", "-p", "5005"]


def test_the_deployed_model_replaces_the_trained_one(tmp_path: Path) -> None:
    base, deployed = tmp_path / "bot.tar.gz", tmp_path / "20261201-120000.tar.gz"
    base.write_bytes(b"m0")
    deployed.write_bytes(b"m1")
    (tmp_path / "registry.json").write_text(json.dumps({"active": "20261201-120000", "models": [
        {"name": "bot", "path": str(base)}, {"name": "20261201-120000", "path": str(deployed)}]}))
    assert supervise.active_model(argv(base)) == argv(deployed)


def test_without_a_usable_registry_the_command_is_unchanged(tmp_path: Path) -> None:
    base = tmp_path / "bot.tar.gz"
    base.write_bytes(b"m0")
    assert supervise.active_model(argv(base)) == argv(base)  # no registry: `make train`'s model
    registry = tmp_path / "registry.json"
    registry.write_text("{not json")
    assert supervise.active_model(argv(base)) == argv(base)
    registry.write_text(json.dumps({"active": "gone", "models": [{"name": "gone", "path": str(tmp_path / "x")}]}))
    assert supervise.active_model(argv(base)) == argv(base)  # the active model's file was pruned
    registry.write_text(json.dumps({"active": None, "models": []}))
    assert supervise.active_model(argv(base)) == argv(base)
    assert supervise.active_model(["python", "-m", "actions.server"]) == ["python", "-m", "actions.server"]
