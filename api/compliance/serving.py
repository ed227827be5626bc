"""How the bridge is served (``python -m api serve``): uvicorn configured for the edge, in one place.

* No proxy headers from uvicorn itself (it trusts ``X-Forwarded-For`` from 127.0.0.1 by default); the guard
  middleware reads them, from the explicit ``TRUSTED_PROXIES`` only.
* Slow or half-sent requests are not held open: the request line and headers must arrive within
  ``HEADER_TIMEOUT_S`` of a connection opening or a new request starting (:class:`HeaderTimeoutProtocol`; uvicorn
  has no such timeout), a body that stalls is refused by the guard (``BODY_TIMEOUT_S``), an idle keep-alive
  connection is closed after ``KEEP_ALIVE_S``, headers are capped at 16 KB and WebSocket frames at 64 KB.
* Logs never hold a credential or personal data (``api.compliance.log_filter``), and uvicorn's access log stays
  off (the bridge's metrics count requests).
* Everything the process creates (the database, logs it opens) is private to its user: umask 077.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Callable

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.compliance import log_filter
from api.settings import Settings

log = logging.getLogger(__name__)
MAX_HEADER_BYTES = 16 * 1024
MAX_WEBSOCKET_FRAME = 64 * 1024


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, closing a connection whose request line and headers do not arrive within the
    header timeout (``config.header_timeout_s``) of the connection opening or the request's first byte."""

    _header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        timeout = float(getattr(self.config, "header_timeout_s", 0) or 0)
        if timeout > 0:
            self._header_timer = self.loop.call_later(timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            log.info("closing a connection whose request headers did not arrive in time")
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        self._disarm()  # an idle keep-alive connection is uvicorn's timeout_keep_alive's
        super().on_response_complete()


def server_config(app: Any, settings: Settings, host: str, port: int) -> uvicorn.Config:
    """The uvicorn configuration the bridge runs with (see the module docstring)."""
    config = uvicorn.Config(
        app, host=host, port=port, log_level="info", access_log=False, http=HeaderTimeoutProtocol,
        proxy_headers=False, server_header=False, timeout_keep_alive=max(1, int(settings.keep_alive_s)),
        h11_max_incomplete_event_size=MAX_HEADER_BYTES, ws_max_size=MAX_WEBSOCKET_FRAME)
    config.header_timeout_s = settings.header_timeout_s  # type: ignore[attr-defined]  # read by the protocol
    return config


def serve(make_app: Callable[[], Any], settings: Settings, host: str, port: int) -> None:
    """Build the app and run it until stopped: umask first (the database it creates is private); every log
    line, uvicorn's and the bridge's own, goes through the redacting filter."""
    os.umask(0o077)
    app = make_app()
    config = server_config(app, settings, host, port)  # configures uvicorn's loggers (dictConfig)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")  # the bridge's own
    log_filter.install()
    uvicorn.Server(config).run()
