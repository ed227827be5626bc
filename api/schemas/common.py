"""Bodies every audience shares: the error answer (every 4xx and 503) and the health check."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class ErrorOut(BaseModel):
    """Why a request was refused; ``problems`` lists every reason when an edit is refused for several."""

    detail: str
    problems: list[str] | None = None


class Health(BaseModel):
    status: Literal["ok"]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorOut, "description": "Refused: 401 login, 403 role, 404 unknown, 409 conflict, "
                                              "413 too large, 422 invalid, 429 rate limit (Retry-After)"},
    503: {"model": ErrorOut, "description": "The database is unavailable; nothing was saved (Retry-After)"},
}
