"""What the bridge refuses, as types. The engine and the workbench raise these; one exception handler in
``api.app`` turns every :class:`ServiceError` into its HTTP answer (``{"detail": …}``, plus ``problems`` for
edits refused for several reasons), so no route translates errors itself."""

from __future__ import annotations


class BridgeStartupError(RuntimeError):
    """The bridge cannot start (database unreadable, word list broken); the message names the file."""


class ServiceError(Exception):
    """A request refused with a reason the caller can act on; ``status`` is the HTTP status of the answer."""

    status = 400

    def __init__(self, detail: str, *, status: int | None = None, problems: list[str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        self.problems = problems
        self.headers = headers  # e.g. Retry-After on a 429


class NotFound(ServiceError, LookupError):
    status = 404


class Conflict(ServiceError):
    status = 409


class Refused(ServiceError, ValueError):
    """Well-formed but not allowed (an edit that would break the data, a banned word): 422."""

    status = 422
