"""Compliance at the bridge: sensitive words both ways, flags and an append-only audit trail."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from api.rasa_client import BotTurn
from api.settings import Settings
from tests.api.conftest import Customer, ScriptedRasa, Staff


def test_abusive_input_gets_a_calm_reply_and_a_flag(client: TestClient, rasa: ScriptedRasa) -> None:
    c = Customer(client)
    calls = len(rasa.calls)
    reply = c.say("你们这些垃圾客服")
    assert reply["messages"][-1]["from"] == "system" and "文明沟通" in reply["messages"][-1]["text"]
    assert len(rasa.calls) == calls
    boss = Staff(client, "supervisor")
    (flag,) = boss.get("/api/v1/supervisor/flags")
    assert (flag["source"], flag["category"], flag["blocked"]) == ("customer", "abuse", False)
    assert any(a["action"] == "sensitive_word" for a in boss.get("/api/v1/supervisor/audit"))


def test_forbidden_marketing_from_the_bot_is_blocked(client: TestClient, rasa: ScriptedRasa,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    async def send(sender: str, text: str) -> BotTurn:
        return BotTurn(texts=[("这款理财保本保收益，稳赚不赔", [])])

    monkeypatch.setattr(rasa, "send", send)
    reply = Customer(client).say("推荐个理财")
    assert "稳赚" not in str(reply) and "合规检查" in reply["messages"][-1]["text"]
    flags = Staff(client, "supervisor").get("/api/v1/supervisor/flags")
    assert {f["term"] for f in flags} >= {"保本保收益", "稳赚不赔"} and all(f["blocked"] for f in flags)


def test_forbidden_marketing_from_an_agent_is_refused(client: TestClient) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    c = Customer(client)
    c.say("转人工")
    r = client.post(f"/api/v1/agent/conversations/{c.id}/messages", json={"text": "放心，这个产品稳 赚 不 赔"},
                    headers=agent.auth)
    assert r.status_code == 422 and "稳赚不赔" in r.json()["detail"]
    assert "稳" not in "".join(m["text"] for m in c.history()["messages"] if m["from"] == "agent")


def test_the_audit_log_records_staff_actions_and_cannot_be_changed(client: TestClient, settings: Settings) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    client.post("/api/v1/auth/login", json={"username": "agent", "password": "wrong"})
    actions = [a["action"] for a in Staff(client, "supervisor").get("/api/v1/supervisor/audit")]
    assert {"login", "agent_settings", "login_failed", "create_user"} <= set(actions)
    assert client.get("/api/v1/supervisor/audit", headers=agent.auth).status_code == 403
    with sqlite3.connect(settings.data_dir / "bridge" / "bridge.db") as db:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM audit_log")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE audit_log SET actor = 'x'")


def test_a_silent_bot_still_gets_the_customer_an_answer(client: TestClient, rasa: ScriptedRasa,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    async def send(sender: str, text: str) -> BotTurn:
        return BotTurn()  # what Rasa returns when the action server is down

    monkeypatch.setattr(rasa, "send", send)
    reply = Customer(client).say("水电费怎么交")
    assert reply["messages"][-1]["from"] == "system" and "转人工" in str(reply["messages"][-1]["buttons"])


def test_audit_details_stay_valid_json_with_long_numbers_and_masked_text(client: TestClient) -> None:
    from api.compliance.audit import audit

    with client.app.state.sessions() as db, db.begin():  # type: ignore[attr-defined]
        audit(db, "trainer", "train_and_deploy", "m1", metrics={"accuracy": 0.9744597249508841},
              note="客户卡号6212261202011234565")
    (entry,) = [a for a in Staff(client, "supervisor").get("/api/v1/supervisor/audit") if a["target"] == "m1"]
    assert entry["detail"]["metrics"]["accuracy"] == 0.9744597249508841
    assert "6212261202011234565" not in entry["detail"]["note"]
