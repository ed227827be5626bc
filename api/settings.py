"""The bridge's one settings object (extends ``common.settings.CommonSettings``), read from the environment and
validated at start-up, with embedded-mode (development) defaults."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from pydantic import field_validator
from pydantic_settings import NoDecode

from common.settings import ROOT, CommonSettings, env


def parse_hours(value: str) -> tuple[dt.time, dt.time]:
    """``HH:MM-HH:MM``; equal ends mean around the clock."""
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError as exc:
        raise ValueError(f"SERVICE_HOURS={value!r}: expected HH:MM-HH:MM") from exc
    return start, end


class Settings(CommonSettings):
    database_url: str = ""
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_s: float = 10.0
    demo_password: str = "demo"
    token_ttl_s: int = 12 * 3600
    queue_timeout_s: int = 300
    default_handle_time_s: int = 180
    service_hours: str = "00:00-00:00"
    agent_grace_s: float = 60
    retention_days: int = 180
    max_message_chars: int = 1000
    sensitive_words_file: Path = ROOT / "api" / "sensitive_words.yml"
    rate_ip_per_min: float = env("RATE_LIMIT_IP_PER_MIN", "rate_ip_per_min", 1200)
    rate_conversation_per_min: float = env("RATE_LIMIT_CONVERSATION_PER_MIN", "rate_conversation_per_min", 30)
    max_body_bytes: int = 64 * 1024
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    project_dir: Path = env("TRAINER_PROJECT_DIR", "project_dir", ROOT)
    max_accuracy_drop: float = 0.02
    keep_models: int = 5
    kb_suggestions: bool = env("AGENT_KB_SUGGESTIONS", "kb_suggestions", True)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(o.strip() for o in value.split(",") if o.strip())
        return value

    @field_validator("service_hours")
    @classmethod
    def _valid_hours(cls, value: str) -> str:
        parse_hours(value)
        return value

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'bridge' / 'bridge.db'}"

    def in_service_hours(self, now: dt.datetime) -> bool:
        start, end = parse_hours(self.service_hours)
        if start == end:
            return True
        t = now.time()
        return start <= t < end if start < end else (t >= start or t < end)
