"""The settings base every process extends (bridge, action server, KB tools): typed, read from the environment
once at start-up and validated there, so a bad value stops the process with the variable's name instead of
failing at first use. Embedded-mode (development) defaults; empty variables count as unset.

Each process's settings class extends ``CommonSettings`` and adds its own fields. A field whose environment
variable is not simply its upper-cased name names it with ``env(...)``; the field name itself is still accepted
as a keyword, so tests write ``Settings(data_dir=tmp_path)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, AliasGenerator, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEVELOPMENT = "development"


def env(name: str, field: str, default: Any = ..., **kwargs: Any) -> Any:
    """A field read from ``$name`` (or given as ``field=`` in code)."""
    return Field(default, validation_alias=AliasChoices(name, field), **kwargs)


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True, populate_by_name=True, extra="ignore", env_ignore_empty=True,
        # errors name the environment variable (``MAX_BODY_BYTES``), not the Python field
        alias_generator=AliasGenerator(validation_alias=lambda field: AliasChoices(field.upper(), field)))

    data_dir: Path = ROOT / "var"
    environment: str = env("APP_ENV", "environment", DEVELOPMENT)

    @property
    def development(self) -> bool:
        return self.environment == DEVELOPMENT
