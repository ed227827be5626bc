"""The bridge's one settings object, from the environment, with embedded-mode (development) defaults."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from kb_index.settings import env_number

ROOT = Path(__file__).resolve().parent.parent


def _env_int(name: str, default: int) -> int:
    return int(env_number(name, default, int))


def _env_float(name: str, default: float) -> float:
    return env_number(name, default)


def _hours(value: str) -> tuple[dt.time, dt.time]:
    """``HH:MM-HH:MM``; equal ends mean around the clock."""
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError as exc:
        raise ValueError(f"SERVICE_HOURS={value!r}: expected HH:MM-HH:MM") from exc
    return start, end


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("DATA_DIR", ROOT / "var")))
    database_url: str = field(default_factory=lambda: os.environ.get("DATABASE_URL", ""))
    rasa_url: str = field(default_factory=lambda: os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    rasa_timeout_s: float = field(default_factory=lambda: _env_float("RASA_TIMEOUT_S", 10.0))
    environment: str = field(default_factory=lambda: os.environ.get("APP_ENV", "development"))
    demo_password: str = field(default_factory=lambda: os.environ.get("DEMO_PASSWORD", "demo"))
    token_ttl_s: int = field(default_factory=lambda: _env_int("TOKEN_TTL_S", 12 * 3600))
    queue_timeout_s: int = field(default_factory=lambda: _env_int("QUEUE_TIMEOUT_S", 300))
    default_handle_time_s: int = field(default_factory=lambda: _env_int("DEFAULT_HANDLE_TIME_S", 180))
    service_hours: str = field(default_factory=lambda: os.environ.get("SERVICE_HOURS", "00:00-00:00"))
    agent_grace_s: float = field(default_factory=lambda: _env_float("AGENT_GRACE_S", 60))
    retention_days: int = field(default_factory=lambda: _env_int("RETENTION_DAYS", 180))
    max_message_chars: int = field(default_factory=lambda: _env_int("MAX_MESSAGE_CHARS", 1000))
    sensitive_words_file: Path = field(default_factory=lambda: Path(
        os.environ.get("SENSITIVE_WORDS_FILE", ROOT / "api" / "sensitive_words.yml")))
    rate_ip_per_min: float = field(default_factory=lambda: _env_float("RATE_LIMIT_IP_PER_MIN", 1200))
    rate_conversation_per_min: float = field(default_factory=lambda: _env_float("RATE_LIMIT_CONVERSATION_PER_MIN", 30))
    max_body_bytes: int = field(default_factory=lambda: _env_int("MAX_BODY_BYTES", 64 * 1024))
    cors_origins: tuple[str, ...] = field(default_factory=lambda: tuple(
        o.strip() for o in os.environ.get("CORS_ORIGINS", "").split(",") if o.strip()))
    project_dir: Path = field(default_factory=lambda: Path(os.environ.get("TRAINER_PROJECT_DIR", ROOT)))
    max_accuracy_drop: float = field(default_factory=lambda: _env_float("MAX_ACCURACY_DROP", 0.02))
    keep_models: int = field(default_factory=lambda: _env_int("KEEP_MODELS", 5))
    kb_suggestions: bool = field(default_factory=lambda: os.environ.get("AGENT_KB_SUGGESTIONS", "1") != "0")

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'bridge' / 'bridge.db'}"

    def in_service_hours(self, now: dt.datetime) -> bool:
        start, end = _hours(self.service_hours)
        if start == end:
            return True
        t = now.time()
        return start <= t < end if start < end else (t >= start or t < end)
