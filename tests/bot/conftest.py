"""Fixtures for tests that load Rasa (run with the Python 3.10 venv: ``.venvs/rasa/bin/python -m pytest tests/bot``)."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any, Callable, Dict, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = Path(os.environ.get("DATA_DIR", ROOT / "var")) / "models" / "bot.tar.gz"


@pytest.fixture(scope="session")
def event_loop_session() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def parse(event_loop_session: asyncio.AbstractEventLoop) -> Callable[[str], Dict[str, Any]]:
    """Parse a message with the trained model's NLU pipeline (``make train`` builds it)."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it)")
    agent = Agent.load(str(MODEL))

    def _parse(text: str) -> Dict[str, Any]:
        return event_loop_session.run_until_complete(agent.parse_message(text))

    return _parse
