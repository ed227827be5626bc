"""Issue 12, finding 10 (the workbench): a one-line edit of a KB entry is a one-line diff in the file and the
audit — the KB sources indent their top-level list differently from the lists inside an entry, which one
ruamel indentation setting cannot keep, so only the edited entry is rewritten — and the model table knows a
model trained outside the workbench: when it was written and the held-out scores of ``make test``."""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import shutil
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from api.workbench.kb_files import KbFiles, _yaml
from api.workbench.training import Trainer, TrainingPaths
from api.workbench.yaml_splice import entry_blocks, splice_entry
from kb_index.settings import KbSettings

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = sorted((ROOT / "kb_index" / "faq").glob("*.yml"))


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_entry_round_trips_byte_for_byte(path: Path) -> None:
    original = path.read_text(encoding="utf-8")
    data = _yaml().load(original)
    assert len(entry_blocks(original.split("\n"))) == len(data["entries"])
    for item in data["entries"]:
        assert splice_entry(original, str(item["id"]), item, _yaml) == original


def test_a_new_similar_question_is_a_one_line_diff(tmp_path: Path) -> None:
    faq = tmp_path / "faq"
    shutil.copytree(ROOT / "kb_index" / "faq", faq)
    files = KbFiles(KbSettings(faq_dir=faq, data_dir=tmp_path / "var"), lambda: None)  # type: ignore[arg-type,return-value]
    files.rebuild = lambda: None  # type: ignore[method-assign]  # no index here
    area, entry = files.find("cards_accounts-001")
    before = (faq / f"{area}.yml").read_text(encoding="utf-8")
    edited = dataclasses.replace(entry, similar=(*entry.similar, "我的卡不见了怎么办"))
    diff = files.save(edited, area, "trainer", False)
    after = (faq / f"{area}.yml").read_text(encoding="utf-8")
    changed = changed_lines(before, after)
    assert changed[0] == "+    - 我的卡不见了怎么办"
    assert all(line.lstrip("+-").lstrip().startswith("updated_") for line in changed[1:])  # and its stamp
    assert len([line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]) \
        == len(changed) <= 5
    assert YAML(typ="safe").load(after)["entries"][0]["similar"][-1] == "我的卡不见了怎么办"


def test_a_model_trained_outside_the_workbench_has_its_time_and_scores(tmp_path: Path) -> None:
    models, reports = tmp_path / "models", tmp_path / "reports"
    models.mkdir()
    reports.mkdir()
    (models / "bot.tar.gz").write_bytes(b"model")
    paths = TrainingPaths(project=tmp_path, models=models, rasa_venv=tmp_path, heldout=tmp_path, oos=tmp_path)
    trainer = Trainer(paths, None, 0.02)  # type: ignore[arg-type]
    (only,) = trainer.models()
    assert only["name"] == "bot" and only["active"] and only["created_at"] and only["accuracy"] is None
    report = reports / "nlu_heldout.json"
    report.write_text(json.dumps({"accuracy": 0.965, "macro_f1": 0.96}), encoding="utf-8")
    (only,) = trainer.models()
    assert (only["accuracy"], only["macro_f1"]) == (0.965, 0.96)
    old = time.time() - 3600
    os.utime(report, (old, old))  # an evaluation of an older model says nothing about this one
    assert trainer.models()[0]["accuracy"] is None
