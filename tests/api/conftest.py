"""The bridge app on a temporary SQLite database with a scripted stand-in for the Rasa server (the real one
is exercised in tests/e2e)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.rasa_client import BotTurn, BotUnavailable
from api.settings import Settings


class ScriptedRasa:
    """Answers like the bot: 转人工 -> handoff signal; 信用卡 -> an intent in the 信用卡 group; 宕机 -> down."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.down = False
        self.parsed: dict[str, Any] | None = None  # what /model/parse answers; None: unreachable
        self.parse_calls: list[str] = []
        self.erased: list[str] = []  # Rasa conversations erased (deletion requests, retention)

    async def parse(self, text: str) -> dict[str, Any]:
        self.parse_calls.append(text)
        if self.parsed is None:
            raise BotUnavailable("no NLU model in the scripted stand-in", "ConnectError")
        return self.parsed

    async def send(self, sender: str, text: str) -> BotTurn:
        self.calls.append((sender, text))
        if self.down or "宕机" in text:
            raise BotUnavailable("connection refused")
        if "转人工" in text or text == "/human_handoff":
            intent = "credit_card_overdue" if "信用卡" in text else "human_handoff"
            return BotTurn(texts=[("好的，正在为您转接人工客服，请稍候。", [])],
                           handoff={"reason": "customer_request", "intent": intent, "confidence": 0.97,
                                    "slots": {}})
        if "水电" in text:
            return BotTurn(texts=[("请在生活缴费里开通代扣。", []),
                                  ("这个回答对您有帮助吗？", [{"title": "有帮助", "payload": "/kb_helpful"}])],
                           kb={"query": text, "action": "answer",
                               "candidates": [{"entry_id": "tp-029", "question": "水电费代扣", "score": 0.95}]})
        return BotTurn(texts=[(f"您说的是：{text}", [{"title": "转人工客服", "payload": "/human_handoff"}])])

    async def erase_conversation(self, sender: str) -> None:
        if self.down:
            raise BotUnavailable("connection refused")
        self.erased.append(sender)

    async def close(self) -> None:
        pass


@pytest.fixture()
def rasa() -> ScriptedRasa:
    return ScriptedRasa()


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass")


@pytest.fixture()
def client(settings: Settings, rasa: ScriptedRasa) -> Iterator[TestClient]:
    app = create_app(settings, rasa)  # type: ignore[arg-type]
    with TestClient(app) as c:
        yield c


class Customer:
    def __init__(self, client: TestClient, customer_id: str | None = None) -> None:
        body: dict[str, Any] = {"channel": "web"}
        if customer_id:
            body["customer_id"] = customer_id
        r = client.post("/api/v1/conversations", json=body)
        assert r.status_code == 201, r.text
        self.client, self.created = client, r.json()
        self.id, self.token = self.created["id"], self.created["token"]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def say(self, text: str | None = None, payload: str | None = None) -> dict[str, Any]:
        body = {"text": text} if payload is None else {"payload": payload}
        r = self.client.post(f"/api/v1/conversations/{self.id}/messages", json=body, headers=self.auth)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def history(self, after: int = 0) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/conversations/{self.id}/messages", params={"after": after}, headers=self.auth)
        assert r.status_code == 200, r.text
        return dict(r.json())


class Staff:
    def __init__(self, client: TestClient, username: str, password: str = "demo-pass") -> None:
        r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert r.status_code == 200, r.text
        self.client, self.token, self.role = client, r.json()["token"], r.json()["role"]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> Any:
        r = self.client.get(path, params=params, headers=self.auth)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, body: dict | None = None, status: int = 200) -> Any:
        r = self.client.post(path, json=body or {}, headers=self.auth)
        assert r.status_code == status, r.text
        return r.json() if r.content else None

    def patch_me(self, **body: Any) -> Any:
        r = self.client.patch("/api/v1/agent/me", json=body, headers=self.auth)
        assert r.status_code == 200, r.text
        return r.json()
