"""Agents and supervisors: login and roles, capacity and re-dispatch, going offline, transfer, canned
responses, the supervisor overview, WebSocket events, and a bridge restart that loses nothing."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.staff.accounts import create_user
from api.store.database import make_engine, make_sessionmaker
from common.institution import Institution
from kb_index.entry import KbEntry
from kb_index.index import build
from kb_index.policy import Thresholds
from kb_index.service import KbService
from tests.api.conftest import Customer, ScriptedRasa, Staff
from tests.kb_index.fakes import HashingEncoder

ROOT = Path(__file__).resolve().parents[2]


def test_login_roles_and_tokens(client: TestClient) -> None:
    assert client.post("/api/v1/auth/login", json={"username": "agent", "password": "nope"}).status_code == 401
    assert client.get("/api/v1/agent/me").status_code == 401
    assert client.get("/api/v1/agent/me", headers={"Authorization": "Bearer forged"}).status_code == 401
    trainer = Staff(client, "trainer")
    assert client.get("/api/v1/agent/me", headers=trainer.auth).status_code == 403
    agent = Staff(client, "agent")
    assert client.get("/api/v1/supervisor/overview", headers=agent.auth).status_code == 403
    me = agent.get("/api/v1/agent/me")
    assert me["role"] == "agent" and me["status"] == "offline" and me["load"] == 0
    r = client.patch("/api/v1/agent/me", json={"skills": ["外汇"]}, headers=agent.auth)
    assert r.status_code == 422 and "外汇" in r.json()["detail"]
    agent.post("/api/v1/auth/logout", status=204)
    assert client.get("/api/v1/agent/me", headers=agent.auth).status_code == 401


def test_capacity_is_respected_and_freed_capacity_takes_the_next(client: TestClient) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online", capacity=1)
    first, second = Customer(client), Customer(client)
    assert first.say("转人工")["state"] == "agent"
    reply = second.say("转人工")
    assert reply["state"] == "queued" and reply["queue_position"] == 1
    agent.post(f"/api/v1/agent/conversations/{first.id}/close", {"disposition": "resolved"})
    assert second.history()["state"] == "agent"


def test_skill_group_routing_and_transfer(client: TestClient) -> None:
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online", skills=["通用"])
    boss.patch_me(status="online", skills=["信用卡"])
    card = Customer(client)
    card.say("信用卡逾期了转人工")
    assert [c["id"] for c in boss.get("/api/v1/agent/conversations")] == [card.id]
    general = Customer(client)
    general.say("转人工")
    assert [c["id"] for c in agent.get("/api/v1/agent/conversations")] == [general.id]
    agent.post(f"/api/v1/agent/conversations/{general.id}/transfer", {"agent": "supervisor"})
    assert agent.get("/api/v1/agent/conversations") == []
    assert {c["id"] for c in boss.get("/api/v1/agent/conversations")} == {card.id, general.id}
    boss_name = boss.get("/api/v1/agent/me")["public_name"]
    assert boss_name in str(general.history()) and "班长老李" not in str(general.history())
    boss.post(f"/api/v1/agent/conversations/{card.id}/transfer", {"skill_group": "通用"})
    assert [c["id"] for c in agent.get("/api/v1/agent/conversations")] == [card.id]
    r = client.post(f"/api/v1/agent/conversations/{card.id}/messages", json={"text": "hi"}, headers=boss.auth)
    assert r.status_code == 200  # a supervisor may step into any live chat
    r = client.post(f"/api/v1/agent/conversations/{card.id}/transfer", json={"skill_group": "外汇"},
                    headers=agent.auth)
    assert r.status_code == 422


def test_going_offline_requeues_and_redispatches(client: TestClient) -> None:
    agent, boss = Staff(client, "agent"), Staff(client, "supervisor")
    agent.patch_me(status="online")
    c = Customer(client)
    c.say("转人工")
    assert c.history()["state"] == "agent"
    agent.patch_me(status="offline")
    assert c.history()["state"] == "queued"
    overview = boss.get("/api/v1/supervisor/overview")
    assert [q["conversation_id"] for q in overview["queue"]] == [c.id]
    boss.patch_me(status="online")
    assert [x["id"] for x in boss.get("/api/v1/supervisor/overview")["live"]] == [c.id]


def test_agent_websocket_gets_assignments_and_customer_messages(client: TestClient) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    with client.websocket_connect("/api/v1/agent/ws", subprotocols=["bankcs.v1", f"bearer.{agent.token}"]) as ws:
        c = Customer(client)
        with client.websocket_connect(f"/api/v1/conversations/{c.id}/ws",
                                      subprotocols=["bankcs.v1", f"bearer.{c.token}"]) as cws:
            c.say("转人工")
            events = [ws.receive_json() for _ in range(2)]
            assert {"assigned", "queue"} >= {e["type"] for e in events}
            assigned = next(e for e in events if e["type"] == "assigned")
            assert assigned["conversation"]["id"] == c.id
            c.say("卡被吞了")
            event = ws.receive_json()
            while event["type"] != "message":
                event = ws.receive_json()
            assert event["message"]["text"] == "卡被吞了"
            agent.post(f"/api/v1/agent/conversations/{c.id}/messages", {"text": "请稍等"})
            seen = [cws.receive_json()]
            while not (seen[-1]["type"] == "message" and seen[-1]["message"]["from"] == "agent"):
                seen.append(cws.receive_json())
            assert seen[-1]["message"]["text"] == "请稍等"
            name = agent.get("/api/v1/agent/me")["public_name"]
            assert any(e["type"] == "state" and e["state"] == "agent" and e["agent_name"] == name for e in seen)


def test_canned_responses_search(client: TestClient) -> None:
    agent = Staff(client, "agent")
    everything = agent.get("/api/v1/agent/canned")
    assert len(everything) >= 10
    found = agent.get("/api/v1/agent/canned", q="挂失")
    assert found and all("挂失" in c["title"] + c["text"] for c in found)


def test_a_restart_loses_nothing(settings: Settings, rasa: ScriptedRasa) -> None:
    with TestClient(create_app(settings, rasa)) as client:  # type: ignore[arg-type]
        agent = Staff(client, "agent")
        agent.patch_me(status="online", capacity=1)
        served, waiting = Customer(client), Customer(client)
        served.say("转人工")
        waiting.say("转人工")
        token = agent.token
    with TestClient(create_app(settings, rasa)) as client:  # type: ignore[arg-type]
        served.client = waiting.client = client
        assert served.history()["state"] == "agent" and "转人工" in str(served.history())
        assert waiting.history()["state"] == "queued"
        r = client.get("/api/v1/agent/conversations", headers={"Authorization": f"Bearer {token}"})
        assert [c["id"] for c in r.json()] == [served.id]


def production_settings(data_dir: Path) -> Settings:
    """Production mode as deployed: service secrets, a callback-number key and real institution facts."""
    project = data_dir / "project"
    project.mkdir(parents=True, exist_ok=True)
    domain = (ROOT / "domain.yml").read_text(encoding="utf-8")
    (project / "domain.yml").write_text(domain.replace('"本行"', '"上海城市商业银行"')
                                        .replace('"客服热线95xxx"', '"客服热线95500"'), encoding="utf-8")
    return Settings(data_dir=data_dir, environment="production", kb_suggestions=False, project_dir=project,
                    rasa_jwt_secret="j" * 32, rasa_channel_secret="c" * 32, callback_key=Fernet.generate_key().decode())


def test_outside_development_mode_no_demo_accounts(settings: Settings, rasa: ScriptedRasa) -> None:
    prod = production_settings(settings.data_dir / "prod")
    with TestClient(create_app(prod, rasa)) as client:  # type: ignore[arg-type]
        r = client.post("/api/v1/auth/login", json={"username": "agent", "password": "demo"})
        assert r.status_code == 401
        sessions = make_sessionmaker(make_engine(prod.db_url))
        with sessions() as db, db.begin():
            create_user(db, "wang", "demo", "agent")
        r = client.post("/api/v1/auth/login", json={"username": "wang", "password": "demo"})
        assert r.status_code == 401 and "demo" in r.json()["detail"]


def test_an_agent_whose_console_drops_is_requeued_after_the_grace_period(tmp_path: Path, rasa: ScriptedRasa) -> None:
    import time

    settings = Settings(data_dir=tmp_path, kb_suggestions=False, agent_grace_s=0.3, demo_password="demo-pass")
    with TestClient(create_app(settings, rasa)) as client:  # type: ignore[arg-type]
        agent = Staff(client, "agent")
        agent.patch_me(status="online")
        c = Customer(client)
        with client.websocket_connect("/api/v1/agent/ws", subprotocols=["bankcs.v1", f"bearer.{agent.token}"]):
            c.say("转人工")
            assert c.history()["state"] == "agent"
        with client.websocket_connect("/api/v1/agent/ws", subprotocols=["bankcs.v1", f"bearer.{agent.token}"]):
            time.sleep(0.6)  # reconnected within the grace period: nothing changes
            assert c.history()["state"] == "agent"
        deadline = time.monotonic() + 5
        while c.history()["state"] != "queued" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert c.history()["state"] == "queued"
        assert agent.get("/api/v1/agent/me")["status"] == "offline"


def test_kb_suggestions_fill_the_institution_facts(client: TestClient, tmp_path: Path) -> None:
    """What an agent inserts into a reply must never show a raw {hotline} placeholder."""
    entry = KbEntry("card-loss", "银行卡丢了怎么挂失", "请立即通过{app_name}或拨打{hotline}挂失。", similar=("卡丢了",))
    build([entry], HashingEncoder(), tmp_path / "kb")
    service = KbService(tmp_path / "kb", Thresholds(answer=0.95, suggest=0.6), lambda spec: HashingEncoder())
    service.reload_if_changed()
    client.app.state.kb = lambda: service  # type: ignore[attr-defined]
    (found,) = Staff(client, "agent").get("/api/v1/agent/kb-suggestions", q="卡丢了")
    org = Institution.from_domain(ROOT / "domain.yml")
    assert found["entry_id"] == "card-loss" and found["score"] == 1.0
    assert found["answer"] == f"请立即通过{org.app_name}或拨打{org.hotline}挂失。" and "{" not in found["answer"]
