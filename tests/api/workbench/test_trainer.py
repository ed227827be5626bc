"""Trainer workbench API on a temporary copy of the project's NLU data and knowledge base."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from kb_index.policy import Thresholds
from kb_index.service import KbService
from kb_index.unanswered import UnansweredStore
from tests.api.conftest import ScriptedRasa, Staff
from tests.kb_index.fakes import HashingEncoder

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "config.yml", project)
    shutil.copy(ROOT / "domain.yml", project)
    shutil.copytree(ROOT / "nlu_data", project / "nlu_data")
    shutil.copytree(ROOT / "kb_index" / "faq", project / "faq")
    monkeypatch.setenv("KB_FAQ_DIR", str(project / "faq"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return project


@pytest.fixture()
def trainer_client(project: Path, tmp_path: Path) -> Iterator[tuple[TestClient, Staff]]:
    settings = Settings(data_dir=tmp_path / "data", project_dir=project, demo_password="demo-pass",
                        rasa_url="http://127.0.0.1:9", rasa_timeout_s=0.5)
    app = create_app(settings, ScriptedRasa())  # type: ignore[arg-type]
    app.state.kb_files._encoder = HashingEncoder  # a deterministic, fast stand-in for e5
    kb = KbService(tmp_path / "data" / "kb", Thresholds(0.95, 0.5), lambda spec: HashingEncoder())
    app.state.kb = lambda: kb
    with TestClient(app) as client:
        yield client, Staff(client, "trainer")


def test_only_trainers_may_use_the_workbench(trainer_client: tuple[TestClient, Staff]) -> None:
    client, trainer = trainer_client
    agent = Staff(client, "agent")
    assert client.get("/api/v1/trainer/intents", headers=agent.auth).status_code == 403
    assert client.get("/api/v1/trainer/unanswered").status_code == 401
    names = {i["name"]: i["examples"] for i in trainer.get("/api/v1/trainer/intents")}
    assert names["card_report_loss"] >= 15 and "kb_select" in names


def test_examples_are_validated_and_written_back_keeping_comments(trainer_client: tuple[TestClient, Staff],
                                                                  project: Path) -> None:
    client, trainer = trainer_client
    source = project / "nlu_data" / "nlu" / "cards_accounts.yml"
    before = source.read_text(encoding="utf-8")
    detail = trainer.post("/api/v1/trainer/intents/card_report_loss/examples",
                          {"text": "我的[信用卡](card_type)找不着了"}, status=201)
    assert "我的[信用卡](card_type)找不着了" in detail["examples"]
    after = source.read_text(encoding="utf-8")
    assert after.startswith(before.split("\n- intent")[0])  # header comments untouched
    assert len(after.splitlines()) == len(before.splitlines()) + 1
    for text, problem in (("挂失", "已是意图 card_report_loss 的例句"), ("", "不能为空"),
                          ("x" * 201, "过长：最多 200 个字"), ("我的借[记卡](card_type)丢了", "与分词边界不一致")):
        r = client.post("/api/v1/trainer/intents/card_report_loss/examples", json={"text": text}, headers=trainer.auth)
        assert r.status_code == 422 and problem in str(r.json()), (text, r.json())
    assert source.read_text(encoding="utf-8") == after  # refused edits write nothing
    assert client.post("/api/v1/trainer/intents/nope/examples", json={"text": "你好呀呀"},
                       headers=trainer.auth).status_code == 404
    audit = trainer.get("/api/v1/trainer/audit")
    assert audit[0]["action"] == "add_example" and "+" in audit[0]["detail"]["diff"]


def test_create_intent_adds_domain_response_and_rule(trainer_client: tuple[TestClient, Staff], project: Path) -> None:
    _, trainer = trainer_client
    trainer.post("/api/v1/trainer/intents", {"name": "gold_account", "examples": ["积存金怎么开户", "黄金账户怎么开"],
                                             "response": "积存金可在手机银行「贵金属」栏目开户。"}, status=201)
    domain = (project / "domain.yml").read_text(encoding="utf-8")
    assert "  - gold_account\n" in domain and "utter_gold_account" in domain
    assert "intent: gold_account" in (project / "nlu_data" / "rules.yml").read_text(encoding="utf-8")
    detail = trainer.get("/api/v1/trainer/intents/gold_account")
    assert detail["response"].startswith("积存金") and len(detail["examples"]) == 2


def test_kb_entries_are_edited_rebuilt_and_served(trainer_client: tuple[TestClient, Staff], project: Path) -> None:
    client, trainer = trainer_client
    entry = trainer.post("/api/v1/trainer/kb", {"area": "trainer", "category": "贵金属", "question": "积存金怎么买",
                                                "similar": ["黄金积存怎么买"],
                                                "answer": "登录{app_name}「贵金属」购买。"}, status=201)
    assert entry["updated_by"] == "trainer" and (project / "faq" / "trainer.yml").exists()
    files = client.app.state.kb_files  # type: ignore[attr-defined]
    assert files.wait_idle() and files.last_error is None
    kb = client.app.state.kb()  # type: ignore[attr-defined]
    kb.reload_if_changed()
    assert kb.lookup("积存金怎么买").hits[0].entry.id == entry["id"]
    updated = trainer.post(f"/api/v1/trainer/kb/{entry['id']}/similar", {"question": "纸黄金怎么买"})
    assert "纸黄金怎么买" in updated["similar"]
    r = client.post("/api/v1/trainer/kb", json={"id": entry["id"], "question": "x", "answer": "y"},
                    headers=trainer.auth)
    assert r.status_code == 422 and "已存在" in r.json()["detail"]
    retired = trainer.post(f"/api/v1/trainer/kb/{entry['id']}/retire")
    assert retired["retired"] and all(e["id"] != entry["id"] for e in trainer.get("/api/v1/trainer/kb", q="积存金"))
    status = trainer.get("/api/v1/trainer/kb-status")
    assert files.wait_idle() and status["last_error"] is None


def test_kb_import_dry_run_names_bad_rows_and_writes_nothing(trainer_client: tuple[TestClient, Staff],
                                                             project: Path) -> None:
    client, trainer = trainer_client
    csv = "id,question,answer\nq1,怎么开通网银,带身份证去网点\nq2,,没有问题\nq3,挂失怎么办,\n".encode()
    r = client.post("/api/v1/trainer/kb/import?dry_run=true&area=batch", headers=trainer.auth,
                    files={"file": ("faq.csv", io.BytesIO(csv), "text/csv")})
    body = r.json()
    assert r.status_code == 200 and not body["ok"] and not body["written"]
    assert any("faq.csv" in p and "row 3" in p for p in body["problems"])
    assert not (project / "faq" / "batch.yml").exists()
    good = "id,question,answer\nq1,怎么开通网银,带身份证去网点\n".encode()
    r = client.post("/api/v1/trainer/kb/import?dry_run=false&area=batch", headers=trainer.auth,
                    files={"file": ("faq.csv", io.BytesIO(good), "text/csv")})
    assert r.json() == {"ok": True, "entries": 1, "problems": [], "written": True, "added": ["q1"], "removed": [],
                        "changed": [], "needs_confirmation": False}
    assert (project / "faq" / "batch.yml").exists()


def test_unanswered_questions_are_grouped_and_resolved(trainer_client: tuple[TestClient, Staff],
                                                       tmp_path: Path) -> None:
    _, trainer = trainer_client
    store = UnansweredStore(tmp_path / "data" / "kb" / "unanswered.db")
    for text in ("积存金怎么买", "积存金怎么买？", "积存金怎么购买", "外汇怎么换"):
        store.record("fallback", text)
    store.record("negative_feedback", "外汇怎么换呀")
    groups = trainer.get("/api/v1/trainer/unanswered")
    assert [g["count"] for g in groups] == [3, 2]
    assert groups[1]["kinds"] == {"fallback": 1, "negative_feedback": 1}
    trainer.post("/api/v1/trainer/unanswered/resolve", {"ids": groups[1]["ids"], "action": "dismiss"})
    entry = trainer.post("/api/v1/trainer/kb", {"question": "黄金积存业务介绍", "answer": "积存金是……"}, status=201)
    trainer.post("/api/v1/trainer/unanswered/resolve",
                 {"ids": groups[0]["ids"], "action": "add_similar", "entry_id": entry["id"]})
    assert "积存金怎么买" in trainer.get(f"/api/v1/trainer/kb/{entry['id']}")["similar"]
    assert trainer.get("/api/v1/trainer/unanswered") == []


def test_test_console_shows_tokens_and_kb_candidates_even_with_rasa_down(
        trainer_client: tuple[TestClient, Staff]) -> None:
    client, trainer = trainer_client
    files = client.app.state.kb_files  # type: ignore[attr-defined]
    files.rebuild()
    assert files.wait_idle()
    client.app.state.kb().reload_if_changed()  # type: ignore[attr-defined]
    result = trainer.post("/api/v1/trainer/test", {"text": "我的借记卡丢了，卡号6212261202011234565"})
    assert "借记卡" in result["tokens"] and "6212261202011234565" not in str(result)
    assert result["nlu_error"].startswith("意图识别服务（Rasa）不可用") and result["kb"]["candidates"]


def test_test_console_asks_rasa_through_the_bridges_client_with_masked_text(
        trainer_client: tuple[TestClient, Staff]) -> None:
    client, trainer = trainer_client
    rasa = client.app.state.chat.rasa  # type: ignore[attr-defined]
    ranking = [{"name": f"intent_{i}", "confidence": round(1 - i / 20, 2)} for i in range(12)]
    rasa.parsed = {"intent": ranking[0], "intent_ranking": ranking,
                   "entities": [{"entity": "card_type", "value": "借记卡", "start": 2, "end": 5, "extractor": "x"}]}
    result = trainer.post("/api/v1/trainer/test", {"text": "我的借记卡丢了，卡号6212261202011234565"})
    assert result["intent"] == ranking[0] and result["intent_ranking"] == ranking[:10]
    assert result["entities"] == [{"entity": "card_type", "value": "借记卡", "start": 2, "end": 5}]
    assert result["nlu_error"] is None and "6212261202011234565" not in result["text"]
    assert rasa.parse_calls == [result["text"]]  # Rasa got the masked text


def test_no_second_training_job_while_one_runs(trainer_client: tuple[TestClient, Staff]) -> None:
    client, trainer = trainer_client
    import threading

    from api.workbench.training import Job

    gate = threading.Event()
    runner = client.app.state.trainer  # type: ignore[attr-defined]
    job = runner._start("train", lambda j: gate.wait(5))  # a job that is still running
    assert isinstance(job, Job)
    r = client.post("/api/v1/trainer/train", headers=trainer.auth)
    assert r.status_code == 409 and job.id in r.json()["detail"]
    gate.set()
    assert client.post("/api/v1/trainer/models/nope/deploy", headers=trainer.auth).status_code in (404, 409)


def test_synonyms_and_lookup_entries(trainer_client: tuple[TestClient, Staff], project: Path) -> None:
    client, trainer = trainer_client
    trainer.post("/api/v1/trainer/synonyms", {"value": "借记卡", "synonym": "借录卡"})
    assert "借录卡" in next(s for s in trainer.get("/api/v1/trainer/synonyms") if s["value"] == "借记卡")["synonyms"]
    r = client.post("/api/v1/trainer/synonyms", json={"value": "信用卡", "synonym": "借录卡"}, headers=trainer.auth)
    assert r.status_code == 422 and "借录卡" in r.json()["detail"]
    city = trainer.post("/api/v1/trainer/lookups", {"name": "city", "entry": "克拉玛依"})
    assert "克拉玛依" in city["entries"] and "北京" in city["entries"]
    text = (project / "nlu_data" / "lookups.yml").read_text(encoding="utf-8")
    assert text.startswith('version: "3.1"\nnlu:\n# cities the branch finder knows')  # comments kept
    assert client.post("/api/v1/trainer/lookups", json={"name": "city", "entry": "北京"},
                       headers=trainer.auth).status_code == 422


def test_intents_created_in_the_workbench_can_be_deleted_and_no_others(trainer_client: tuple[TestClient, Staff],
                                                                         project: Path) -> None:
    client, trainer = trainer_client
    domain_before = (project / "domain.yml").read_text(encoding="utf-8")
    rules_before = (project / "nlu_data" / "rules.yml").read_text(encoding="utf-8")
    trainer.post("/api/v1/trainer/intents", {"name": "gold_account", "examples": ["积存金怎么开户", "黄金账户怎么开"],
                                             "response": "积存金可在手机银行开户。"}, status=201)
    r = client.request("DELETE", "/api/v1/trainer/intents/gold_account", headers=trainer.auth)
    assert r.status_code == 200 and r.json() == {"deleted": "gold_account"}
    assert (project / "domain.yml").read_text(encoding="utf-8") == domain_before
    assert (project / "nlu_data" / "rules.yml").read_text(encoding="utf-8") == rules_before
    assert "gold_account" not in {i["name"] for i in trainer.get("/api/v1/trainer/intents")}
    r = client.request("DELETE", "/api/v1/trainer/intents/card_report_loss", headers=trainer.auth)
    assert r.status_code == 422 and "工作台中新建" in r.json()["detail"]
