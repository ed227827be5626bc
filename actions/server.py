"""Start the action server on the configured loopback address (``python -m actions.server``).

``rasa run actions`` always binds 0.0.0.0; rasa-sdk reads ``SANIC_HOST`` for the bind address, so set it
from :data:`actions.settings.settings` before starting. Thread counts and the OpenMP wait policy are set
(kb_index.threads) before the KB code, and with it numpy, faiss and the encoder, is imported.

Every call but ``/health`` must carry ``ACTIONS_SECRET`` in the ``X-Action-Secret`` header (Rasa sends it, from
bot/endpoints.yml; compared in constant time), else 401: a direct call to ``/webhook`` could otherwise run any
action, and plant text in the trainers' unanswered-questions queue. No CORS origin is allowed. The server
refuses to start without the secret (scripts/run_services.sh generates one per run in development).
"""

from __future__ import annotations

import logging
import os
import sys
from functools import partial

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader

from actions.settings import settings
from common.service_auth import ACTION_SECRET_HEADER, MIN_SECRET_CHARS, secret_matches
from kb_index.threads import configure_process

# with the pid: Sanic's manager process and its worker write to the same log
LOG_FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s %(message)s"


def create_app(executor: ActionExecutor, endpoints: str) -> Sanic:
    """rasa-sdk's app (built in each Sanic worker) behind the shared secret; the worker loads the KB before it
    serves. Sanic spawns its worker: a fresh interpreter, with no logging set up and no KB loaded - the manager
    process that started it serves no request, so a KB loaded there (as before) was a second copy whose "version …
    in service" line in the log said nothing about what customers were being answered from."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)  # a no-op in the manager, where main() did it
    app = create_app_for_serve(executor, cors_origins=None, endpoints=endpoints)
    secret = settings.secret

    @app.before_server_start
    async def load_kb(_: Sanic) -> None:
        from actions.kb_fallback import loaded_kb

        await loaded_kb()  # the index, its encoder and the lookup pool, before the first customer waits on them

    @app.on_request
    async def require_secret(request: Request) -> HTTPResponse | None:
        if request.path == "/health" or secret_matches(request.headers.get(ACTION_SECRET_HEADER), secret):
            return None
        return response.json({"error": "action_secret_required", "message": "未授权：缺少或错误的动作服务密钥"},
                             status=401)

    return app


def serve(executor: ActionExecutor, port: int, endpoints: str) -> None:
    """``rasa_sdk.endpoint.run`` with :func:`create_app` as the app factory."""
    loader = AppLoader(factory=partial(create_app, executor, endpoints))
    app = loader.load()
    app.prepare(host=settings.host, port=port, workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    if len(settings.secret) < MIN_SECRET_CHARS:
        sys.exit(f"action server: refusing to start: set ACTIONS_SECRET (at least {MIN_SECRET_CHARS} characters; "
                 "scripts/run_services.sh generates one in development)")
    os.environ["SANIC_HOST"] = settings.host
    configure_process()  # in the environment the spawned worker inherits
    executor = ActionExecutor()
    executor.register_package("actions")
    serve(executor, port=settings.port, endpoints=str(settings.endpoints_path))


if __name__ == "__main__":
    main()
