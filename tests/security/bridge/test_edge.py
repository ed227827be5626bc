"""The edge (issue 11, "the edge"): body size counted as bytes arrive, an explicit trusted-proxy list, the
conversation token checked before its rate limit is charged, request read timeouts, WebSocket connections and
credential guesses limited per address, MAX_MESSAGE_CHARS, internal-only endpoints and HSTS."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from api.compliance.addresses import client_address, is_internal, parse_networks
from api.compliance.serving import MAX_HEADER_BYTES, server_config
from api.settings import Settings
from tests.api.conftest import Customer, ScriptedRasa
from tests.security.bridge.servers import bridge_in_thread

LOOPBACK = parse_networks(["127.0.0.0/8", "::1"])
PROXY = parse_networks(["10.0.0.2"])


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"data_dir": tmp_path, "kb_suggestions": False, "demo_password": "demo-pass"}
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


@pytest.fixture()
def app_settings(tmp_path: Path) -> Settings:
    return _settings(tmp_path)


def _client(settings: Settings, rasa: ScriptedRasa | None = None, peer: str = "testclient") -> TestClient:
    return TestClient(create_app(settings, rasa or ScriptedRasa()), client=(peer, 40000))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- who is calling
@pytest.mark.parametrize("peer, forwarded, trusted, expected", [
    ("127.0.0.1", "1.2.3.4", (), "127.0.0.1"),           # no proxy is trusted by default: the header is ignored
    ("203.0.113.9", "1.2.3.4", PROXY, "203.0.113.9"),    # not from the trusted proxy: ignored
    ("10.0.0.2", "1.2.3.4", PROXY, "1.2.3.4"),           # from the proxy: its client
    ("10.0.0.2", "6.6.6.6, 1.2.3.4", PROXY, "1.2.3.4"),  # the right-most untrusted hop (the left is the client's say)
    ("10.0.0.2", "1.2.3.4, 10.0.0.2", PROXY, "1.2.3.4"),  # trusted hops are skipped
    ("10.0.0.2", "garbage, 1.2.3.4", PROXY, "1.2.3.4"),
    ("10.0.0.2", "1.2.3.4, garbage", PROXY, "10.0.0.2"),  # an unparseable last hop: only the peer is known
    ("10.0.0.2", None, PROXY, "10.0.0.2"),
])
def test_the_client_address_trusts_forwarding_only_from_listed_proxies(
        peer: str, forwarded: str | None, trusted: tuple, expected: str) -> None:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    assert client_address(peer, headers, trusted) == expected


def test_internal_means_loopback_not_relayed() -> None:
    assert is_internal("127.0.0.1", [], (), LOOPBACK)
    assert is_internal("::1", [], (), LOOPBACK)
    assert not is_internal("203.0.113.9", [], (), LOOPBACK)
    assert not is_internal("127.0.0.1", [(b"x-forwarded-for", b"203.0.113.9")], (), LOOPBACK)  # an undeclared proxy
    assert not is_internal("10.0.0.2", [(b"x-forwarded-for", b"203.0.113.9")], PROXY, LOOPBACK)
    assert is_internal("10.0.0.2", [(b"x-forwarded-for", b"127.0.0.1")], PROXY, LOOPBACK)
    assert is_internal(None, [], (), LOOPBACK)  # a Unix socket


def test_rotating_x_forwarded_for_buys_no_fresh_rate_limit(tmp_path: Path) -> None:
    settings = _settings(tmp_path, rate_ip_per_min=60)
    with _client(settings, peer="127.0.0.1") as client:
        codes = [client.post("/api/v1/conversations", json={"channel": "web"},
                             headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(12)]
    assert codes[:10] == [201] * 10 and codes[-1] == 429


def test_a_listed_proxy_s_clients_are_limited_each_on_their_own(tmp_path: Path) -> None:
    settings = _settings(tmp_path, rate_ip_per_min=60, trusted_proxies=("10.0.0.2",))
    with _client(settings, peer="10.0.0.2") as client:
        codes = [client.post("/api/v1/conversations", json={"channel": "web"},
                             headers={"X-Forwarded-For": f"198.51.100.{i % 2}"}).status_code for i in range(24)]
    assert codes[:20] == [201] * 20 and codes[-1] == 429


# ---------------------------------------------------------------------------------- bodies
def test_a_chunked_body_without_a_length_is_capped(app_settings: Settings) -> None:
    sent = []

    def body() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(2000):  # 2000 x 8 KB = 16 MB if nobody stops it
            sent.append(1)
            yield b"a" * 8192
        yield b'"}'

    with _client(app_settings) as client:
        c = Customer(client)
        r = client.post(f"/api/v1/conversations/{c.id}/messages", content=body(),
                        headers={**c.auth, "Content-Type": "application/json"})
    assert r.status_code == 413 and "字节" in r.json()["detail"]
    assert "content-length" not in {k.lower() for k in r.request.headers}


def test_the_body_is_cut_off_as_it_arrives_on_a_real_connection(app_settings: Settings) -> None:
    """Half a megabyte sent chunked and never finished: the answer (413) comes as soon as 64 KB are in."""
    app = create_app(app_settings, ScriptedRasa())  # type: ignore[arg-type]
    with bridge_in_thread(app, app_settings) as (host, port), socket.create_connection((host, port)) as s:
        s.settimeout(10)
        s.sendall(b"POST /api/v1/conversations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(64):
                s.sendall(b"2000\r\n" + b"a" * 0x2000 + b"\r\n")
        except OSError:
            pass  # the server may stop reading once it has answered
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_stalled_body_and_stalled_headers_time_out(tmp_path: Path) -> None:
    settings = _settings(tmp_path, body_timeout_s=1, header_timeout_s=1)
    app = create_app(settings, ScriptedRasa())  # type: ignore[arg-type]
    with bridge_in_thread(app, settings) as (host, port):
        with socket.create_connection((host, port)) as s:
            s.settimeout(8)
            s.sendall(b"POST /api/v1/conversations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{\"chan")
            started = time.monotonic()
            answer = s.recv(4096)
            assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
            assert time.monotonic() - started < 5
        with socket.create_connection((host, port)) as s:
            s.settimeout(8)
            s.sendall(b"POST /api/v1/conversations HTTP/1.1\r\nHost: x\r\n")  # the headers never end
            started = time.monotonic()
            assert s.recv(4096) == b""  # closed by the server
            assert time.monotonic() - started < 5
        with socket.create_connection((host, port)) as s:
            s.settimeout(8)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")  # a prompt request is served as before
            assert s.recv(4096).startswith(b"HTTP/1.1 200")


def test_the_server_configuration_limits_headers_frames_and_idle_connections(app_settings: Settings) -> None:
    config = server_config(object(), app_settings, "127.0.0.1", 8000)
    assert config.proxy_headers is False and config.server_header is False
    assert config.h11_max_incomplete_event_size == MAX_HEADER_BYTES and config.ws_max_size <= 64 * 1024
    assert config.timeout_keep_alive == app_settings.keep_alive_s and config.access_log is False


# ---------------------------------------------------------------------------------- the conversation's allowance
def test_wrong_tokens_do_not_use_up_a_conversation_s_allowance(tmp_path: Path) -> None:
    settings = _settings(tmp_path, rate_conversation_per_min=6, token_guesses_per_min=1000)
    with _client(settings) as client:
        victim = Customer(client)
        for _ in range(15):
            r = client.post(f"/api/v1/conversations/{victim.id}/messages", json={"text": "在吗"},
                            headers={"Authorization": "Bearer not-the-token"})
            assert r.status_code == 401
        assert victim.say("你好")["state"] == "bot"  # the owner's allowance is untouched
        codes = [client.post(f"/api/v1/conversations/{victim.id}/messages", json={"text": "在吗"},
                             headers=victim.auth).status_code for _ in range(12)]
        assert 429 in codes and codes[:9] == [200] * 9  # and the owner is still limited


def test_a_message_over_max_message_chars_is_refused_in_chinese(tmp_path: Path) -> None:
    rasa = ScriptedRasa()
    with _client(_settings(tmp_path, max_message_chars=50), rasa) as client:
        c = Customer(client)
        r = client.post(f"/api/v1/conversations/{c.id}/messages", json={"text": "长" * 51}, headers=c.auth)
        assert r.status_code == 422 and "50" in r.json()["detail"] and "字" in r.json()["detail"]
        assert c.say("短" * 50)["state"] == "bot"
    assert all(len(text) <= 50 for _, text in rasa.calls)


# ---------------------------------------------------------------------------------- guesses and sockets
def test_credential_guesses_are_limited_per_address(tmp_path: Path) -> None:
    settings = _settings(tmp_path, token_guesses_per_min=10)
    with _client(settings, peer="198.51.100.7") as client:
        c = Customer(client)
        codes = [client.get(f"/api/v1/conversations/{c.id}/messages",
                            headers={"Authorization": f"Bearer guess-{i}"}).status_code for i in range(8)]
        assert codes[:5] == [401] * 5 and codes[-1] == 429
        refused = client.get(f"/api/v1/conversations/{c.id}/messages", headers=c.auth)  # even the right one, for now
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert client.post("/api/v1/conversations", json={"channel": "web"}).status_code == 201  # no credential
    with _client(settings, peer="198.51.100.8") as other:  # another address is not affected
        assert other.get("/healthz").status_code == 200


def test_socket_guesses_count_too(tmp_path: Path) -> None:
    settings = _settings(tmp_path, token_guesses_per_min=10)
    with _client(settings, peer="198.51.100.7") as client:
        c = Customer(client)
        for i in range(5):
            with pytest.raises(WebSocketDisconnect), client.websocket_connect(
                    f"/api/v1/conversations/{c.id}/ws", subprotocols=["bankcs.v1", f"bearer.guess{i}"]):
                pass
        with pytest.raises(WebSocketDisconnect), client.websocket_connect(
                f"/api/v1/conversations/{c.id}/ws", subprotocols=["bankcs.v1", f"bearer.{c.token}"]):
            pass  # out of guesses: refused before the token is looked at
    with _client(settings, peer="198.51.100.8") as other:
        c2 = Customer(other)
        with other.websocket_connect(f"/api/v1/conversations/{c2.id}/ws",
                                     subprotocols=["bankcs.v1", f"bearer.{c2.token}"]) as ws:
            ws.send_json({"type": "typing"})  # another address, the right token: admitted


def test_open_sockets_are_limited_per_address(tmp_path: Path) -> None:
    settings = _settings(tmp_path, ws_max_per_address=3)
    with _client(settings, peer="198.51.100.9") as client:
        c = Customer(client)
        protocols = ["bankcs.v1", f"bearer.{c.token}"]
        opened = [client.websocket_connect(f"/api/v1/conversations/{c.id}/ws", subprotocols=protocols)
                  for _ in range(3)]
        for session in opened:
            session.__enter__()
        try:
            with pytest.raises(WebSocketDisconnect), client.websocket_connect(
                    f"/api/v1/conversations/{c.id}/ws", subprotocols=protocols):
                pass
        finally:
            for session in opened:
                session.__exit__(None, None, None)
        with client.websocket_connect(f"/api/v1/conversations/{c.id}/ws", subprotocols=protocols) as again:
            again.send_json({"type": "typing"})  # one closed: a new one is admitted


# ---------------------------------------------------------------------------------- internal endpoints, HSTS
@pytest.mark.parametrize("path", ["/metrics", "/docs", "/redoc", "/openapi.json"])
def test_internal_endpoints_answer_only_internal_callers(tmp_path: Path, path: str) -> None:
    settings = _settings(tmp_path)
    with _client(settings, peer="203.0.113.5") as outside:
        r = outside.get(path)
        assert r.status_code == 403 and "内部" in r.json()["detail"]
    with _client(settings, peer="127.0.0.1") as local:
        assert local.get(path).status_code == 200
        assert local.get(path, headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 403  # relayed
        assert local.get("/healthz").status_code == 200
    with _client(_settings(tmp_path / "open", internal_networks=("0.0.0.0/0",)), peer="203.0.113.5") as opened:
        assert opened.get(path).status_code == 200  # a deployment may open them (INTERNAL_NETWORKS)


def test_hsts_over_https_or_when_configured(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path), ScriptedRasa()),  # type: ignore[arg-type]
                    base_url="https://testserver") as client:
        assert client.get("/healthz").headers["Strict-Transport-Security"].startswith("max-age=")
    with _client(_settings(tmp_path / "plain")) as client:
        assert "Strict-Transport-Security" not in client.get("/healthz").headers
    with _client(_settings(tmp_path / "on", hsts=True)) as client:
        assert "max-age=31536000" in client.get("/healthz").headers["Strict-Transport-Security"]
    proxied = _settings(tmp_path / "proxied", trusted_proxies=("10.0.0.2",))
    with _client(proxied, peer="10.0.0.2") as client:
        r = client.get("/healthz", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4"})
        assert "Strict-Transport-Security" in r.headers
