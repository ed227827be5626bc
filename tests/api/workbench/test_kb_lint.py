"""KB lint in the trainer workbench (issue 13): GET /trainer/kb-lint lists near-identical questions across entries
(conflict: different answers; duplicate: the same) and intent examples that collide with KB questions, over the
entries in service; a KB save answers with the findings it created as warnings, and still saves."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from kb_index.lint import read_intent_examples
from tests.api.conftest import Staff
from tests.api.workbench.test_trainer import project, trainer_client  # noqa: F401 - the fixtures

LINT = "/api/v1/trainer/kb-lint"
QUESTION = "外币现钞兑换需要提前预约吗"
ANSWER = "单笔等值1万美元以上的外币现钞兑换，请提前1个工作日通过网点预约。"


def _findings(trainer: Staff, *ids: str) -> list[dict]:
    return [c for c in trainer.get(LINT)["conflicts"] if {c["first"], c["second"]} & set(ids)]


def test_a_save_that_creates_a_conflict_is_saved_with_a_warning_and_listed(
        trainer_client: tuple[TestClient, Staff]) -> None:  # noqa: F811
    client, trainer = trainer_client
    assert client.get(LINT, headers=Staff(client, "agent").auth).status_code == 403
    first = trainer.post("/api/v1/trainer/kb", {"question": QUESTION, "answer": ANSWER}, status=201)
    assert first["warnings"] == [] and _findings(trainer, first["id"]) == []

    second = trainer.post("/api/v1/trainer/kb", {"question": QUESTION + "？", "similar": ["外币兑换要预约吗"],
                                                 "answer": "外币兑换无需预约，营业时间内到任一网点办理。"}, status=201)
    assert trainer.get(f"/api/v1/trainer/kb/{second['id']}")["question"] == QUESTION + "？"  # saved anyway
    (warning,) = second["warnings"]
    assert warning["kind"] == "conflict" and {warning["first"], warning["second"]} == {first["id"], second["id"]}
    assert warning["similarity"] == 1.0 and warning["answer_similarity"] < 0.9
    assert "近似问题、答案不同" in warning["description"]
    (listed,) = _findings(trainer, second["id"])
    assert listed == warning
    lint = trainer.get(LINT)
    assert lint["counts"]["conflict"] == sum(c["kind"] == "conflict" for c in lint["conflicts"]) >= 1

    # saving it again creates nothing new: no warning, the finding is still listed
    again = client.put(f"/api/v1/trainer/kb/{second['id']}", headers=trainer.auth, json={
        "area": second["area"], "question": QUESTION + "？", "answer": "外币兑换无需预约，请到网点办理。"})
    assert again.status_code == 200 and again.json()["warnings"] == []

    # the same answer under a third entry: one too many, merge them
    third = trainer.post("/api/v1/trainer/kb", {"question": "外币现钞兑换需要提前预约么", "answer": ANSWER},
                         status=201)
    kinds = {(w["kind"], w["first"] if w["second"] == third["id"] else w["second"]) for w in third["warnings"]}
    assert ("duplicate", first["id"]) in kinds and ("conflict", second["id"]) in kinds

    # retired entries are not served: no longer findings
    trainer.post(f"/api/v1/trainer/kb/{second['id']}/retire")
    trainer.post(f"/api/v1/trainer/kb/{third['id']}/retire")
    assert _findings(trainer, first["id"]) == []


def test_intent_examples_that_collide_with_a_kb_question_are_listed(
        trainer_client: tuple[TestClient, Staff], project: Path) -> None:  # noqa: F811
    client, trainer = trainer_client
    examples = read_intent_examples(project / "nlu_data" / "nlu")
    example = next(e for e in examples["card_report_loss"] if len(e) >= 6)
    entry = trainer.post("/api/v1/trainer/kb", {"question": example, "answer": "请致电客服热线挂失。"}, status=201)
    found = [c for c in _findings(trainer, entry["id"]) if c["kind"] == "intent"]
    assert any(c["first"] == "card_report_loss" and c["second"] == entry["id"] and c["second_question"] == example
               for c in found), found
    assert "意图样例与知识库问题相同" in found[0]["description"]
    everything = trainer.get(LINT)
    only_intents = client.get(LINT, params={"kind": "intent"}, headers=trainer.auth).json()
    between_entries = client.get(LINT, params={"kind": ["conflict", "duplicate"]}, headers=trainer.auth).json()
    assert only_intents["counts"] == between_entries["counts"] == everything["counts"]  # counts count all
    assert only_intents["conflicts"] == [c for c in everything["conflicts"] if c["kind"] == "intent"]
    assert between_entries["conflicts"] == [c for c in everything["conflicts"] if c["kind"] != "intent"]
    assert len(only_intents["conflicts"]) == everything["counts"]["intent"] >= 1
    assert client.get(LINT, params={"kind": "nope"}, headers=trainer.auth).status_code == 422
