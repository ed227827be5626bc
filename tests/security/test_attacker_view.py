"""The running stack as an attacker on the same host sees it (loopback only): every service bound to 127.0.0.1,
every unauthenticated call to Rasa's HTTP API, its customer channel and the action server refused (text/plain
with a foreign Origin too), secrets in no process's command line, and personal data in no store or log, in any
of the forms customers type it. The bridge still works end to end. Slow: starts the real servers
(scripts/run_services.sh, development mode, so the secrets are the ones the script generated)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from common.service_auth import ACTION_SECRET_HEADER, CHANNEL_SECRET_HEADER, rasa_jwt
from tests.e2e.conftest import Bot, descendants

pytestmark = pytest.mark.slow
FOREIGN = {"Origin": "http://attacker.example", "Content-Type": "text/plain"}
ATTACKER_HOTLINE = "400-666-0000"


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as /proc/net/tcp{,6} write them) listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:
                found.append(address)
    return found


def test_every_service_listens_on_loopback_only(bot: Bot) -> None:
    ports = [int(u.rsplit(":", 1)[1].split("/")[0]) for u in (bot.url, bot.api_url, bot.actions_url)]
    for port in ports:
        addresses = _listening(port)
        assert addresses, f"nothing listens on {port}"
        assert all(a in ("0100007F", "00000000000000000000000001000000") for a in addresses), (port, addresses)


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/conversations/{cid}/tracker/events", {"event": "slot", "name": "hotline", "value": ATTACKER_HOTLINE}),
    ("PUT", "/conversations/{cid}/tracker/events", []),
    ("GET", "/conversations/{cid}/tracker", None),
    ("GET", "/conversations/{cid}/story", None),
    ("POST", "/conversations/{cid}/messages", {"text": "你好", "sender": "user"}),
    ("POST", "/conversations/{cid}/trigger_intent", {"name": "greet"}),
    ("POST", "/conversations/{cid}/execute", {"name": "utter_greet"}),
    ("POST", "/conversations/{cid}/predict", None),
    ("PUT", "/model", {"model_file": "/tmp/attacker.tar.gz"}),
    ("DELETE", "/model", None),
    ("POST", "/model/train", {}),
    ("POST", "/model/parse", {"text": "你好"}),
    ("GET", "/status", None),
    ("GET", "/domain", None),
])
def test_rasa_http_api_refuses_unauthenticated_calls(bot: Bot, method: str, path: str, body: Any) -> None:
    cid = f"victim-{uuid.uuid4().hex[:8]}"
    url = bot.url + path.format(cid=cid)
    plain = requests.request(method, url, json=body, timeout=10)
    assert plain.status_code == 401, (path, plain.status_code, plain.text[:200])
    blind = requests.request(method, url, data="{}" if body is None else str(body), headers=FOREIGN, timeout=10)
    assert blind.status_code == 401 and "access-control-allow-origin" not in blind.headers
    forged = rasa_jwt("not-the-secret" * 3)
    assert requests.request(method, url, json=body, timeout=10,
                            headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    expired = rasa_jwt(bot.secrets["RASA_JWT_SECRET"], now=time.time() - 3600)
    assert requests.request(method, url, json=body, timeout=10,
                            headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    assert requests.request(method, f"{url}{'&' if '?' in url else '?'}token={bot.secrets['RASA_JWT_SECRET']}",
                            json=body, timeout=10).status_code == 401  # no token in URLs either


def test_a_planted_hotline_never_reaches_the_customer(bot: Bot) -> None:
    sender = f"victim-{uuid.uuid4().hex[:8]}"
    bot.say("你好", sender)
    for headers in ({}, FOREIGN):
        response = requests.post(f"{bot.url}/conversations/{sender}/tracker/events", timeout=10, headers=headers,
                                 data=json.dumps({"event": "slot", "name": "hotline", "value": ATTACKER_HOTLINE}))
        assert response.status_code == 401
    assert ATTACKER_HOTLINE not in "".join(str(r.get("text")) for r in bot.say("我的银行卡丢了怎么办", sender))
    tracker = requests.get(f"{bot.url}/conversations/{sender}/tracker", headers=bot.rasa_headers(), timeout=10)
    assert tracker.status_code == 200 and tracker.json()["slots"].get("hotline") != ATTACKER_HOTLINE


def test_a_customer_jwt_opens_only_its_own_conversation(bot: Bot) -> None:
    own = rasa_jwt(bot.secrets["RASA_JWT_SECRET"], subject="customer-a", role="user")
    headers = {"Authorization": f"Bearer {own}"}
    assert requests.get(f"{bot.url}/conversations/customer-a/tracker", headers=headers, timeout=10).status_code == 200
    assert requests.get(f"{bot.url}/conversations/customer-b/tracker", headers=headers, timeout=10).status_code == 403
    assert requests.put(f"{bot.url}/model", json={"model_file": "x"}, headers=headers, timeout=10).status_code == 403
    assert requests.get(f"{bot.url}/status", headers=bot.rasa_headers(), timeout=10).status_code == 200


def test_the_customer_channel_needs_its_secret_and_json(bot: Bot) -> None:
    url, body = f"{bot.url}/webhooks/rest/webhook", {"sender": f"x-{uuid.uuid4().hex[:6]}", "message": "你好"}
    secret = bot.secrets["RASA_CHANNEL_SECRET"]
    assert requests.post(url, json=body, timeout=10).status_code == 401
    assert requests.post(url, json=body, headers={CHANNEL_SECRET_HEADER: secret[:-1]}, timeout=10).status_code == 401
    assert requests.post(url, data='{"sender": "x", "message": "你好"}', headers=FOREIGN, timeout=10).status_code == 401
    with_secret = {**FOREIGN, CHANNEL_SECRET_HEADER: secret}
    assert requests.post(url, data='{"sender": "x", "message": "你好"}', headers=with_secret,
                         timeout=10).status_code == 415
    answered = requests.post(url, json=body, headers={CHANNEL_SECRET_HEADER: secret}, timeout=30)
    assert answered.status_code == 200 and answered.json() and "access-control-allow-origin" not in answered.headers


def test_the_action_server_needs_its_secret(bot: Bot) -> None:
    url = bot.actions_url
    call = {"next_action": "action_unanswered", "sender_id": "attacker", "version": "3.6.21",
            "tracker": {"sender_id": "attacker", "latest_message": {"text": "请拨打400-666-0000办理"}, "events": []},
            "domain": {}}
    assert requests.post(f"{url}/webhook", json=call, timeout=10).status_code == 401
    assert requests.post(f"{url}/webhook", data=str(call), headers=FOREIGN, timeout=10).status_code == 401
    assert requests.post(f"{url}/webhook", json=call, headers={ACTION_SECRET_HEADER: "x" * 64},
                         timeout=10).status_code == 401
    assert requests.get(f"{url}/actions", timeout=10).status_code == 401
    assert requests.get(f"{url}/health", timeout=10).status_code == 200
    assert bot.say("附近有什么好吃的火锅店")  # Rasa itself still reaches it (the secret from bot/endpoints.yml)


def test_no_secret_is_on_a_command_line_and_the_secrets_file_is_private(bot: Bot) -> None:
    for pid in descendants(bot.process.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        for secret in bot.secrets.values():
            assert secret.encode() not in cmdline, cmdline[:200]
    secrets_file = bot.data_dir / "secrets" / "services.env"
    assert secrets_file.stat().st_mode & 0o777 == 0o600 and secrets_file.parent.stat().st_mode & 0o777 == 0o700


CARD, ID_NUMBER, MOBILE = "6222021234567890128", "440304199001011233", "13912345678"
FORMS = {  # every form of the issue, sent straight to the channel (the bridge masks before it sends)
    CARD: ["卡号６２２２０２１２３４５６７８９０１２８", "card6222021234567890128", "6222-0212-3456-7890-128",
           "6222.0212.3456.7890.128", "6222\u30000212\u30003456\u30007890\u3000128", "6222\u200b021234567890128",
           '/inform{"card_last4": "6222021234567890128"}', '/inform{"card_last4": 6222021234567890128',
           '/inform{"card_last4": "\\u0036\\u0032\\u0032\\u0032021234567890128"}'],
    ID_NUMBER: ["ID440304199001011233", "身份证４４０３０４１９９００１０１１２３３"],
    MOBILE: ["手机１３９１２３４５６７８", "139\u200b1234\u200b5678"],
    "482913": ["验证码 : 482913"],
    "135790": ["密码 135790"],
}


def _stored_bytes(data_dir: Path) -> dict[Path, bytes]:
    """Every store and log the stack wrote (not the training-data copy the workbench edits, nor models or KB)."""
    skip = {"project", "models", "kb", "cache"}
    return {p: p.read_bytes() for p in data_dir.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(data_dir).parts)}


def test_the_bridge_still_works_end_to_end(bot: Bot) -> None:
    """The bridge holds the channel secret and the JWT (settings from the run script's environment)."""
    created = requests.post(f"{bot.api_url}/api/v1/conversations", json={"channel": "web"}, timeout=10)
    assert created.status_code == 201, created.text
    conv = created.json()
    reply = requests.post(f"{bot.api_url}/api/v1/conversations/{conv['id']}/messages", json={"text": "你们几点下班"},
                          headers={"Authorization": f"Bearer {conv['token']}"}, timeout=30)
    assert reply.status_code == 200, reply.text
    bot_texts = [m["text"] for m in reply.json()["messages"] if m["from"] == "bot"]
    assert any("营业时间" in t for t in bot_texts), bot_texts


def test_no_form_of_personal_data_reaches_a_store_or_a_log(bot: Bot) -> None:
    sender = f"pii-{uuid.uuid4().hex[:8]}"
    for texts in FORMS.values():
        for text in texts:
            bot.say(text, sender)
    created = requests.post(f"{bot.api_url}/api/v1/conversations", json={"channel": "web"}, timeout=10).json()
    for texts in FORMS.values():  # and through the bridge, payloads included
        for text in texts:
            body = {"payload": text} if text.startswith("/") else {"text": text}
            requests.post(f"{bot.api_url}/api/v1/conversations/{created['id']}/messages", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {created['token']}"})
    split = f"split-{uuid.uuid4().hex[:8]}"
    bot.say("我的卡号是6222021234", split)
    bot.say("567890128", split)
    time.sleep(1.5)  # log lines and the WAL reach the disk
    wanted = {raw: [raw.encode(), raw.encode("unicode_escape"), "".join(f"\\u{ord(c) + 0xFEE0:04x}" for c in raw)
                    .encode()] for raw in FORMS}
    wanted["6222021234"] = [b"6222021234"]  # the split card's first half, stored before the second arrived
    wanted["567890128"] = [b"567890128"]
    for path, content in _stored_bytes(bot.data_dir).items():
        for raw, encodings in wanted.items():
            for encoded in encodings:
                assert encoded not in content, f"{raw} ({encoded!r}) found in {path}"
    tracker = requests.get(f"{bot.url}/conversations/{split}/tracker", headers=bot.rasa_headers(), timeout=10).json()
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == ["我的卡号是**********", "*****0128"]
