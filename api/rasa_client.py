"""The Rasa server, over HTTP (api/ never imports Rasa): every call the bridge makes to it is here, so
transport concerns (timeouts, authentication headers) live in one place.

* :meth:`RasaClient.send` — one customer message through the REST channel; the bot's replies with the
  machine-readable parts the action server adds (handoff signal, KB context) picked out;
* :meth:`RasaClient.parse` — NLU only (``/model/parse``), for the workbench's test console;
* :meth:`RasaClient.replace_model` — hot-swap the model in service (``PUT /model``), for the trainer's deploy
  job (blocking: it runs in the job's thread);
* :meth:`RasaClient.erase_conversation` — a deletion request or the retention purge: the conversation's tracker
  replaced by an empty one (``PUT /conversations/{id}/tracker/events`` with ``[]``), which the tracker store
  (bot/tracker_store.py) turns into deleting its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from common.service_auth import channel_headers, rasa_api_headers

DEPLOY_TIMEOUT_S = 300.0  # loading a model takes Rasa a while


class BotUnavailable(RuntimeError):
    """Rasa did not answer in time, or answered with an error; ``reason`` is short enough to show staff."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


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
    def __init__(self, base_url: str, timeout_s: float, jwt_secret: str = "", channel_secret: str = "",
                 webhook_path: str = "/webhooks/rest/webhook") -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(timeout=timeout_s)
        # the customer channel wants the channel secret, the HTTP API a JWT (common/service_auth.py)
        self._jwt_secret, self._channel_secret, self._webhook_path = jwt_secret, channel_secret, webhook_path

    def _headers(self, path: str) -> dict[str, str]:
        if path == self._webhook_path:
            return channel_headers(self._channel_secret)
        return rasa_api_headers(self._jwt_secret)

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        try:
            response = await self._client.post(f"{self.base_url}{path}", json=body, headers=self._headers(path))
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BotUnavailable(f"Rasa at {self.base_url}: {exc.__class__.__name__}: {exc}",
                                 exc.__class__.__name__) from exc

    async def send(self, sender: str, text: str) -> BotTurn:
        replies = await self._post(self._webhook_path, {"sender": sender, "message": text})
        if not isinstance(replies, list):
            raise BotUnavailable(f"Rasa at {self.base_url}: unexpected reply {str(replies)[:200]}", "unexpected reply")
        return parse_replies(replies)

    async def parse(self, text: str) -> dict[str, Any]:
        """Rasa's NLU result for ``text``: ``intent``, ``intent_ranking``, ``entities`` (as Rasa sends them)."""
        parsed = await self._post("/model/parse", {"text": text})
        if not isinstance(parsed, dict):
            raise BotUnavailable(f"Rasa at {self.base_url}: unexpected parse {str(parsed)[:200]}", "unexpected reply")
        return parsed

    def replace_model(self, model_file: Path) -> None:
        """Load ``model_file`` into the running server; conversations keep going. RuntimeError (which the
        deploy job reports) when Rasa refuses it."""
        response = httpx.put(f"{self.base_url}/model", json={"model_file": str(model_file.resolve())},
                             timeout=DEPLOY_TIMEOUT_S, headers=self._headers("/model"))
        if response.status_code >= 300:
            raise RuntimeError(f"Rasa refused the model: HTTP {response.status_code} {response.text[:200]}")

    async def erase_conversation(self, sender: str) -> None:
        """Erase everything Rasa stores for the conversation ``sender`` (see the module docstring);
        :class:`BotUnavailable` when Rasa does not confirm it."""
        path = f"/conversations/{quote(sender, safe='')}/tracker/events"
        try:
            response = await self._client.put(f"{self.base_url}{path}", json=[], headers=self._headers(path))
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise BotUnavailable(f"Rasa at {self.base_url}: erasing failed: {exc.__class__.__name__}",
                                 exc.__class__.__name__) from exc

    async def close(self) -> None:
        await self._client.aclose()
