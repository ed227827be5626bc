"""End to end through the bridge: the customer API in front of the real Rasa and action servers, a handoff
that reaches a logged-in agent, and the smoke exam in --api mode."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ROOT, Bot

pytestmark = pytest.mark.slow
EXAM = ROOT.parent / "shared" / "tools" / "exam.py"


class Chat:
    def __init__(self, bot: Bot) -> None:
        r = requests.post(f"{bot.api_url}/api/v1/conversations", json={"channel": "web"}, timeout=10)
        assert r.status_code == 201, r.text
        self.url, body = bot.api_url, r.json()
        self.id, self.headers = body["id"], {"Authorization": f"Bearer {body['token']}"}

    def say(self, text: str | None = None, payload: str | None = None) -> dict[str, Any]:
        body = {"text": text} if payload is None else {"payload": payload}
        r = requests.post(f"{self.url}/api/v1/conversations/{self.id}/messages", json=body, headers=self.headers,
                          timeout=30)
        assert r.status_code == 200, r.text
        return dict(r.json())


def staff(bot: Bot, username: str) -> dict[str, str]:
    r = requests.post(f"{bot.api_url}/api/v1/auth/login", json={"username": username, "password": "e2e-demo"},
                      timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_bot_answers_through_the_bridge_without_leaking_machine_payloads(bot: Bot) -> None:
    chat = Chat(bot)
    reply = chat.say("怎么设置水电费自动扣款")
    bot_texts = [m["text"] for m in reply["messages"] if m["from"] == "bot"]
    assert any("生活缴费" in t for t in bot_texts) and all(t.strip() for t in bot_texts)
    assert reply["state"] == "bot" and '"kb"' not in str(reply)


def test_the_whole_handoff_journey(bot: Bot) -> None:
    """转人工 -> queued; an agent comes online and gets the chat over the WebSocket with the bot's context;
    they exchange messages; the agent closes; the survey; then the bot answers again."""
    from websockets.sync.client import connect
    from websockets.typing import Subprotocol

    chat = Chat(bot)
    chat.say("信用卡年费怎么收")
    reply = chat.say("转人工客服")
    assert reply["state"] == "queued" and reply["queue_position"] == 1
    agent = staff(bot, "agent")
    ws_url = bot.api_url.replace("http://", "ws://") + "/api/v1/agent/ws"  # the token goes in the subprotocol
    login = [Subprotocol("bankcs.v1"), Subprotocol(f"bearer.{agent['Authorization'][7:]}")]
    with connect(ws_url, open_timeout=10, subprotocols=login) as ws:
        requests.patch(f"{bot.api_url}/api/v1/agent/me", json={"status": "online"}, headers=agent, timeout=10)
        try:
            event = json.loads(ws.recv(timeout=10))
            while event["type"] != "assigned":
                event = json.loads(ws.recv(timeout=10))
            assert event["conversation"]["id"] == chat.id
            detail = requests.get(f"{bot.api_url}/api/v1/agent/conversations/{chat.id}", headers=agent,
                                  timeout=10).json()
            assert detail["handoff"]["reason"] == "customer_request"
            assert detail["handoff"]["intent"] == "human_handoff" and detail["handoff"]["confidence"] > 0.5
            assert [m["text"] for m in detail["messages"] if m["from"] == "customer"] == ["信用卡年费怎么收",
                                                                                          "转人工客服"]
            assert chat.say("年费能免吗")["state"] == "agent"
            event = json.loads(ws.recv(timeout=10))
            while event["type"] != "message":
                event = json.loads(ws.recv(timeout=10))
            assert event["message"]["text"] == "年费能免吗"
            r = requests.post(f"{bot.api_url}/api/v1/agent/conversations/{chat.id}/messages",
                              json={"text": "刷卡满6次可免次年年费"}, headers=agent, timeout=10)
            assert r.status_code == 200
            r = requests.post(f"{bot.api_url}/api/v1/agent/conversations/{chat.id}/close", headers=agent, timeout=10,
                              json={"disposition": "resolved", "note": "年费减免已说明"})  # the 服务小结
            assert r.status_code == 200
        finally:
            requests.patch(f"{bot.api_url}/api/v1/agent/me", json={"status": "offline"}, headers=agent, timeout=10)
    assert "csat" in str(chat.say(payload='/survey_nps{"score":10}')).lower()
    chat.say(payload='/survey_csat{"rating":"满意"}')
    assert "感谢您的评价" in str(chat.say(payload="/survey_skip"))
    reply = chat.say("怎么查余额")
    assert reply["state"] == "bot"
    assert any("余额" in m["text"] for m in reply["messages"] if m["from"] == "bot")


def test_pii_sent_through_the_bridge_is_never_stored_or_logged(bot: Bot) -> None:
    secrets = ["6212261202011234565", "440304199001011233", "13912345678", "Secr3tPwd"]
    chat = Chat(bot)
    reply = chat.say(f"我的卡号{secrets[0]}，身份证{secrets[1]}，手机{secrets[2]}，密码是{secrets[3]}")
    assert "请勿" in str(reply)  # the bot got masked text and still warned
    assert not any(s in str(reply) for s in secrets)
    chat.say("量子纠缠是什么，我手机13912345678")  # a miss lands in the unanswered store
    time.sleep(1)
    for path in bot.data_dir.rglob("*"):
        if path.is_file() and path.suffix not in (".gz", ".faiss", ".npz"):
            content = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in content, f"{secret} found in {path}"


def test_metrics_are_exposed(bot: Bot) -> None:
    Chat(bot).say("你好")
    text = requests.get(f"{bot.api_url}/metrics", timeout=10).text
    assert "bridge_bot_reply_seconds_count" in text and "bridge_messages_total" in text


@pytest.mark.skipif(not EXAM.exists(), reason="../shared/tools/exam.py not present")
def test_smoke_exam_passes_through_the_customer_api(bot: Bot) -> None:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, str(EXAM), "--api", bot.api_url, "--min", "1.0"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert time.monotonic() - started < 300
