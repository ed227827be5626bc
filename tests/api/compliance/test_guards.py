"""Edge guards: token buckets, 429 with Retry-After per conversation and per address, 413, security headers."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.compliance.guards import TokenBuckets
from api.settings import Settings
from tests.api.conftest import Customer, ScriptedRasa


def test_token_bucket_refills_at_its_rate() -> None:
    clock = [0.0]
    buckets = TokenBuckets(rate_per_min=60, burst=2, now=lambda: clock[0])
    assert buckets.take("a") == 0 and buckets.take("a") == 0
    assert buckets.take("a") == 1.0 and buckets.take("b") == 0
    clock[0] = 1.0
    assert buckets.take("a") == 0
    assert TokenBuckets(0, 1).take("x") == 0  # 0 disables the limit


def test_a_flooding_conversation_gets_429_with_retry_after(tmp_path: Path, rasa: ScriptedRasa) -> None:
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, rate_conversation_per_min=6)
    with TestClient(create_app(settings, rasa)) as client:  # type: ignore[arg-type]
        flooder, other = Customer(client), Customer(client)
        codes = [client.post(f"/api/v1/conversations/{flooder.id}/messages", json={"text": "在吗"},
                             headers=flooder.auth) for _ in range(12)]
        assert [r.status_code for r in codes[:10]] == [200] * 10
        limited = codes[-1]
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert "会话" in limited.json()["detail"]
        assert other.say("你好")["state"] == "bot"  # other customers are unaffected


def test_one_address_is_limited_across_conversations(tmp_path: Path, rasa: ScriptedRasa) -> None:
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, rate_ip_per_min=60)
    with TestClient(create_app(settings, rasa)) as client:  # type: ignore[arg-type]
        codes = [client.post("/api/v1/conversations", json={"channel": "web"}).status_code for _ in range(12)]
        assert codes[:10] == [201] * 10 and codes[-1] == 429


def test_oversized_bodies_and_security_headers(client: TestClient) -> None:
    c = Customer(client)
    r = client.post(f"/api/v1/conversations/{c.id}/messages", content=b'{"text": "' + b"a" * 70_000 + b'"}',
                    headers={**c.auth, "Content-Type": "application/json"})
    assert r.status_code == 413 and "过大" in r.json()["detail"]
    page = client.get("/")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"


def test_html_and_script_are_stored_as_text(client: TestClient) -> None:
    c = Customer(client)
    reply = c.say("<img src=x onerror=alert(1)> '; DROP TABLE messages; --")
    assert reply["messages"][0]["text"] == "<img src=x onerror=alert(1)> '; DROP TABLE messages; --"
    assert c.say("还在吗")["state"] == "bot"
