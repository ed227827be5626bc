"""Smaller access findings (issue 11): trainers read only the workbench's audit entries; agents get KB
suggestions only for conversations assigned to them (supervisors for any); ``/kb_select`` refuses a retired or
channel-restricted entry however the payload was made; KB errors never show absolute paths."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.kb_fallback as kb_fallback
from actions.kb_fallback import ActionKbSelect
from api.app import create_app
from api.compliance.paths import hide_paths
from api.settings import Settings
from kb_index.entry import KbEntry
from kb_index.index import build
from kb_index.policy import Thresholds
from kb_index.service import KbService
from tests.actions.trackers import INSTITUTION
from tests.api.conftest import Customer, ScriptedRasa, Staff
from tests.kb_index.fakes import HashingEncoder


def test_trainers_read_only_the_workbench_s_audit_entries(trainer_client: tuple[TestClient, Staff]
                                                          ) -> None:
    client, trainer = trainer_client
    trainer.post("/api/v1/trainer/intents/card_report_loss/examples", {"text": "我的卡不见了咋整"}, status=201)
    client.post("/api/v1/auth/login", json={"username": "someone", "password": "wrong"})
    boss = Staff(client, "supervisor")
    Customer(client, "cust-audit")
    client.delete("/api/v1/supervisor/customers/cust-audit", headers=boss.auth)
    everything = {a["action"] for a in boss.get("/api/v1/supervisor/audit")}
    assert {"add_example", "login", "login_failed", "customer_deleted"} <= everything
    seen = {a["action"] for a in trainer.get("/api/v1/trainer/audit")}
    assert seen == {"add_example"}


@pytest.fixture()
def kb_client(tmp_path: Path, rasa: ScriptedRasa) -> Iterator[TestClient]:
    build([KbEntry("fee", "信用卡年费是多少", "年费见{app_name}。")], HashingEncoder(), tmp_path / "kb")
    service = KbService(tmp_path / "kb", Thresholds(answer=0.95, suggest=0.5), lambda spec: HashingEncoder())
    service.reload_if_changed()
    app = create_app(Settings(data_dir=tmp_path, demo_password="demo-pass"), rasa)  # type: ignore[arg-type]
    app.state.kb = lambda: service
    with TestClient(app) as client:
        yield client


def test_agents_get_kb_suggestions_only_for_their_own_conversations(kb_client: TestClient) -> None:
    agent, boss = Staff(kb_client, "agent"), Staff(kb_client, "supervisor")
    agent.patch_me(status="online")
    mine, other = Customer(kb_client), Customer(kb_client)
    mine.say("转人工")
    mine.say("信用卡年费是多少")
    other.say("信用卡年费是多少")  # still with the bot: nobody's
    path = "/api/v1/agent/kb-suggestions"
    assert kb_client.get(path, params={"conversation_id": mine.id}, headers=agent.auth).json()[0]["entry_id"] == "fee"
    refused = kb_client.get(path, params={"conversation_id": other.id}, headers=agent.auth)
    assert refused.status_code == 403
    assert kb_client.get(path, params={"conversation_id": other.id}, headers=boss.auth).status_code == 200
    assert kb_client.get(path, params={"q": "信用卡年费"}, headers=agent.auth).status_code == 200  # own words


def _select(entry_id: str, channel: str | None) -> list[dict[str, Any]]:
    metadata = {"channel": channel} if channel else {}
    tracker = Tracker("conv-1", dict(INSTITUTION), {
        "text": f'/kb_select{{"kb_entry":"{entry_id}"}}', "intent": {"name": "kb_select", "confidence": 1.0},
        "entities": [{"entity": "kb_entry", "value": entry_id}], "metadata": metadata},
        [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionKbSelect().run(dispatcher, tracker, {}))
    return dispatcher.messages


def test_kb_select_refuses_retired_and_channel_restricted_entries(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    yesterday = dt.date.today() - dt.timedelta(days=1)
    build([KbEntry("live", "转账限额是多少", "单笔5万元。"),
           KbEntry("retired", "旧利率是多少", "已下线的利率。", valid_until=yesterday),
           KbEntry("app-only", "App专享理财", "仅限App。", channels=("app",))], HashingEncoder(), tmp_path / "kb")
    service = KbService(tmp_path / "kb", Thresholds(answer=0.95, suggest=0.6), lambda spec: HashingEncoder())
    service.reload_if_changed()
    monkeypatch.setattr(kb_fallback, "kb_service", lambda: service)
    assert _select("live", None)[0]["text"].startswith("单笔")
    assert _select("retired", None)[0]["response"] == "utter_kb_select_unknown"
    assert _select("app-only", "web")[0]["response"] == "utter_kb_select_unknown"
    assert _select("app-only", None)[0]["response"] == "utter_kb_select_unknown"  # channel unknown: not shown
    assert _select("app-only", "app")[0]["text"].startswith("仅限")


@pytest.mark.parametrize("text, expected", [
    ("/work/main/kb_index/faq/cards.yml: entry 3: no answer", "cards.yml: entry 3: no answer"),
    ("duplicate id 'x' (also in /tmp/pytest-1/project/faq/a.yml)", "duplicate id 'x' (also in a.yml)"),
    ("OSError: [Errno 2] No such file: '/var/data/kb/versions/20261201/index.faiss'",
     "OSError: [Errno 2] No such file: 'index.faiss'"),
    ("转人工 /human_handoff 与 /kb_select 不是路径", "转人工 /human_handoff 与 /kb_select 不是路径"),
])
def test_paths_are_cut_to_their_file_name(text: str, expected: str) -> None:
    assert hide_paths(text) == expected


def test_kb_errors_never_reveal_absolute_paths(trainer_client: tuple[TestClient, Staff],
                                               project: Path) -> None:
    client, trainer = trainer_client
    (project / "faq" / "zz_broken.yml").write_text("area: zz\nentries:\n  - id: x\n    question: 没有答案\n",
                                                   encoding="utf-8")
    r = client.post("/api/v1/trainer/kb", json={"area": "trainer", "question": "积存金怎么买", "answer": "在App买"},
                    headers=trainer.auth)
    assert r.status_code == 422 and "zz_broken.yml" in str(r.json())
    assert str(project) not in str(r.json()) and "/" not in r.json()["detail"]
    files = client.app.state.kb_files  # type: ignore[attr-defined]
    files.rebuild()
    assert files.wait_idle()
    status = trainer.get("/api/v1/trainer/kb-status")
    assert status["last_error"] and str(project) not in status["last_error"]
