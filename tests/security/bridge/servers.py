"""Real servers for the edge tests, without Rasa: the bridge under uvicorn with the configuration
``python -m api serve`` uses (in a thread of the test process, or as its own process), and a stand-in Rasa
speaking HTTP that records what it was sent."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import requests
import uvicorn
from websockets.typing import Subprotocol

from api.compliance.serving import server_config
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
SECRET = "s" * 40


def bearer(token: str) -> list[Subprotocol]:
    """The subprotocols a client offers to authenticate a socket (api.staff.sockets)."""
    return [Subprotocol("bankcs.v1"), Subprotocol(f"bearer.{token}")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def bridge_in_thread(app: Any, settings: Settings) -> Iterator[tuple[str, int]]:
    """The app under uvicorn as ``python -m api serve`` configures it; yields (host, port)."""
    port = free_port()
    server = uvicorn.Server(server_config(app, settings, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the bridge did not start"
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(15)


@dataclass
class FakeRasa:
    """Rasa's REST channel and the tracker API as the bridge uses them: answers every message, asks for a
    verification code when told 要验证码, and records every request (path, body, headers)."""

    port: int = 0
    received: list[tuple[str, str, Any, dict[str, str]]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def texts(self) -> list[str]:
        return [str(body.get("message")) for method, path, body, _ in self.received
                if method == "POST" and path.startswith("/webhooks/") and isinstance(body, dict)]

    def start(self) -> FakeRasa:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                return json.loads(raw) if raw else None

            def _answer(self, status: int, body: Any) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self._body()
                fake.received.append(("POST", self.path, body, dict(self.headers)))
                text = str((body or {}).get("message", ""))
                if "要验证码" in text:
                    self._answer(200, [{"recipient_id": "x", "text": "请输入您收到的短信验证码"}])
                else:
                    self._answer(200, [{"recipient_id": "x", "text": "好的，已收到"}])

            def do_PUT(self) -> None:  # noqa: N802
                body = self._body()
                fake.received.append(("PUT", self.path, body, dict(self.headers)))
                self._answer(200, {"events": []})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@dataclass
class BridgeProcess:
    url: str
    data_dir: Path
    log: Path
    process: subprocess.Popen


@contextlib.contextmanager
def bridge_process(data_dir: Path, rasa_url: str, **env: str) -> Iterator[BridgeProcess]:
    """``python -m api serve`` as its own process (the way scripts/run_services.sh starts it: stdout and stderr
    appended to $DATA_DIR/logs/bridge.log, created under a permissive umask so the bridge's own modes show)."""
    port = free_port()
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / "bridge.log"
    environment = {**os.environ, "DATA_DIR": str(data_dir), "RASA_URL": rasa_url, "APP_ENV": "development",
                   "DEMO_PASSWORD": "demo-pass", "AGENT_KB_SUGGESTIONS": "false", "RASA_JWT_SECRET": SECRET,
                   "RASA_CHANNEL_SECRET": SECRET, "PYTHONPATH": str(ROOT), **env}
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "api", "serve", "--port", str(port)], cwd=ROOT,
                                   env=environment, stdout=out, stderr=subprocess.STDOUT,
                                   preexec_fn=lambda: os.umask(0o022))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/healthz", timeout=1).ok:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("the bridge did not start in 60 s")
        yield BridgeProcess(url, data_dir, log, process)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
