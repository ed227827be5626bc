"""Maker-checker (一人经办一人复核) through the API, with it switched on: a trainer's KB change is held with its diff
and customers keep getting the old answer until a reviewer or supervisor approves it; the maker never approves
their own change (even after becoming a supervisor); a rejected change writes nothing; a change made on an entry
that changed since fails on approval; a model deploy (rollback) waits for approval too. The default: off in
development (the workbench tests edit alone), on outside it."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.staff.accounts import change_role
from api.workbench.approvals import entry_diff, fingerprint
from kb_index.entry import KbEntry
from kb_index.policy import Thresholds
from kb_index.service import KbService
from tests.api.conftest import ScriptedRasa, Staff
from tests.kb_index.fakes import HashingEncoder

ROOT = Path(__file__).resolve().parents[3]
A = "/api/v1/approvals"
ENTRY, QUESTION = "loans-001", "个人消费贷款申请需要满足什么条件？"
NEW_ANSWER = "年满18周岁、收入稳定、征信良好即可申请，以审批结果为准。"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project = tmp_path / "project"
    (project / "faq").mkdir(parents=True)
    shutil.copy(ROOT / "config.yml", project)
    shutil.copy(ROOT / "domain.yml", project)
    shutil.copytree(ROOT / "nlu_data", project / "nlu_data")
    shutil.copy(ROOT / "kb_index" / "faq" / "loans.yml", project / "faq")  # one area: quick index builds
    monkeypatch.setenv("KB_FAQ_DIR", str(project / "faq"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return project


class Setup:
    def __init__(self, client: TestClient, kb: KbService, rasa: ScriptedRasa) -> None:
        self.client, self.kb, self.rasa = client, kb, rasa
        self.files = client.app.state.kb_files  # type: ignore[attr-defined]

    def served_answer(self, question: str = QUESTION) -> str:
        """What a customer asking ``question`` gets from the KB once the index in service is current."""
        assert self.files.wait_idle(300) and self.files.last_error is None
        self.kb.reload_if_changed()
        return str(self.kb.lookup(question).hits[0].entry.answer)


@pytest.fixture()
def setup(project: Path, tmp_path: Path) -> Iterator[Setup]:
    settings = Settings(data_dir=tmp_path / "data", project_dir=project, demo_password="demo-pass",
                        rasa_url="http://127.0.0.1:9", rasa_timeout_s=0.5, maker_checker=True)
    rasa = ScriptedRasa()
    app = create_app(settings, rasa)  # type: ignore[arg-type]
    app.state.kb_files._encoder = HashingEncoder
    kb = KbService(tmp_path / "data" / "kb", Thresholds(0.95, 0.5), lambda spec: HashingEncoder())
    app.state.kb = lambda: kb
    with TestClient(app) as client:
        yield Setup(client, kb, rasa)


def entry_body(answer: str) -> dict[str, Any]:
    return {"area": "loans", "category": "消费贷/申请条件", "question": QUESTION, "answer": answer}


def test_an_answer_change_reaches_customers_only_after_a_second_person_approves(setup: Setup, project: Path) -> None:
    client = setup.client
    trainer, reviewer, agent = Staff(client, "trainer"), Staff(client, "reviewer"), Staff(client, "agent")
    setup.files.rebuild()
    old_answer = setup.served_answer()
    source = project / "faq" / "loans.yml"
    before = source.read_text(encoding="utf-8")

    current = trainer.get(f"/api/v1/trainer/kb/{ENTRY}")
    body = entry_body(NEW_ANSWER) | {"similar": current["similar"], "tags": current["tags"]}
    r = client.put(f"/api/v1/trainer/kb/{ENTRY}", json=body, headers=trainer.auth)
    assert r.status_code == 202, r.text
    change = r.json()
    assert (change["kind"], change["target"], change["status"], change["maker"]) == \
        ("kb_update", ENTRY, "pending", "trainer")
    changed = [line for line in change["diff"].splitlines()[2:] if line[:1] in "+-"]
    assert f"+answer: {NEW_ANSWER}" in changed and any(line.startswith("-answer: ") for line in changed)
    assert "-  payload: /loan_apply" in changed  # a PUT replaces the entry: the diff shows what it drops
    assert not [line for line in changed if "similar" in line or "消费贷谁能申请" in line]  # the rest is unchanged
    assert source.read_text(encoding="utf-8") == before  # nothing written
    assert setup.served_answer() == old_answer  # the customer still gets the old answer

    assert [c["id"] for c in trainer.get(A, status="pending")] == [change["id"]]
    assert client.get(A, headers=agent.auth).status_code == 403
    for who in (trainer, agent):  # a trainer is a maker, an agent neither
        assert client.post(f"{A}/{change['id']}/approve", json={}, headers=who.auth).status_code == 403
    approved = reviewer.post(f"{A}/{change['id']}/approve", {"comment": "已核对口径"})
    assert (approved["status"], approved["checker"], approved["comment"]) == ("approved", "reviewer", "已核对口径")
    assert setup.served_answer() == NEW_ANSWER
    assert client.post(f"{A}/{change['id']}/approve", json={}, headers=reviewer.auth).status_code == 409

    boss = Staff(client, "supervisor")
    audit = boss.get("/api/v1/supervisor/audit", limit=50)
    done = [(e["actor"], e["action"]) for e in audit]
    assert ("trainer", "change_submitted") in done and ("reviewer", "change_approved") in done
    assert ("trainer", "kb_update") in done  # applied as the maker's edit
    assert trainer.get(f"/api/v1/trainer/kb/{ENTRY}")["updated_by"] == "trainer"


def test_the_maker_never_approves_their_own_and_a_rejection_writes_nothing(setup: Setup, project: Path) -> None:
    client = setup.client
    trainer = Staff(client, "trainer")
    change = trainer.post(f"/api/v1/trainer/kb/{ENTRY}/retire", status=202)
    assert change["kind"] == "kb_retire" and "+valid_until:" in change["diff"]
    change_role(client.app.state.sessions, "trainer", "supervisor", "system")  # type: ignore[attr-defined]
    promoted = Staff(client, "trainer")
    r = client.post(f"{A}/{change['id']}/approve", json={}, headers=promoted.auth)
    assert r.status_code == 403 and "不能复核自己提交的变更" in r.json()["detail"]
    r = client.post(f"{A}/{change['id']}/reject", json={}, headers=promoted.auth)
    assert r.status_code == 403
    rejected = Staff(client, "reviewer").post(f"{A}/{change['id']}/reject", {"comment": "该条目仍在使用"})
    assert rejected["status"] == "rejected" and rejected["comment"] == "该条目仍在使用"
    entry = Staff(client, "supervisor").get(A, status="rejected")[0]
    assert entry["id"] == change["id"]
    assert "valid_until" not in (project / "faq" / "loans.yml").read_text(encoding="utf-8").split("loans-002")[0]


def test_a_change_on_an_entry_changed_since_fails_and_bad_requests_are_refused_at_once(setup: Setup,
                                                                                         project: Path) -> None:
    client = setup.client
    trainer, reviewer = Staff(client, "trainer"), Staff(client, "reviewer")
    first = trainer.post(f"/api/v1/trainer/kb/{ENTRY}/similar", {"question": "消费贷门槛"}, status=202)
    second = client.put(f"/api/v1/trainer/kb/{ENTRY}", json=entry_body(NEW_ANSWER), headers=trainer.auth).json()
    assert reviewer.post(f"{A}/{first['id']}/approve")["status"] == "approved"
    failed = reviewer.post(f"{A}/{second['id']}/approve")
    assert failed["status"] == "failed" and "已被修改" in failed["comment"]
    text = (project / "faq" / "loans.yml").read_text(encoding="utf-8")
    assert "消费贷门槛" in text and NEW_ANSWER not in text

    for method, path, body, status in (
            ("put", f"/api/v1/trainer/kb/{ENTRY}", entry_body("答案\u0007"), 422),
            ("put", "/api/v1/trainer/kb/nope", entry_body(NEW_ANSWER), 404),
            ("post", f"/api/v1/trainer/kb/{ENTRY}/similar", {"question": "消费贷门槛"}, 422),  # already a question
            ("post", "/api/v1/trainer/kb", entry_body(NEW_ANSWER) | {"id": ENTRY}, 422)):
        r = client.request(method, path, json=body, headers=trainer.auth)
        assert r.status_code == status, (path, r.text)
    created = trainer.post("/api/v1/trainer/kb", entry_body("新条目的答案") | {"question": "消费贷能贷多久"},
                           status=202)
    assert created["kind"] == "kb_create" and created["target"].startswith("loans-")
    assert reviewer.post(f"{A}/{created['id']}/approve")["status"] == "approved"
    assert trainer.get(f"/api/v1/trainer/kb/{created['target']}")["answer"] == "新条目的答案"
    assert len(trainer.get(A, status="pending")) == 0


def test_a_model_deploy_waits_for_approval(setup: Setup, tmp_path: Path) -> None:
    client = setup.client
    models = tmp_path / "data" / "models"
    models.mkdir(parents=True, exist_ok=True)
    registry = {"active": "model-b", "models": [
        {"name": name, "path": str(models / f"{name}.tar.gz"), "created_at": "2026-12-01T09:00:00",
         "accuracy": 0.95, "macro_f1": 0.95} for name in ("model-a", "model-b")]}
    (models / "registry.json").write_text(json.dumps(registry), encoding="utf-8")
    deployed: list[Path] = []
    setup.rasa.replace_model = deployed.append  # type: ignore[attr-defined]
    setup.rasa.base_url = "http://rasa"  # type: ignore[attr-defined]
    trainer, boss = Staff(client, "trainer"), Staff(client, "supervisor")
    assert client.post("/api/v1/trainer/models/nope/deploy", headers=trainer.auth).status_code == 404
    change = trainer.post("/api/v1/trainer/models/model-a/deploy", status=202)
    assert change["kind"] == "deploy" and "回滚" in change["diff"] and deployed == []
    assert boss.post(f"{A}/{change['id']}/approve")["status"] == "approved"
    deadline = time.monotonic() + 30
    while not deployed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert deployed == [models / "model-a.tar.gz"]


def test_the_default_is_off_in_development_and_on_outside_it(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).maker_checker_on is False
    assert Settings(data_dir=tmp_path, maker_checker=True).maker_checker_on is True
    production = Settings(data_dir=tmp_path, environment="production", rasa_jwt_secret="j" * 40,
                          rasa_channel_secret="c" * 40)
    assert production.maker_checker_on is True
    assert production.model_copy(update={"maker_checker": False}).maker_checker_on is False


def test_the_diff_and_fingerprint_are_of_what_the_entry_says() -> None:
    before = KbEntry(id="x-1", question="Q", answer="旧答案", similar=("q2",))
    after = KbEntry(id="x-1", question="Q", answer="新答案", similar=("q2",), updated_by="someone")
    # two lines of context: the question (line 1) is left out
    assert entry_diff("x-1", before, after).splitlines() == ["--- x-1 (现在)", "+++ x-1 (变更后)", "@@ -2,3 +2,3 @@",
                                                             " similar:", " - q2", "-answer: 旧答案", "+answer: 新答案"]
    assert fingerprint(before) != fingerprint(after)
    assert fingerprint(after) == fingerprint(KbEntry(id="x-1", question="Q", answer="新答案", similar=("q2",)))


def test_the_trainer_reads_the_maker_checker_trail_in_the_workbench_audit(setup: Setup) -> None:
    client = setup.client
    trainer = Staff(client, "trainer")
    change = trainer.post(f"/api/v1/trainer/kb/{ENTRY}/retire", status=202)
    Staff(client, "reviewer").post(f"{A}/{change['id']}/reject", {"comment": "不下线"})
    actions = [e["action"] for e in trainer.get("/api/v1/trainer/audit")]
    assert actions[:2] == ["change_rejected", "change_submitted"]


def test_a_kb_import_is_held_until_approved_and_a_bad_file_is_answered_at_once(setup: Setup, project: Path) -> None:
    import io

    client = setup.client
    trainer = Staff(client, "trainer")

    def upload(csv: str, **params: Any) -> Any:
        return client.post("/api/v1/trainer/kb/import", params=params, headers=trainer.auth,
                           files={"file": ("faq.csv", io.BytesIO(csv.encode()), "text/csv")})

    good = "id,question,answer\nb1,怎么开通网银,带身份证去网点\nb2,挂失怎么办,拨打热线\n"
    preview = upload(good, dry_run="true", area="batch")
    assert preview.status_code == 200 and preview.json()["ok"] and not preview.json()["written"]
    bad = upload("id,question,answer\nq1,,没有问题\n", dry_run="false", area="batch")
    assert bad.status_code == 200 and not bad.json()["ok"]  # problems answered at once, nothing held
    r = upload(good, dry_run="false", area="batch")
    assert r.status_code == 202, r.text
    change = r.json()
    assert (change["kind"], change["target"]) == ("kb_import", "batch") and "+ b1" in change["diff"]
    assert not (project / "faq" / "batch.yml").exists()
    assert [c["id"] for c in trainer.get(A, status="pending")] == [change["id"]]
    assert Staff(client, "reviewer").post(f"{A}/{change['id']}/approve")["status"] == "approved"
    assert "带身份证去网点" in (project / "faq" / "batch.yml").read_text(encoding="utf-8")
