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

Several Rasa workers (``RASA_URLS``, the cluster: README "Scale-out: the cluster"): they share the tracker store
(PostgreSQL) and the lock store (Redis), so any worker can take any message. A customer's messages go to the
worker picked by a hash of the conversation id (one conversation normally queues at one worker), NLU parses
round-robin. A worker that refuses the connection, does not accept it within ``CONNECT_TIMEOUT_S`` or answers
5xx is marked down for ``DOWN_FOR_S`` (tried last meanwhile, then again in its turn) and the call goes to the
next worker within what is left of the call's time budget (``timeout_s``). A worker that took the request and
then failed (connection dropped, read timeout) is marked down but the message is **not** re-sent: it may already
be in the shared tracker, and sending it again would make the bot see it twice; the customer gets the bridge's
apology for that one message. A model deploy goes to every worker; an erasure to one (the store is shared).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from common.service_auth import channel_headers, rasa_api_headers

DEPLOY_TIMEOUT_S = 300.0  # loading a model takes Rasa a while
CONNECT_TIMEOUT_S = 1.0  # a worker on the same LAN accepts in milliseconds; longer means it is gone or stuck
DOWN_FOR_S = 5.0
# safe to send again elsewhere: the worker never got the request, or refused it without processing it
_NOT_TAKEN = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


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


def parse_urls(urls: str | Sequence[str]) -> list[str]:
    """``RASA_URLS`` (or one ``RASA_URL``): comma-separated, trailing slashes dropped, duplicates removed."""
    items = urls.split(",") if isinstance(urls, str) else list(urls)
    found: list[str] = []
    for item in (u.strip().rstrip("/") for u in items):
        if item and item not in found:
            found.append(item)
    if not found:
        raise ValueError("RASA_URLS: no Rasa URL given")
    return found


def attempt_order(urls: Sequence[str], first: int, down_until: dict[str, float], now: float) -> list[str]:
    """Every URL once, in the order to try them: from index ``first`` round the list, the ones not marked down
    (``down_until`` later than ``now``) first, then the marked ones, soonest back first."""
    rotated = [urls[(first + i) % len(urls)] for i in range(len(urls))]
    up = [u for u in rotated if down_until.get(u, 0.0) <= now]
    down = sorted((u for u in rotated if down_until.get(u, 0.0) > now), key=lambda u: down_until[u])
    return up + down


def sender_slot(sender: str, workers: int) -> int:
    """The worker index a conversation starts at: a stable hash (the same in every bridge process)."""
    return zlib.crc32(sender.encode("utf-8")) % workers


