"""Nothing the bridge logs holds a credential or personal data: a logging filter on every handler the server
sets up (uvicorn's access and error logs, the root logger) rewrites each record before it is written.

Credentials are redacted wherever they could appear in a line: ``token=`` / ``access_token=`` / ``password=``
query parameters (uvicorn writes a WebSocket's whole URL when it accepts or refuses one, and an old client may
still put its token there), ``Authorization: Bearer …`` values and ``bearer.…`` WebSocket subprotocols; then
the line is PII-masked (:func:`common.pii.mask_escaped`). Pure: :func:`redact` is table-tested.
"""

from __future__ import annotations

import logging
import re
from typing import Iterable

from common.pii import mask_escaped

REDACTED = "[redacted]"
_QUERY_SECRET = re.compile(r"(?i)([?&;](?:token|access_token|auth|key|secret|password|jwt)=)[^&\s\"'#]*")
_BEARER = re.compile(r"(?i)\b(bearer[ .:]\s*)[A-Za-z0-9._~+/=-]{8,}")
LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "")  # "" is the root logger


def redact(line: str) -> str:
    """``line`` with credentials replaced by ``[redacted]`` and personal data masked."""
    line = _QUERY_SECRET.sub(lambda m: m.group(1) + REDACTED, line)
    line = _BEARER.sub(lambda m: m.group(1) + REDACTED, line)
    return mask_escaped(line)


def _clean(value: object) -> object:
    """A log argument cleaned: text redacted, numbers kept as numbers (``%d`` still formats them)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact(value if isinstance(value, str) else str(value))


class RedactingFilter(logging.Filter):
    """Rewrites the record in place, never drops one. The message and each text argument are cleaned apart,
    so a formatter that reads the arguments (uvicorn's access formatter unpacks them) still finds them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(logger_names: Iterable[str] = LOGGERS) -> RedactingFilter:
    """Add one filter to the named loggers and to each of their handlers (a handler filter also sees the
    records children propagate to it); idempotent. Call after the server configured its logging."""
    found = RedactingFilter()
    for name in logger_names:
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, RedactingFilter) for f in target.filters):
                target.addFilter(found)
    return found
