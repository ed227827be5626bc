"""End to end through the trainer workbench with the real servers: a KB entry added by a trainer is answered
at once (hot reload, no retraining); a new intent is trained, evaluated against the model in service and
deployed into the running Rasa server, which then answers it; the old model can be rolled back to."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Bot
from tests.e2e.test_bridge import Chat, staff

pytestmark = pytest.mark.slow


def wait_job(bot: Bot, auth: dict[str, str], job: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = requests.get(f"{bot.api_url}/api/v1/trainer/jobs/{job['id']}", headers=auth, timeout=10).json()
        if job["status"] != "running":
            return job
        time.sleep(1)
    raise AssertionError(f"job {job['id']} still running after {timeout} s")


def test_a_kb_entry_added_by_a_trainer_is_answered_without_retraining(bot: Bot) -> None:
    trainer = staff(bot, "trainer")
    r = requests.post(f"{bot.api_url}/api/v1/trainer/kb", headers=trainer, timeout=30, json={
        "area": "trainer", "category": "保管箱", "question": "保管箱租金一年多少钱",
        "similar": ["保险箱一年租金", "租个保险柜多少钱一年"],
        "answer": "保管箱租金按箱型收取，小号每年约300元起，以网点公示为准。"})
    assert r.status_code == 201, r.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = requests.get(f"{bot.api_url}/api/v1/trainer/kb-status", headers=trainer, timeout=10).json()
        if not status["building"]:
            break
        time.sleep(0.5)
    assert status["last_error"] is None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        reply = Chat(bot).say("保管箱租金一年多少钱")
        if any("保管箱租金按箱型收取" in m["text"] for m in reply["messages"]):
            break
        time.sleep(1)
    else:
        pytest.fail(f"the bot did not answer from the new KB entry: {reply}")


def test_a_new_intent_is_trained_evaluated_deployed_and_can_be_rolled_back(bot: Bot) -> None:
    trainer = staff(bot, "trainer")
    r = requests.post(f"{bot.api_url}/api/v1/trainer/intents", headers=trainer, timeout=30, json={
        "name": "gold_accumulation",
        "response": "积存金业务：登录手机银行App「贵金属-积存金」即可开户和买卖，1克起购。",
        "examples": ["积存金怎么开户", "我想开个积存金账户", "积存金在哪里买", "怎么买积存金", "积存金业务怎么办理",
                     "积存金最少买多少克", "想定投积存金", "积存金能随时卖吗"]})
    assert r.status_code == 201, r.text
    job = requests.post(f"{bot.api_url}/api/v1/trainer/train", headers=trainer, timeout=30).json()
    job = wait_job(bot, trainer, job)
    assert job["status"] == "succeeded", job
    assert job["metrics"]["accuracy"] >= job["baseline"]["accuracy"] - 0.02
    reply = Chat(bot).say("我想开个积存金账户")
    assert any("积存金业务" in m["text"] for m in reply["messages"]), reply
    models = requests.get(f"{bot.api_url}/api/v1/trainer/models", headers=trainer, timeout=10).json()
    assert models[0]["active"] and models[0]["name"] == job["model"]
    rollback = requests.post(f"{bot.api_url}/api/v1/trainer/models/{models[1]['name']}/deploy", headers=trainer,
                             timeout=30).json()
    assert wait_job(bot, trainer, rollback)["status"] == "succeeded"
    audit = requests.get(f"{bot.api_url}/api/v1/trainer/audit", headers=trainer, timeout=10).json()
    assert {"create_intent", "train_and_deploy", "rollback"} <= {a["action"] for a in audit}
