"""Service authentication without servers: the JWT the bridge signs for Rasa, the secret comparison, and every
process refusing to start without its secrets outside development (the run script before anything starts)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.service_auth import (
    CHANNEL_SECRET_HEADER,
    SECRET_NAMES,
    channel_headers,
    rasa_api_headers,
    rasa_jwt,
    secret_matches,
    weak_secrets,
)

ROOT = Path(__file__).resolve().parents[2]
RASA_PY = ROOT / ".venvs" / "rasa" / "bin" / "python"
SECRET = "k" * 40


def _decode(token: str, secret: str) -> dict[str, object]:
    header, payload, signature = token.split(".")
    expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "==") == expected
    return dict(json.loads(base64.urlsafe_b64decode(payload + "==")))


def test_the_jwt_is_hs256_signed_short_lived_and_admin() -> None:
    token = rasa_jwt(SECRET, now=1_000_000)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert _decode(token, SECRET) == {"user": {"username": "bridge", "role": "admin"}, "iat": 1_000_000,
                                      "exp": 1_000_300}
    with pytest.raises(AssertionError):
        _decode(token, "other" * 8)
    assert rasa_api_headers(SECRET)["Authorization"].startswith("Bearer ey")
    assert rasa_api_headers("") == {} and channel_headers("") == {}
    assert channel_headers(SECRET) == {CHANNEL_SECRET_HEADER: SECRET}


def test_secrets_compare_exactly_and_an_empty_secret_admits_nobody() -> None:
    assert secret_matches(SECRET, SECRET)
    assert not secret_matches(SECRET[:-1], SECRET) and not secret_matches(SECRET + "k", SECRET)
    assert not secret_matches(None, SECRET) and not secret_matches("", "") and not secret_matches(None, "")
    assert weak_secrets({"A": SECRET, "B": "short", "C": ""}) == ["B", "C"]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_NAMES}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def test_the_run_script_refuses_to_start_outside_development_without_secrets(tmp_path: Path) -> None:
    for args in ([], ["env"]):
        proc = subprocess.run([str(ROOT / "scripts" / "run_services.sh"), *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=30, env=_clean_env(APP_ENV="production", DATA_DIR=str(tmp_path)))
        assert proc.returncode == 2 and "RASA_JWT_SECRET" in proc.stderr and "ACTIONS_SECRET" in proc.stderr
    assert not (tmp_path / "logs").exists() and not (tmp_path / "secrets").exists()  # nothing started


def test_development_secrets_are_random_private_and_shared_by_the_make_targets(tmp_path: Path) -> None:
    def env_lines() -> str:
        return subprocess.run([str(ROOT / "scripts" / "run_services.sh"), "env"], cwd=ROOT, capture_output=True,
                              text=True, timeout=30, check=True, env=_clean_env(DATA_DIR=str(tmp_path))).stdout

    first = env_lines()
    values = dict(line.removeprefix("export ").split("=", 1) for line in first.splitlines())
    assert sorted(values) == sorted(SECRET_NAMES) and len(set(values.values())) == 3
    assert all(len(v) == 64 and int(v, 16) >= 0 for v in values.values())
    assert env_lines() == first  # `make rasa` and `make actions` in two terminals get the same
    assert (tmp_path / "secrets").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "secrets" / "services.env").stat().st_mode & 0o777 == 0o600


def test_the_action_server_refuses_to_start_without_its_secret() -> None:
    production = subprocess.run([sys.executable, "-c", "import actions.settings"], cwd=ROOT, capture_output=True,
                                text=True, timeout=60, env=_clean_env(APP_ENV="production"))
    assert production.returncode != 0 and "ACTIONS_SECRET" in production.stderr
    short = subprocess.run([sys.executable, "-c", "import actions.settings"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60, env=_clean_env(APP_ENV="production", ACTIONS_SECRET="tooshort"))
    assert short.returncode != 0 and "tooshort" not in short.stderr  # the error does not print the secret
    development = subprocess.run([sys.executable, "-m", "actions.server"], cwd=ROOT, capture_output=True,
                                 text=True, timeout=120, env=_clean_env(ACTIONS_PORT="9"))
    assert development.returncode != 0 and "refusing to start" in development.stderr


@pytest.mark.skipif(not RASA_PY.exists(), reason="the Rasa venv is not installed")
def test_the_rasa_server_refuses_to_start_without_its_secrets() -> None:
    proc = subprocess.run([str(RASA_PY), "-m", "bot.serve", "--enable-api"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=_clean_env(RASA_JWT_SECRET=SECRET))
    assert proc.returncode == 2 and "RASA_CHANNEL_SECRET" in proc.stderr and "ACTIONS_SECRET" in proc.stderr


def test_the_bridge_refuses_to_start_without_the_rasa_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from api.settings import Settings

    for name in SECRET_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("RASA_JWT_SECRET", "tooshort")
    with pytest.raises(ValidationError, match="RASA_JWT_SECRET, RASA_CHANNEL_SECRET") as refused:
        Settings()
    assert "tooshort" not in str(refused.value)
    monkeypatch.setenv("RASA_JWT_SECRET", SECRET)
    monkeypatch.setenv("RASA_CHANNEL_SECRET", SECRET)
    settings = Settings()
    assert settings.rasa_channel_secret == SECRET and SECRET not in repr(settings)
    monkeypatch.setenv("APP_ENV", "development")
    for name in SECRET_NAMES:
        monkeypatch.delenv(name, raising=False)
    assert Settings().rasa_jwt_secret == ""  # development: the run script supplies them
