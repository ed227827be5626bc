"""One settings base for every process: read from the environment, validated at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from actions.settings import Settings as ActionSettings
from api.settings import Settings as BridgeSettings
from common.service_auth import SECRET_NAMES
from common.settings import ROOT
from kb_index.settings import KbSettings


def test_every_process_reads_data_dir_and_app_env_the_same_way(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("APP_ENV", "production")
    for name in SECRET_NAMES:  # outside development the bridge and the action server refuse to start without them
        monkeypatch.setenv(name, "s" * 32)
    for settings in (BridgeSettings(), KbSettings(), ActionSettings()):
        assert settings.data_dir == tmp_path
        assert not settings.development
    monkeypatch.delenv("DATA_DIR")
    monkeypatch.delenv("APP_ENV")
    for settings in (BridgeSettings(), KbSettings(), ActionSettings()):
        assert settings.data_dir == ROOT / "var"
        assert settings.development


def test_a_bad_value_stops_start_up_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_HOURS", "9点到17点")
    with pytest.raises(ValidationError, match="SERVICE_HOURS"):
        BridgeSettings()
    monkeypatch.delenv("SERVICE_HOURS")
    monkeypatch.setenv("KB_ANSWER_THRESHOLD", "high")
    with pytest.raises(ValidationError, match="KB_ANSWER_THRESHOLD"):
        KbSettings()
    monkeypatch.setenv("RATE_LIMIT_IP_PER_MIN", "lots")
    with pytest.raises(ValidationError, match="RATE_LIMIT_IP_PER_MIN"):
        BridgeSettings()


def test_renamed_variables_lists_and_empty_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_KB_SUGGESTIONS", "0")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example,")
    monkeypatch.setenv("KB_ANSWER_THRESHOLD", "")  # empty counts as unset
    monkeypatch.setenv("ACTIONS_PORT", "6055")
    bridge = BridgeSettings()
    assert bridge.kb_suggestions is False
    assert bridge.cors_origins == ("https://a.example", "https://b.example")
    assert KbSettings().answer_threshold == KbSettings.model_fields["answer_threshold"].default
    assert ActionSettings().port == 6055
    # code may still name fields directly (tests, tools), and settings are immutable
    explicit = BridgeSettings(kb_suggestions=True, rate_ip_per_min=5)
    assert explicit.kb_suggestions and explicit.rate_ip_per_min == 5
    with pytest.raises(ValidationError):
        explicit.rate_ip_per_min = 6


def test_errors_name_the_environment_variable_of_plain_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_BODY_BYTES", "64k")
    with pytest.raises(ValidationError, match="MAX_BODY_BYTES"):
        BridgeSettings()
