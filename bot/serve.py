"""Start the Rasa server with its secrets from the environment: ``python -m bot.serve <rasa run options>``.

* The HTTP API always requires an HS256 JWT signed with ``RASA_JWT_SECRET`` (``--jwt-secret`` is passed inside
  this process: a command-line argument is readable by every local user in ``ps`` and /proc/*/cmdline).
  ``--auth-token`` is refused: Rasa reads that token from the URL query, where access logs keep it.
* It refuses to start unless ``RASA_JWT_SECRET``, ``RASA_CHANNEL_SECRET`` (bot/credentials.yml) and
  ``ACTIONS_SECRET`` (bot/endpoints.yml) are set, at least 32 characters each; in development
  scripts/run_services.sh generates them per run.
* Nothing it prints holds raw personal data: every log record, JSON log line and Python warning is masked
  (:func:`common.pii.mask_escaped`) as it is formatted. Rasa prints the customer's whole text in some warnings
  (an unparseable ``/intent{...}`` payload, for one) to rasa.out and rasa.log.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import Any, Callable, List, Optional, TextIO, Type

from common.pii import mask_escaped
from common.service_auth import SECRET_NAMES, weak_secrets


def install_log_masking() -> Callable[[], None]:
    """Mask personal data in everything this process logs or warns, whichever handler or formatter prints it
    (every formatter, coloredlogs' too, ends in ``logging.Formatter.format``). Returns the undo (for tests)."""
    original_format, original_show = logging.Formatter.format, warnings.showwarning

    def format_masked(self: logging.Formatter, record: logging.LogRecord) -> str:
        return mask_escaped(original_format(self, record))

    def show_masked(message: Warning | str, category: Type[Warning], filename: str, lineno: int,
                    file: Optional[TextIO] = None, line: Optional[str] = None) -> None:
        original_show(category(mask_escaped(str(message))), category, filename, lineno, file, line)

    def undo() -> None:
        logging.Formatter.format = original_format  # type: ignore[method-assign]
        warnings.showwarning = original_show

    logging.Formatter.format = format_masked  # type: ignore[method-assign]
    warnings.showwarning = show_masked
    return undo


def rasa_arguments(args: List[str], jwt_secret: str) -> List[str]:
    """``rasa run`` arguments: the caller's, then the JWT authentication of the HTTP API."""
    if any(a == "--auth-token" or a.startswith("--auth-token=") for a in args):
        raise SystemExit("bot.serve: --auth-token puts the token in URLs; the API uses a JWT (RASA_JWT_SECRET)")
    if any(a.startswith("--jwt") for a in args):
        raise SystemExit("bot.serve: the JWT secret comes from RASA_JWT_SECRET, not the command line")
    return ["rasa", "run", *args, "--jwt-secret", jwt_secret, "--jwt-method", "HS256"]


def main(argv: Optional[List[str]] = None) -> Any:
    weak = weak_secrets({name: os.environ.get(name, "") for name in SECRET_NAMES})
    if weak:
        print(f"bot.serve: refusing to start: set {', '.join(weak)} (at least 32 characters each; "
              "scripts/run_services.sh generates them in development)", file=sys.stderr)
        return 2
    install_log_masking()
    sys.argv = rasa_arguments(list(sys.argv[1:] if argv is None else argv), os.environ["RASA_JWT_SECRET"])
    from rasa.__main__ import main as rasa_main  # after the check: importing Rasa takes seconds

    return rasa_main()


if __name__ == "__main__":
    sys.exit(main())
