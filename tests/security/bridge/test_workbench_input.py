"""Workbench input can no longer corrupt files (issue 11): control characters and line separators are refused
(newlines too in single-line fields) with a Chinese 422; a written file is read back the way Rasa (NLU) or the
KB loader reads it before it replaces the old one, atomically and keeping its mode; response templates are
checked against the known slots; an import that replaces an area shows the diff and needs a confirmation; the
sensitive-word filter normalises zero-width, traditional and full-width forms."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.compliance.sensitive_words import SensitiveWords, normalise
from api.workbench.input_checks import rasa_yaml_problems, template_problems, text_problems
from api.workbench.nlu_files import NluFiles
from tests.api.conftest import Customer, Staff

BAD = ["\u2028", "\u2029", "\x85", "\r", "\x0b", "\x0c", "\x1b", "\x00"]
EXAMPLES = "/api/v1/trainer/intents/card_report_loss/examples"


@pytest.mark.parametrize("char", BAD + ["\n"])
def test_control_characters_and_newlines_are_refused_in_examples(trainer_client: tuple[TestClient, Staff],
                                                                 project: Path, char: str) -> None:
    client, trainer = trainer_client
    source = project / "nlu_data" / "nlu" / "cards_accounts.yml"
    before = source.read_bytes()
    r = client.post(EXAMPLES, json={"text": f"我的卡{char}丢了怎么办呀"}, headers=trainer.auth)
    assert r.status_code == 422 and "不允许" in str(r.json()), r.json()
    assert source.read_bytes() == before
    assert client.get("/api/v1/trainer/intents", headers=trainer.auth).status_code == 200


@pytest.mark.parametrize("path, body", [
    ("/api/v1/trainer/synonyms", {"value": "借记卡", "synonym": "储蓄\n卡片"}),
    ("/api/v1/trainer/synonyms", {"value": "借记卡", "synonym": "储蓄\u2028卡片"}),
    ("/api/v1/trainer/lookups", {"name": "city", "entry": "杭\x85州"}),
    ("/api/v1/trainer/kb", {"area": "trainer", "question": "积存金\u2029怎么买", "answer": "在App买"}),
    ("/api/v1/trainer/kb", {"area": "trainer", "question": "积存金怎么买", "similar": ["黄金\n怎么买"],
                            "answer": "在App买"}),
    ("/api/v1/trainer/kb", {"area": "trainer", "question": "积存金怎么买", "answer": "在\x1bApp买"}),
    ("/api/v1/trainer/intents", {"name": "gold_x", "examples": ["积存金开户", "黄金\r账户"], "response": "好的"}),
])
def test_single_line_fields_and_answers_refuse_separators(trainer_client: tuple[TestClient, Staff],
                                                          path: str, body: dict) -> None:
    client, trainer = trainer_client
    r = client.post(path, json=body, headers=trainer.auth)
    assert r.status_code == 422 and "不允许" in str(r.json()), r.json()


def test_a_kb_answer_may_have_lines(trainer_client: tuple[TestClient, Staff]) -> None:
    _, trainer = trainer_client
    created = trainer.post("/api/v1/trainer/kb", {"area": "trainer", "question": "积存金怎么买",
                                                  "answer": "第一步：登录App\n第二步：进入贵金属"}, status=201)
    assert created["answer"].count("\n") == 1


def test_a_written_file_keeps_its_mode(trainer_client: tuple[TestClient, Staff], project: Path) -> None:
    _, trainer = trainer_client
    source = project / "nlu_data" / "nlu" / "cards_accounts.yml"
    os.chmod(source, 0o640)
    trainer.post(EXAMPLES, {"text": "我的卡找不到了怎么办呢"}, status=201)
    assert stat.S_IMODE(source.stat().st_mode) == 0o640
    kb_file = project / "faq" / "cards_accounts.yml"
    os.chmod(kb_file, 0o644)
    entry = trainer.get("/api/v1/trainer/kb", q="")[0]
    kb_path = project / "faq" / f"{entry['area']}.yml"
    os.chmod(kb_path, 0o644)
    trainer.post(f"/api/v1/trainer/kb/{entry['id']}/similar", {"question": "一个新的相似问法呀"})
    assert stat.S_IMODE(kb_path.stat().st_mode) == 0o644


def test_a_file_that_would_not_load_never_replaces_the_old_one(trainer_client: tuple[TestClient, Staff],
                                                               project: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    client, trainer = trainer_client
    source = project / "nlu_data" / "nlu" / "cards_accounts.yml"
    before = source.read_bytes()
    dump = NluFiles._dump
    monkeypatch.setattr(NluFiles, "_dump", lambda self, doc: dump(self, doc).replace("examples: |", "examples: [",
                                                                                          1))
    r = client.post(EXAMPLES, json={"text": "我的卡找不到了怎么办呢"}, headers=trainer.auth)
    assert r.status_code == 422 and "cards_accounts.yml" in str(r.json())
    assert source.read_bytes() == before
    assert not list(source.parent.glob(".*.tmp"))  # no candidate left behind


@pytest.mark.parametrize("text, ok", [
    ("请拨打{hotline}", True), ("欢迎使用{app_name}，营业时间{branch_hours}", True), ("没有占位符", True),
    ("请拨打{}", False), ("请拨打{phone}", False), ("请拨打{hotline", False), ("请拨打hotline}", False),
    ("{hotline:>20}", False), ("{{hotline}}", False), ("{0}", False),
])
def test_response_templates_are_checked_against_known_slots(text: str, ok: bool) -> None:
    assert (template_problems(text, ["hotline", "app_name", "branch_hours"]) == []) == ok


def test_a_response_with_a_stray_brace_is_refused(trainer_client: tuple[TestClient, Staff],
                                                  project: Path) -> None:
    client, trainer = trainer_client
    domain = project / "domain.yml"
    before = domain.read_bytes()
    for text in ("请拨打{}咨询", "请拨打{电话}咨询", "请拨打{hotline咨询"):
        r = client.put("/api/v1/trainer/intents/card_report_loss/response", json={"text": text}, headers=trainer.auth)
        assert r.status_code == 422 and "占位符" in str(r.json()) or "花括号" in str(r.json()), r.json()
    assert domain.read_bytes() == before
    r = client.put("/api/v1/trainer/intents/card_report_loss/response", json={"text": "请拨打{hotline}挂失"},
                   headers=trainer.auth)
    assert r.status_code == 200


def test_rasa_reads_what_the_checks_pass() -> None:
    assert rasa_yaml_problems("x.yml", 'version: "3.1"\nnlu:\n- intent: a\n  examples: |\n    - 你好\n') == []
    assert rasa_yaml_problems("x.yml", "nlu:\n- intent: a\n  examples: |\n    - 你好\n    坏行\n")
    assert rasa_yaml_problems("x.yml", "nlu:\n- intent: a\n  examples: [1, 2]\n")
    assert rasa_yaml_problems("x.yml", "nlu:\n- intent: a\n  examples: |\n    - 你\u2028好\n")
    assert rasa_yaml_problems("x.yml", "responses:\n  utter_a:\n  - text: 打{}\n")
    assert text_problems("例句", "正常的例句") == []


def _import(client: TestClient, trainer: Staff, csv: str, dry_run: bool, confirm: bool = False) -> dict:
    r = client.post(f"/api/v1/trainer/kb/import?dry_run={str(dry_run).lower()}&area=batch"
                    + ("&confirm=true" if confirm else ""), headers=trainer.auth,
                    files={"file": ("faq.csv", io.BytesIO(csv.encode()), "text/csv")})
    assert r.status_code in (200, 409), r.text
    return {"status": r.status_code, **r.json()}


def test_an_import_replacing_an_area_shows_the_diff_and_needs_confirmation(
        trainer_client: tuple[TestClient, Staff], project: Path) -> None:
    client, trainer = trainer_client
    first = "id,question,answer\n" + "".join(f"q{i},第{i}个问题是什么,第{i}个答案\n" for i in range(1, 41))
    assert _import(client, trainer, first, dry_run=False)["written"]  # a new area: nothing to replace
    target = project / "faq" / "batch.yml"
    before = target.read_bytes()
    second = "id,question,answer\nq1,第1个问题是什么,改过的答案\nq99,新问题是什么,新答案\n"
    preview = _import(client, trainer, second, dry_run=True)
    assert preview["ok"] and not preview["written"]
    assert preview["removed"] == [f"q{i}" for i in range(2, 41)] and preview["added"] == ["q99"]
    assert preview["changed"] == ["q1"] and preview["needs_confirmation"]
    refused = _import(client, trainer, second, dry_run=False)
    assert refused["status"] == 409 and "确认" in refused["detail"]
    assert target.read_bytes() == before
    done = _import(client, trainer, second, dry_run=False, confirm=True)
    assert done["written"] and done["entries"] == 2 and target.read_bytes() != before
    audit = trainer.get("/api/v1/trainer/audit")
    assert audit[0]["action"] == "kb_import" and "39" in str(audit[0]["detail"])


@pytest.mark.parametrize("text", ["稳\u200b赚不赔", "穩賺不賠", "内\u200b幕消息", "內幕消息", "１００％收益",
                                  "保\ufeff本保\u00ad收益", "稳赚\u2060不赔", "穩\u200d賺不賠"])
def test_the_word_filter_sees_through_invisible_traditional_and_full_width_forms(text: str) -> None:
    words = SensitiveWords.from_file()
    assert words.find(text, "output"), (text, normalise(text))


def test_an_agent_reply_in_traditional_characters_is_refused(client: TestClient) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    c = Customer(client)
    c.say("转人工")
    r = client.post(f"/api/v1/agent/conversations/{c.id}/messages", json={"text": "這款產品穩賺不賠"},
                    headers=agent.auth)
    assert r.status_code == 422 and "合规" in r.json()["detail"]
