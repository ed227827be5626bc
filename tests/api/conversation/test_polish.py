"""Issue 12, finding 10 (the bridge's side): customers see an agent's customer-facing name (a nickname the agent
sets, else 工号) and never the internal title (坐席小王); every refusal a user reads is Chinese (login, roles,
transfer, validation); and outside development the bridge refuses to start while domain.yml's institution
facts are placeholders (客服热线95xxx)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import BridgeStartupError
from api.settings import Settings
from tests.api.conftest import Customer, ScriptedRasa, Staff

ROOT = Path(__file__).resolve().parents[3]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_customers_see_the_agents_customer_facing_name(client: TestClient) -> None:
    agent = Staff(client, "agent")
    me = agent.patch_me(status="online")
    assert me["display_name"] == "坐席小王" and re.fullmatch(r"工号\d{4}", me["public_name"])
    c = Customer(client)
    assert c.say("转人工")["agent_name"] == me["public_name"]
    assert agent.patch_me(public_name="小雅")["public_name"] == "小雅"
    agent.post(f"/api/v1/agent/conversations/{c.id}/messages", {"text": "您好"})
    seen = c.history()
    assert seen["agent_name"] == "小雅" and seen["messages"][-1]["agent_name"] == "小雅"
    assert "坐席小王" not in str(seen)
    r = client.patch("/api/v1/agent/me", json={"public_name": "x" * 17}, headers=agent.auth)
    assert r.status_code == 422 and "昵称：不能超过 16 个字符" in r.json()["detail"]


@pytest.mark.parametrize("method, path, body, status", [
    ("get", "/api/v1/agent/me", None, 401),
    ("get", "/api/v1/supervisor/overview", None, 403),
    ("post", "/api/v1/agent/conversations/nope/transfer", {"agent": "supervisor"}, 404),
    ("patch", "/api/v1/agent/me", {"status": "busy"}, 422),
    ("patch", "/api/v1/agent/me", {"capacity": "many"}, 422),
    ("patch", "/api/v1/agent/me", {"colour": "red"}, 422),
    ("get", "/api/v1/agent/kb-suggestions", None, 422),
])
def test_refusals_are_in_chinese(client: TestClient, method: str, path: str, body: dict | None,
                                 status: int) -> None:
    agent = Staff(client, "agent")
    headers = {} if status == 401 else agent.auth
    r = client.request(method.upper(), path, json=body, headers=headers)
    assert r.status_code == status and CJK.search(r.json()["detail"]), r.json()
    assert not re.search(r"[A-Za-z]{4,} [A-Za-z]{3,}", r.json()["detail"]), r.json()  # no English sentence


def test_a_wrong_login_is_refused_in_chinese(client: TestClient) -> None:
    r = client.post("/api/v1/auth/login", json={"username": "agent", "password": "wrong"})
    assert r.status_code == 401 and CJK.search(r.json()["detail"])
    r = client.post("/api/v1/auth/login", json={"username": "", "password": "x"})
    assert r.status_code == 422 and r.json()["detail"] == "用户名：不能为空"


def test_customer_refusals_are_in_chinese(client: TestClient) -> None:
    c = Customer(client)
    for body in ({}, {"text": "   "}, {"text": "a", "payload": "b"}):
        r = client.post(f"/api/v1/conversations/{c.id}/messages", json=body, headers=c.auth)
        assert r.status_code == 422 and CJK.search(r.json()["detail"]), r.json()
    assert "会话凭证无效" in client.post(f"/api/v1/conversations/{c.id}/end").json()["detail"]


def project_with(tmp_path: Path, hotline: str, org: str) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    domain = (ROOT / "domain.yml").read_text(encoding="utf-8")
    assert '"客服热线95xxx"' in domain and '"本行"' in domain
    (project / "domain.yml").write_text(domain.replace('"客服热线95xxx"', f'"{hotline}"')
                                        .replace('"本行"', f'"{org}"'), encoding="utf-8")
    return project


def production(tmp_path: Path, project: Path) -> Settings:
    return Settings(data_dir=tmp_path, environment="production", kb_suggestions=False, project_dir=project,
                    rasa_jwt_secret="j" * 32, rasa_channel_secret="c" * 32, callback_key=Fernet.generate_key().decode())


def test_outside_development_placeholder_facts_stop_the_start(tmp_path: Path, rasa: ScriptedRasa) -> None:
    shipped = production(tmp_path, project_with(tmp_path, "客服热线95xxx", "本行"))
    with pytest.raises(BridgeStartupError, match="hotline=客服热线95xxx") as refused:
        create_app(shipped, rasa)  # type: ignore[arg-type]
    assert "org_name=本行" in str(refused.value)
    real = production(tmp_path, project_with(tmp_path, "客服热线95500", "上海城市商业银行"))
    with TestClient(create_app(real, rasa)) as client:  # type: ignore[arg-type]
        assert client.get("/healthz").status_code == 200
    development = Settings(data_dir=tmp_path / "dev", kb_suggestions=False,
                           project_dir=project_with(tmp_path, "客服热线95xxx", "本行"))
    with TestClient(create_app(development, rasa)) as client:  # type: ignore[arg-type]
        assert client.get("/healthz").status_code == 200  # development keeps the demo facts
