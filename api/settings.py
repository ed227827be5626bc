"""The bridge's one settings object (extends ``common.settings.CommonSettings``), read from the environment and
validated at start-up, with embedded-mode (development) defaults."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from api.compliance.addresses import parse_networks
from api.surge.levels import SurgeRules
from common.service_auth import weak_secrets
from common.settings import ROOT, CommonSettings, env


def parse_hours(value: str) -> tuple[dt.time, dt.time]:
    """``HH:MM-HH:MM``; equal ends mean around the clock."""
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError as exc:
        raise ValueError(f"SERVICE_HOURS={value!r}: expected HH:MM-HH:MM") from exc
    return start, end


class Settings(CommonSettings):
    model_config = SettingsConfigDict(hide_input_in_errors=True)  # a start-up error must not print a secret

    database_url: str = Field(default="", repr=False)  # may carry a password: never printed
    # several bridge processes (api/cluster/): redis://:PASSWORD@host:6379/0 shares the WebSocket events, presence,
    # rate limits and the periodic jobs' lease; empty = one process, everything in its memory (the embedded mode)
    redis_url: str = Field(default="", repr=False)
    cluster_lease_s: float = Field(default=10.0, gt=0)  # the periodic jobs' runner: another takes over after this
    presence_ttl_s: float = Field(default=15.0, gt=0)  # a process that stops refreshing its sockets is gone after
    tick_interval_s: float = Field(default=5.0, gt=0)  # the queue tick and the other periodic jobs
    rasa_url: str = "http://127.0.0.1:5005"
    # several Rasa workers (the cluster): comma-separated; empty = RASA_URL alone (api/rasa_client.py spreads the
    # traffic and skips a worker that is down)
    rasa_urls: Annotated[tuple[str, ...], NoDecode] = Field(default=(), validate_default=True)
    rasa_timeout_s: float = 10.0
    # Rasa's HTTP API (deploys, test console) wants a JWT signed with RASA_JWT_SECRET; the customer channel wants
    # RASA_CHANNEL_SECRET in a header (common/service_auth.py). Required outside development.
    rasa_jwt_secret: str = Field(default="", repr=False)
    rasa_channel_secret: str = Field(default="", repr=False)
    rasa_webhook_path: str = "/webhooks/rest/webhook"
    demo_password: str = "demo"
    token_ttl_s: int = 12 * 3600
    queue_timeout_s: int = 300
    default_handle_time_s: int = 180
    service_hours: str = "00:00-00:00"
    agent_grace_s: float = 60
    # a customer without a socket and silent this long is away (not assigned); queued and away this long, they
    # leave the queue (abandoned)
    customer_away_s: float = 30
    queue_abandon_s: float = 120
    long_wait_s: int = 20 * 60  # the supervisor sees waits this long highlighted
    # Fernet key(s) encrypting 留言 callback numbers at rest (api/store/encryption.py); required outside
    # development, where a key is generated once under DATA_DIR/secrets
    callback_key: str = Field(default="", repr=False)
    retention_days: int = 180
    max_message_chars: int = 1000
    sensitive_words_file: Path = ROOT / "api" / "sensitive_words.yml"
    rate_ip_per_min: float = env("RATE_LIMIT_IP_PER_MIN", "rate_ip_per_min", 1200)
    rate_conversation_per_min: float = env("RATE_LIMIT_CONVERSATION_PER_MIN", "rate_conversation_per_min", 30)
    max_body_bytes: int = 64 * 1024
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # the edge (api/compliance/guards.py, addresses.py, serving.py; README "Compliance and security")
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()  # X-Forwarded-For is read only from these
    internal_networks: Annotated[tuple[str, ...], NoDecode] = ("127.0.0.0/8", "::1/128")  # /metrics, /docs
    hsts: bool = False  # Strict-Transport-Security on every answer (always sent to https clients)
    token_guesses_per_min: float = 30  # failed credentials (401, refused sockets) per address
    ws_max_per_address: int = 50
    ws_recheck_s: float = 15  # an open socket's login is checked again this often (and at its expiry)
    login_failures_per_user: int = 5
    login_failures_per_address: int = 20
    login_window_s: float = 900
    login_lockout_s: float = 900
    header_timeout_s: float = 10
    body_timeout_s: float = 30
    keep_alive_s: float = 5
    project_dir: Path = env("TRAINER_PROJECT_DIR", "project_dir", ROOT)
    max_accuracy_drop: float = 0.02
    keep_models: int = 5
    kb_suggestions: bool = env("AGENT_KB_SUGGESTIONS", "kb_suggestions", True)
    # quality review (api/quality/): the versioned checklist new reviews are opened with
    quality_checklist_file: Path = ROOT / "api" / "quality" / "checklist.yml"
    quality_daily_sample: bool = True  # yesterday's routine and targeted sample, once a day, from the ticker
    # maker-checker (api/workbench/approvals.py): a trainer's change to what the bot says waits for a second
    # person's approval; None = on outside development, off in development (the demo and its tests edit alone)
    maker_checker: bool | None = None
    # the two-level surge response (api/surge/): entry and exit thresholds per level, as JSON in SURGE
    surge: SurgeRules = SurgeRules()
    # the KPI reports (api/reports/kpis.py): 人工接通率 counts requests accepted within this many seconds; a 留言
    # is called back on time within this many hours; days are cut at local midnight (UTC+8: no daylight saving)
    report_connect_within_s: float = Field(default=60.0, gt=0)
    report_callback_sla_h: float = Field(default=24.0, gt=0)
    report_utc_offset_h: float = Field(default=8.0, ge=-12, le=14)
    # the NPS programme and the feedback loop (api/feedback/): the share of bot-only chats asked the survey when
    # the customer ends them, the days a customer is not asked again, and the categories/routing file
    nps_bot_sample_rate: float = Field(default=0.0, ge=0, le=1)  # off unless set (e.g. 0.2)
    nps_quiet_days: float = Field(default=30, ge=0)
    feedback_file: Path = ROOT / "api" / "feedback" / "categories.yml"

    @field_validator("cors_origins", "trusted_proxies", "internal_networks", "rasa_urls", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(o.strip() for o in value.split(",") if o.strip())
        return value

    @field_validator("trusted_proxies", "internal_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        parse_networks(value)  # an address or network that does not parse stops the start-up, named
        return value

    @field_validator("service_hours")
    @classmethod
    def _valid_hours(cls, value: str) -> str:
        parse_hours(value)
        return value

    @field_validator("rasa_urls")
    @classmethod
    def _rasa_urls_default(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        return value or (str(info.data.get("rasa_url", "")),)

    @model_validator(mode="after")
    def _rasa_secrets_outside_development(self) -> Settings:
        weak = weak_secrets({"RASA_JWT_SECRET": self.rasa_jwt_secret, "RASA_CHANNEL_SECRET": self.rasa_channel_secret})
        if weak and not self.development:
            raise ValueError(f"{', '.join(weak)} must be set (at least 32 characters) outside development")
        return self

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        """A Redis URL the client understands; the error never shows it (it holds the password)."""
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("REDIS_URL must be redis://:PASSWORD@host:port/db (or rediss://, unix://)")
        return value

    @model_validator(mode="after")
    def _redis_password_outside_development(self) -> Settings:
        from api.cluster.connection import has_password

        if self.redis_url and not self.development and not has_password(self.redis_url):
            raise ValueError("REDIS_URL must carry the Redis password (redis://:PASSWORD@host:port/db) outside "
                             "development")
        return self

    @field_validator("callback_key")
    @classmethod
    def _fernet_keys(cls, value: str) -> str:
        """A malformed key stops the start naming CALLBACK_KEY, never showing it; a missing one is refused when
        the bridge starts outside development (api.store.encryption)."""
        from api.store.encryption import parse_keys

        parse_keys(value)
        return value

    @property
    def maker_checker_on(self) -> bool:
        return (not self.development) if self.maker_checker is None else self.maker_checker

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'bridge' / 'bridge.db'}"

    def in_service_hours(self, now: dt.datetime) -> bool:
        start, end = parse_hours(self.service_hours)
        if start == end:
            return True
        t = now.time()
        return start <= t < end if start < end else (t >= start or t < end)
