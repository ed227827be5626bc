"""The Rasa REST channel, over HTTP (api/ never imports Rasa): send one customer message, get the bot's
replies, and pick out the machine-readable parts the action server adds (handoff signal, KB context)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


class BotUnavailable(RuntimeError):
    """Rasa did not answer in time, or answered with an error."""


@dataclass
class BotTurn:
    texts: list[tuple[str, list[dict[str, str]]]] = field(default_factory=list)  # (text, buttons)
    handoff: dict[str, Any] | None = None
    kb: dict[str, Any] | None = None


def parse_replies(replies: list[dict[str, Any]]) -> BotTurn:
    turn = BotTurn()
    for reply in replies:
        custom = reply.get("custom")
        if isinstance(custom, dict):
            if isinstance(custom.get("handoff"), dict):
                turn.handoff = custom["handoff"]
            if isinstance(custom.get("kb"), dict):
                turn.kb = custom["kb"]
        text = reply.get("text")
        if isinstance(text, str) and text.strip():
            buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                       for b in reply.get("buttons") or [] if isinstance(b, dict)]
            turn.texts.append((text, buttons))
    return turn


class RasaClient:
    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(timeout=timeout_s)

    async def send(self, sender: str, text: str) -> BotTurn:
        try:
            response = await self._client.post(f"{self.base_url}/webhooks/rest/webhook",
                                               json={"sender": sender, "message": text})
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BotUnavailable(f"Rasa at {self.base_url}: {exc.__class__.__name__}: {exc}") from exc
        if not isinstance(replies, list):
            raise BotUnavailable(f"Rasa at {self.base_url}: unexpected reply {str(replies)[:200]}")
        return parse_replies(replies)

    async def close(self) -> None:
        await self._client.aclose()
