"""Issue 12, finding 3: 留言 callbacks are possible and the number stays protected. The widget's form sends a
callback number that is checked (mainland mobile or landline, reasons in Chinese), a preferred time and the
question; the number is stored encrypted (Fernet) and masked everywhere — list, transcript, logs — except an
explicit reveal to an agent or supervisor, which is audited; the list has the date, status, attempts and the
conversation behind each 留言, and 已回拨 / 未接通 outcomes."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from api.app import create_app
from api.conversation.callback_numbers import CallbackNumberError, mask_number, parse_callback_number
from api.errors import BridgeStartupError
from api.settings import Settings
from api.store.encryption import KEY_FILE, FieldCipher, UnreadableSecret
from api.store.models import LeaveMessage
from tests.api.conftest import Customer, ScriptedRasa, Staff

NUMBER = "13912345678"


@pytest.mark.parametrize("typed, number", [
    ("13912345678", "13912345678"), ("139 1234 5678", "13912345678"), ("+86 139-1234-5678", "13912345678"),
    ("１３９１２３４５６７８", "13912345678"), ("021-62345678", "021-62345678"), ("02162345678", "021-62345678"),
    ("(010)62345678", "010-62345678"), ("0571 8765432", "0571-8765432"), ("057187654321", "0571-87654321"),
    ("021-62345678-123", "021-62345678-123"), ("021-62345678转123", "021-62345678-123"),
])
def test_callback_numbers_are_read_as_typed(typed: str, number: str) -> None:
    assert parse_callback_number(typed).number == number


@pytest.mark.parametrize("typed, reason", [
    ("", "请填写"), ("1391234567", "11位"), ("12345", "11位"), ("400-888-8888", "400/800"),
    ("abc", "只能包含数字"), ("021-0234567", "正确的回电号码"), ("+44 20 7946 0958", "正确的回电号码"),
])
def test_numbers_that_cannot_be_called_back_are_refused_in_chinese(typed: str, reason: str) -> None:
    with pytest.raises(CallbackNumberError, match=reason):
        parse_callback_number(typed)


def test_masks() -> None:
    assert mask_number("13912345678") == "139****5678"
    assert mask_number("021-62345678-123") == "021-****5678"


def leave(client: TestClient, c: Customer, number: str, text: str = "信用卡年费问题，请回电") -> dict:
    r = client.post(f"/api/v1/conversations/{c.id}/leave-message", headers=c.auth,
                    json={"callback_number": number, "preferred_time": "下午 13:00-18:00", "text": text})
    return {"status": r.status_code, **r.json()}


def test_the_leave_form_stores_the_number_encrypted_and_shows_it_only_on_an_audited_reveal(
        client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    c = Customer(client, "cust-7")
    queued = c.say("转人工")
    assert queued["state"] == "queued"
    bad = leave(client, c, "1391234")
    assert bad["status"] == 422 and "手机号应为11位" in bad["detail"]
    done = leave(client, c, "139 1234 5678")
    assert done["status"] == 200 and done["state"] == "bot" and "已收到您的留言" in str(done["messages"])
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        (row,) = db.scalars(select(LeaveMessage)).all()
    assert row.callback_number == "139****5678" and row.preferred_time == "下午 13:00-18:00"
    assert NUMBER not in (row.callback_number_enc or "") and row.callback_number_enc  # at rest: ciphertext
    agent = Staff(client, "agent")
    (listed,) = agent.get("/api/v1/agent/leave-messages")
    assert listed["callback_number"] == "139****5678" and listed["has_number"] and listed["customer_id"] == "cust-7"
    assert listed["created_at"] and listed["conversation_id"] == c.id and listed["status"] == "open"
    assert NUMBER not in str(agent.get(f"/api/v1/agent/leave-messages/{listed['id']}/conversation"))
    assert NUMBER not in str(c.history()) and "139****5678" in str(c.history())  # the transcript: masked
    revealed = agent.post(f"/api/v1/agent/leave-messages/{listed['id']}/reveal")
    assert revealed == {"callback_number": NUMBER}
    boss = Staff(client, "supervisor")
    (entry,) = boss.get("/api/v1/supervisor/audit", action="reveal_callback_number")
    assert entry["actor"] == "agent" and entry["target"] == str(listed["id"]) and NUMBER not in str(entry)
    assert boss.post(f"/api/v1/agent/leave-messages/{listed['id']}/reveal") == {"callback_number": NUMBER}
    trainer = Staff(client, "trainer")
    r = client.post(f"/api/v1/agent/leave-messages/{listed['id']}/reveal", headers=trainer.auth)
    assert r.status_code == 403
    assert not any(NUMBER in record.getMessage() for record in caplog.records)  # nor in the logs


def test_call_back_outcomes(client: TestClient) -> None:
    c = Customer(client)
    assert leave(client, c, "021-62345678转123")["status"] == 200
    agent = Staff(client, "agent")
    (item,) = agent.get("/api/v1/agent/leave-messages")
    missed = agent.post(f"/api/v1/agent/leave-messages/{item['id']}/outcome", {"outcome": "no_answer"})
    assert missed["status"] == "open" and missed["outcome"] == "no_answer" and missed["attempts"] == 1
    called = agent.post(f"/api/v1/agent/leave-messages/{item['id']}/outcome", {"outcome": "called_back"})
    assert called["status"] == "closed" and called["attempts"] == 2 and called["outcome_at"]
    assert agent.get("/api/v1/agent/leave-messages") == []
    assert [m["id"] for m in agent.get("/api/v1/agent/leave-messages", status="all")] == [item["id"]]
    r = client.post(f"/api/v1/agent/leave-messages/{item['id']}/outcome", json={"outcome": "no_answer"},
                    headers=agent.auth)
    assert r.status_code == 409 and "已处理" in r.json()["detail"]


def test_a_text_leave_message_is_encrypted_too(client: TestClient) -> None:
    c = Customer(client)
    c.say(payload="/leave_message")
    c.say(f"请回电{NUMBER}，信用卡年费问题")
    agent = Staff(client, "agent")
    (item,) = agent.get("/api/v1/agent/leave-messages")
    assert item["callback_number"] == "139****5678" and NUMBER not in item["text"]
    assert agent.post(f"/api/v1/agent/leave-messages/{item['id']}/reveal") == {"callback_number": NUMBER}


def test_the_development_key_is_generated_once_and_private(tmp_path: Path) -> None:
    first = FieldCipher.from_settings("", True, tmp_path)
    key = tmp_path / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    again = FieldCipher.from_settings("", True, tmp_path)
    assert again.decrypt(first.encrypt(NUMBER)) == NUMBER  # the same key after a restart


def test_no_default_key_outside_development_and_a_bad_key_is_named_not_shown(tmp_path: Path,
                                                                             rasa: ScriptedRasa) -> None:
    with pytest.raises(BridgeStartupError, match="CALLBACK_KEY"):
        FieldCipher.from_settings("", False, tmp_path)
    assert not (tmp_path / KEY_FILE).exists()
    with pytest.raises(ValidationError, match="CALLBACK_KEY") as refused:
        Settings(data_dir=tmp_path, callback_key="not-a-fernet-key")
    assert "not-a-fernet-key" not in str(refused.value)
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = FieldCipher.from_settings(old, False, tmp_path).encrypt(NUMBER)
    rotated = FieldCipher.from_settings(f"{new},{old}", False, tmp_path)  # the first key encrypts, all decrypt
    assert rotated.decrypt(token) == NUMBER
    with pytest.raises(UnreadableSecret):
        FieldCipher.from_settings(new, False, tmp_path).decrypt(token)


def test_a_configured_key_is_used(tmp_path: Path, rasa: ScriptedRasa) -> None:
    key = Fernet.generate_key().decode()
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass", callback_key=key)
    with TestClient(create_app(settings, rasa)) as client:  # type: ignore[arg-type]
        c = Customer(client)
        assert leave(client, c, NUMBER)["status"] == 200
        with client.app.state.sessions() as db:  # type: ignore[attr-defined]
            (row,) = db.scalars(select(LeaveMessage)).all()
    assert Fernet(key.encode()).decrypt(row.callback_number_enc.encode()).decode() == NUMBER
    assert not (tmp_path / KEY_FILE).exists()
