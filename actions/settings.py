"""The action server's one settings object (extends ``common.settings.CommonSettings``), read from the
environment at start-up with embedded-mode defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from common.service_auth import MIN_SECRET_CHARS
from common.settings import ROOT, CommonSettings, env


class Settings(CommonSettings):
    model_config = SettingsConfigDict(hide_input_in_errors=True)  # a start-up error must not print the secret

    host: str = env("ACTIONS_HOST", "host", "127.0.0.1")
    port: int = env("ACTIONS_PORT", "port", 5055)
    nlu_data_dir: Path = ROOT / "nlu_data"
    endpoints_path: Path = env("ENDPOINTS", "endpoints_path", ROOT / "bot" / "endpoints.yml")
    # the branch directory the bank provides (actions/branches.py); the shipped file is a demo for development
    branches_path: Path = env("BRANCHES_PATH", "branches_path", ROOT / "actions" / "data" / "branches.yml")
    # the app's card-loss page (an https deep link / universal link) offered as a button after card loss; "" = none
    card_loss_url: str = env("CARD_LOSS_URL", "card_loss_url", "")
    # the header Rasa sends on every call (bot/endpoints.yml); the server refuses to start without it
    secret: str = env("ACTIONS_SECRET", "secret", "", repr=False)

    @model_validator(mode="after")
    def _secret_outside_development(self) -> Settings:
        if not self.development and len(self.secret) < MIN_SECRET_CHARS:
            raise ValueError(f"ACTIONS_SECRET must be set (at least {MIN_SECRET_CHARS} characters) outside "
                             "development")
        return self


settings = Settings()
