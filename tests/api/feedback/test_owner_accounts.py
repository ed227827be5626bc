"""Owner accounts from the command line: ``create-user --role owner --team`` ties the owner to a team (one of
the categories file's), and they then see that team's queue."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as cli_main
from api.settings import Settings
from tests.api.conftest import ScriptedRasa, Staff


def test_create_an_owner_with_a_team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("NEW_USER_PASSWORD", "alice-pass")
    assert cli_main(["create-user", "bob", "--role", "owner", "--team", "火星部"]) == 2
    assert "unknown team 火星部" in capsys.readouterr().err
    assert cli_main(["create-user", "alice", "--role", "owner", "--team", "金融科技部", "--skills", "通用"]) == 0
    assert "team 金融科技部" in capsys.readouterr().out
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass")
    with TestClient(create_app(settings, ScriptedRasa())) as client:  # type: ignore[arg-type]
        alice = Staff(client, "alice", "alice-pass")
        assert alice.role == "owner" and alice.get("/api/v1/feedback/items")["team"] == "金融科技部"
        r = client.post("/api/v1/auth/login", json={"username": "bob", "password": "alice-pass"})
        assert r.status_code == 401  # never created
