"""The action server's one settings object (extends ``common.settings.CommonSettings``), read from the
environment at start-up with embedded-mode defaults."""

from __future__ import annotations

from pathlib import Path

from common.settings import ROOT, CommonSettings, env


class Settings(CommonSettings):
    host: str = env("ACTIONS_HOST", "host", "127.0.0.1")
    port: int = env("ACTIONS_PORT", "port", 5055)
    nlu_data_dir: Path = ROOT / "nlu_data"
    endpoints_path: Path = env("ENDPOINTS", "endpoints_path", ROOT / "bot" / "endpoints.yml")


settings = Settings()
