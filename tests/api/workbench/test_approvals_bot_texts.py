"""Maker-checker for bot responses and the institution facts (api/workbench/response_changes.py,
api/workbench/institution.py): with it on, a trainer's response edit and facts edit are held with their diff and
domain.yml is untouched until a reviewer or supervisor who is not the maker approves; the maker and agents get
403; a change on a response that changed since fails; facts with a placeholder or a hotline nobody could call are
refused at once; with it off the facts editor writes at once; everything is audited."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.staff.accounts import change_role
from api.workbench.institution import fact_problems, facts_diff, hotline_problems
from common.institution import Institution
from tests.api.conftest import ScriptedRasa, Staff

ROOT = Path(__file__).resolve().parents[3]
A = "/api/v1/approvals"
T = "/api/v1/trainer"
INTENT = "business_hours"
NEW = "网点营业时间：{branch_hours}；人工客服：{service_hours}。节假日以{app_name}公告为准。"
FACTS = {"org_name": "星河银行", "hotline": "客服热线95599", "app_name": "星河银行App",
         "branch_hours": "工作日9:00-17:00", "service_hours": "8:00-22:00"}


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "config.yml", project)
    shutil.copy(ROOT / "domain.yml", project)
    shutil.copytree(ROOT / "nlu_data", project / "nlu_data")
    return project


def make_client(tmp_path: Path, project: Path, maker_checker: bool) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", project_dir=project, demo_password="demo-pass",
                        kb_suggestions=False, maker_checker=maker_checker)
    with TestClient(create_app(settings, ScriptedRasa())) as client:  # type: ignore[arg-type]
        yield client


@pytest.fixture()
def client(tmp_path: Path, project: Path) -> Iterator[TestClient]:
    yield from make_client(tmp_path, project, True)


def domain(project: Path) -> dict[str, Any]:
    return dict(yaml.safe_load((project / "domain.yml").read_text(encoding="utf-8")))


def test_a_response_edit_waits_for_a_second_person(client: TestClient, project: Path) -> None:
    trainer, reviewer, agent = Staff(client, "trainer"), Staff(client, "reviewer"), Staff(client, "agent")
    before = (project / "domain.yml").read_text(encoding="utf-8")
    old = trainer.get(f"{T}/intents/{INTENT}")["response"]
    r = client.put(f"{T}/intents/{INTENT}/response", json={"text": NEW}, headers=trainer.auth)
    assert r.status_code == 202, r.text
    change = r.json()
    assert (change["kind"], change["target"], change["status"], change["maker"]) == \
        ("response", INTENT, "pending", "trainer")
    assert f"+{NEW}" in change["diff"].splitlines() and f"-{old}" in change["diff"].splitlines()
    assert (project / "domain.yml").read_text(encoding="utf-8") == before  # nothing written
    assert trainer.get(f"{T}/intents/{INTENT}")["response"] == old

    for who in (trainer, agent):  # the maker, and a role that checks nothing
        assert client.post(f"{A}/{change['id']}/approve", json={}, headers=who.auth).status_code == 403
    change_role(client.app.state.sessions, "trainer", "supervisor", "system")  # type: ignore[attr-defined]
    r = client.post(f"{A}/{change['id']}/approve", json={}, headers=Staff(client, "trainer").auth)
    assert r.status_code == 403 and "不能复核自己提交的变更" in r.json()["detail"]  # even promoted
    change_role(client.app.state.sessions, "trainer", "trainer", "system")  # type: ignore[attr-defined]

    approved = reviewer.post(f"{A}/{change['id']}/approve", {"comment": "口径已核对"})
    assert (approved["status"], approved["checker"]) == ("approved", "reviewer")
    assert domain(project)["responses"][f"utter_{INTENT}"][0]["text"] == NEW
    assert "# " in (project / "domain.yml").read_text(encoding="utf-8")  # written round-trip: comments stay
    audit = [(e["actor"], e["action"], e["target"]) for e in Staff(client, "supervisor").get(
        "/api/v1/supervisor/audit", limit=20)]
    assert ("trainer", "set_response", INTENT) in audit  # applied as the maker's edit
    assert ("reviewer", "change_approved", f"response:{INTENT}") in audit
    assert ("trainer", "change_submitted", f"response:{INTENT}") in audit


def test_a_bad_response_is_refused_at_once_and_a_stale_one_fails(client: TestClient, project: Path) -> None:
    trainer, boss = Staff(client, "trainer"), Staff(client, "supervisor")
    for path, body, status in ((f"{T}/intents/{INTENT}/response", {"text": "请拨打{phone}"}, 422),  # no such slot
                               (f"{T}/intents/{INTENT}/response", {"text": "  "}, 422),
                               (f"{T}/intents/nope/response", {"text": "你好"}, 404)):
        r = client.put(path, json=body, headers=trainer.auth)
        assert r.status_code == status, r.text
    assert trainer.get(A, status="pending") == []
    first = client.put(f"{T}/intents/{INTENT}/response", json={"text": NEW}, headers=trainer.auth).json()
    second = client.put(f"{T}/intents/{INTENT}/response", json={"text": "另一种说法"}, headers=trainer.auth).json()
    assert boss.post(f"{A}/{first['id']}/approve")["status"] == "approved"
    failed = boss.post(f"{A}/{second['id']}/approve")
    assert failed["status"] == "failed" and "已被修改" in failed["comment"]
    assert domain(project)["responses"][f"utter_{INTENT}"][0]["text"] == NEW


def test_institution_facts_are_checked_then_held_until_approved(client: TestClient, project: Path) -> None:
    trainer, boss = Staff(client, "trainer"), Staff(client, "supervisor")
    shown = trainer.get(f"{T}/institution")
    assert shown["hotline"] == "客服热线95xxx" and shown["problems"]  # the shipped placeholders are named
    assert client.get(f"{T}/institution", headers=Staff(client, "agent").auth).status_code == 403
    for bad, word in (({"hotline": "客服热线95xxx"}, "占位"), ({"hotline": "12345"}, "不是有效的服务电话"),
                      ({"org_name": "本行"}, "占位"), ({"app_name": "{app}"}, "花括号")):
        r = client.put(f"{T}/institution", json=FACTS | bad, headers=trainer.auth)
        assert r.status_code == 422 and word in " ".join(r.json().get("problems") or [r.json()["detail"]]), r.text
    assert client.put(f"{T}/institution", json=FACTS | {"extra": "x"}, headers=trainer.auth).status_code == 422

    r = client.put(f"{T}/institution", json=FACTS, headers=trainer.auth)
    assert r.status_code == 202, r.text
    change = r.json()
    assert change["kind"] == "institution" and "+hotline: 客服热线95599" in change["diff"].splitlines()
    assert domain(project)["slots"]["hotline"]["initial_value"] == "客服热线95xxx"  # untouched
    assert client.post(f"{A}/{change['id']}/approve", json={}, headers=trainer.auth).status_code == 403
    assert client.post(f"{A}/{change['id']}/approve", json={},
                       headers=Staff(client, "agent").auth).status_code == 403
    assert boss.post(f"{A}/{change['id']}/approve")["status"] == "approved"
    assert {k: domain(project)["slots"][k]["initial_value"] for k in FACTS} == FACTS
    assert trainer.get(f"{T}/institution") == FACTS | {"problems": []}
    org = client.app.state.institution()  # type: ignore[attr-defined]  # the bridge's reader: the new facts
    assert org is not None and org.hotline == "客服热线95599"
    actions = [(e["actor"], e["action"]) for e in trainer.get("/api/v1/trainer/audit")]
    assert ("trainer", "set_institution") in actions and ("supervisor", "change_approved") in actions
    assert client.put(f"{T}/institution", json=FACTS, headers=trainer.auth).status_code == 422  # no change


def test_with_maker_checker_off_the_facts_are_written_at_once(tmp_path: Path, project: Path) -> None:
    for client in make_client(tmp_path, project, False):
        trainer = Staff(client, "trainer")
        r = client.put(f"{T}/institution", json=FACTS, headers=trainer.auth)
        assert r.status_code == 200 and r.json() == FACTS | {"problems": []}
        assert domain(project)["slots"]["org_name"]["initial_value"] == "星河银行"
        (entry, *_) = Staff(client, "supervisor").get("/api/v1/supervisor/audit", action="set_institution")
        assert entry["actor"] == "trainer" and "+org_name: 星河银行" in entry["detail"]["diff"]


@pytest.mark.parametrize(("hotline", "ok"), [
    ("95599", True), ("客服热线95599", True), ("客服热线：955999", True), ("96688", True), ("400-820-8820", True),
    ("4008208820", True), ("800-123-4567", True), ("010-12345678", True), ("0571 8888 8888", True),
    ("95xxx", False), ("12345", False), ("13912345678", False), ("9559", False), ("955999999", False),
    ("400-820-88", False), ("", False), ("拨打", False), ("95599转1", False),
])
def test_hotline_problems(hotline: str, ok: bool) -> None:
    assert (hotline_problems(hotline) == []) is ok


def test_fact_problems_and_the_diff() -> None:
    good = Institution(**FACTS)
    assert fact_problems(good) == []
    placeholder = Institution(**FACTS | {"hotline": "95xxx", "org_name": "某某银行"})
    problems = fact_problems(placeholder)
    assert len(problems) == 2 and all("占位" in p for p in problems)  # no second complaint about 95xxx
    assert fact_problems(Institution(**FACTS | {"service_hours": "8:00\t-22:00"}))
    assert facts_diff(good, Institution(**FACTS | {"hotline": "95555"})).splitlines()[2:] == [
        "@@ -2 +2 @@", "-hotline: 客服热线95599", "+hotline: 95555"]
