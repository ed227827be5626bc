"""Staff read the workbench's refusals in a toast: every error path of the trainer routes answers in Chinese
(issue 12, finding 10). Walks each route's refusals — unknown intents, examples, entries, jobs, models and
unanswered questions; invalid names, areas and files; duplicates; a second job — and checks the status and that
the detail (and every listed problem) is Chinese, never an ASCII-only English text."""

from __future__ import annotations

import io
import re
import threading
from typing import Any

from fastapi.testclient import TestClient

from kb_index.sources import load_folder
from tests.api.conftest import Staff
from tests.api.workbench.test_trainer import project, trainer_client  # noqa: F401 - the fixtures

T = "/api/v1/trainer"
CJK = re.compile(r"[\u4e00-\u9fff]")
NEW_ENTRY = {"question": "测试问题", "answer": "测试答案"}


def _chinese(answer: Any) -> bool:
    body = answer.json()
    texts = [body["detail"]] + list(body.get("problems") or [])
    return all(isinstance(t, str) and CJK.search(t) for t in texts)


def test_every_refusal_of_the_trainer_routes_is_in_chinese(trainer_client: tuple[TestClient, Staff]) -> None:  # noqa: F811
    client, trainer = trainer_client
    entry = load_folder(client.app.state.kb_files.faq_dir)[0]  # type: ignore[attr-defined]
    calls: list[tuple[str, str, dict[str, Any] | None, int]] = [
        ("get", "/intents/nope", None, 404),
        ("post", "/intents/nope/examples", {"text": "你好呀呀"}, 404),
        ("delete", "/intents/card_report_loss/examples", {"text": "这句不是例句"}, 404),
        ("put", "/intents/nope/response", {"text": "好的"}, 404),
        ("post", "/intents/card_report_loss/examples", {"text": "挂失"}, 422),  # already an example
        ("post", "/intents/card_report_loss/examples", {"text": "x" * 201}, 422),  # too long
        ("post", "/intents/card_report_loss/examples", {"text": "我的借[记卡](card_type)丢了"}, 422),  # off the tokens
        ("post", "/intents", {"name": "gold_new", "examples": ["积存金怎么开户呀", "积存金怎么开户呀"],
                              "response": "好"}, 422),  # the same example twice
        ("post", "/intents", {"name": "Bad Name", "examples": ["一句", "两句"], "response": "好"}, 422),
        ("post", "/intents", {"name": "card_report_loss", "examples": ["一句话", "两句话"], "response": "好"}, 422),
        ("delete", "/intents/card_report_loss", None, 422),  # not created in the workbench
        ("post", "/synonyms", {"value": "信用卡", "synonym": "信用卡"}, 422),
        ("post", "/lookups", {"name": "Bad", "entry": "北京"}, 422),
        ("get", "/kb/nope", None, 404),
        ("put", "/kb/nope", NEW_ENTRY, 404),
        ("post", "/kb/nope/retire", None, 404),
        ("post", "/kb/nope/similar", {"question": "随便问问"}, 404),
        ("post", "/kb", {**NEW_ENTRY, "area": "Bad-Area"}, 422),
        ("post", "/kb", {**NEW_ENTRY, "id": entry.id}, 422),  # the id exists
        ("post", f"/kb/{entry.id}/similar", {"question": entry.question}, 422),  # already its question
        ("get", "/jobs/nope", None, 404),
        ("get", "/jobs/nope/log", None, 404),
        ("post", "/models/nope/deploy", None, 404),
        ("post", "/unanswered/resolve", {"ids": [987654], "action": "dismiss"}, 404),
    ]
    for method, path, body, status in calls:
        r = client.request(method, T + path, json=body, headers=trainer.auth)
        assert r.status_code == status, (method, path, r.status_code, r.text)
        assert _chinese(r), (method, path, r.json())

    upload = client.post(T + "/kb/import", files={"file": ("faq.txt", io.BytesIO(b"q,a\n"), "text/plain")},
                         headers=trainer.auth)
    assert upload.status_code == 422 and _chinese(upload), upload.json()

    gate = threading.Event()
    job = client.app.state.trainer._start("train", lambda j: gate.wait(5))  # type: ignore[attr-defined]
    busy = client.post(T + "/train", headers=trainer.auth)
    gate.set()
    assert busy.status_code == 409 and _chinese(busy) and job.id in busy.json()["detail"], busy.json()
