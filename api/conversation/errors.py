"""Refusals of the conversation engine (unknown conversation, wrong token, not your chat, banned words)."""

from __future__ import annotations

from api.errors import ServiceError


class ChatError(ServiceError):
    """A request the state machine refuses; carries the HTTP status for the API edge."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail, status=status)