class RasaClient:
    def __init__(self, base_url: str | Sequence[str], timeout_s: float, jwt_secret: str = "",
                 channel_secret: str = "", webhook_path: str = "/webhooks/rest/webhook",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.urls = parse_urls(base_url)
        self.base_url = ", ".join(self.urls)  # what staff see in a deploy log
        self._timeout_s, self._clock = timeout_s, clock
        self._client = httpx.AsyncClient(timeout=timeout_s)
        self._down_until: dict[str, float] = {}
        self._turn = 0  # round-robin cursor for calls that are not a customer's
        # the customer channel wants the channel secret, the HTTP API a JWT (common/service_auth.py)
        self._jwt_secret, self._channel_secret, self._webhook_path = jwt_secret, channel_secret, webhook_path

    def _headers(self, path: str) -> dict[str, str]:
        if path == self._webhook_path:
            return channel_headers(self._channel_secret)
        return rasa_api_headers(self._jwt_secret)

    def _next_slot(self) -> int:
        self._turn = (self._turn + 1) % len(self.urls)
        return self._turn

    def down(self) -> list[str]:
        """The workers currently marked down (for health and tests)."""
        now = self._clock()
        return [u for u in self.urls if self._down_until.get(u, 0.0) > now]

    async def _call(self, method: str, path: str, body: Any, first: int) -> httpx.Response:
        """``method path`` on the first worker that takes it, within the time budget; BotUnavailable otherwise
        (the last worker's failure)."""
        deadline = self._clock() + self._timeout_s
        failure: tuple[str, Exception] | None = None
        for url in attempt_order(self.urls, first, self._down_until, self._clock()):
            left = deadline - self._clock()
            if left <= 0:
                break
            timeout = httpx.Timeout(left, connect=min(CONNECT_TIMEOUT_S, left))
            try:
                response = await self._client.request(method, f"{url}{path}", json=body, headers=self._headers(path),
                                                      timeout=timeout)
            except httpx.HTTPError as exc:
                self._down_until[url] = self._clock() + DOWN_FOR_S
                failure = (url, exc)
                if isinstance(exc, _NOT_TAKEN):
                    continue
                break
            if response.status_code >= 500:
                self._down_until[url] = self._clock() + DOWN_FOR_S
                failure = (url, httpx.HTTPStatusError(f"HTTP {response.status_code}", request=response.request,
                                                      response=response))
                continue
            self._down_until.pop(url, None)
            try:
                response.raise_for_status()
            except httpx.HTTPStatusError as exc:
                raise BotUnavailable(f"Rasa at {url}: {exc.__class__.__name__}: {exc}", exc.__class__.__name__) from exc
            return response
        if failure is None:
            raise BotUnavailable(f"Rasa ({self.base_url}): no time left to try a worker", "timeout")
        url, error = failure
        raise BotUnavailable(f"Rasa at {url}: {error.__class__.__name__}: {error}", error.__class__.__name__) from error

    async def _post(self, path: str, body: dict[str, Any], first: int) -> Any:
        response = await self._call("POST", path, body, first)
        try:
            return response.json()
        except ValueError as exc:
            raise BotUnavailable(f"Rasa at {response.request.url}: {exc.__class__.__name__}: {exc}",
                                 exc.__class__.__name__) from exc

    async def send(self, sender: str, text: str) -> BotTurn:
        replies = await self._post(self._webhook_path, {"sender": sender, "message": text},
                                   sender_slot(sender, len(self.urls)))
        if not isinstance(replies, list):
            raise BotUnavailable(f"Rasa at {self.base_url}: unexpected reply {str(replies)[:200]}", "unexpected reply")
        return parse_replies(replies)

    async def parse(self, text: str) -> dict[str, Any]:
        """Rasa's NLU result for ``text``: ``intent``, ``intent_ranking``, ``entities`` (as Rasa sends them)."""
        parsed = await self._post("/model/parse", {"text": text}, self._next_slot())
        if not isinstance(parsed, dict):
            raise BotUnavailable(f"Rasa at {self.base_url}: unexpected parse {str(parsed)[:200]}", "unexpected reply")
        return parsed

    def replace_model(self, model_file: Path) -> None:
        """Load ``model_file`` into every worker; conversations keep going. RuntimeError (which the deploy job
        reports) naming each worker that refused it or could not be reached; the others have loaded it."""
        problems = []
        for url in self.urls:
            try:
                response = httpx.put(f"{url}/model", json={"model_file": str(model_file.resolve())},
                                     timeout=DEPLOY_TIMEOUT_S, headers=self._headers("/model"))
            except httpx.HTTPError as exc:
                problems.append(f"{url}: {exc.__class__.__name__}")
                continue
            if response.status_code >= 300:
                problems.append(f"{url}: HTTP {response.status_code} {response.text[:200]}")
        if problems:
            where = "" if len(self.urls) == 1 else f" ({len(problems)} of {len(self.urls)} workers)"
            raise RuntimeError(f"Rasa refused the model{where}: " + "; ".join(problems))

    async def erase_conversation(self, sender: str) -> None:
        """Erase everything Rasa stores for the conversation ``sender`` (see the module docstring) through one
        worker (the tracker store is shared); :class:`BotUnavailable` when no worker confirms it."""
        path = f"/conversations/{quote(sender, safe='')}/tracker/events"
        try:
            await self._call("PUT", path, [], sender_slot(sender, len(self.urls)))
        except BotUnavailable as exc:
            raise BotUnavailable(f"Rasa ({self.base_url}): erasing failed: {exc.reason}", exc.reason) from exc

    async def close(self) -> None:
        await self._client.aclose()
