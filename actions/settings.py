"""The action server's one settings object, read from the environment with embedded-mode defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    host: str = field(default_factory=lambda: os.environ.get("ACTIONS_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("ACTIONS_PORT", "5055")))
    data_dir: Path = field(default_factory=lambda: Path(os.environ.get("DATA_DIR", ROOT / "var")))
    nlu_data_dir: Path = field(default_factory=lambda: Path(os.environ.get("NLU_DATA_DIR", ROOT / "nlu_data")))
    endpoints_path: Path = field(
        default_factory=lambda: Path(os.environ.get("ENDPOINTS", ROOT / "bot" / "endpoints.yml"))
    )


settings = Settings()
