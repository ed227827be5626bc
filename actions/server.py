"""Start the action server on the configured loopback address (``python -m actions.server``).

``rasa run actions`` always binds 0.0.0.0; rasa-sdk reads ``SANIC_HOST`` for the bind address, so set it
from :data:`actions.settings.settings` before starting. Thread counts and the OpenMP wait policy are set
(kb_index.threads) before the KB code, and with it numpy, faiss and the encoder, is imported.
"""

from __future__ import annotations

import logging
import os

from rasa_sdk.endpoint import run
from rasa_sdk.executor import ActionExecutor

from actions.settings import settings
from kb_index.threads import configure_process


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    os.environ["SANIC_HOST"] = settings.host
    configure_process()
    from actions.kb_fallback import budgeted_kb, kb_service

    kb_service()  # load the KB index (and encoder) before the first customer waits on it
    budgeted_kb()  # and the lookup pool with its lexical stand-in
    executor = ActionExecutor()
    executor.register_package("actions")
    run(executor, port=settings.port, endpoints=str(settings.endpoints_path))


if __name__ == "__main__":
    main()
