"""Level 1's third measure through the API: a supervisor raises the level by hand; a customer who asked how to
report a lost card and then asks for a person first gets the standard answer with 仍需人工, and is queued only
after tapping it; a 转人工 after a question not on the list, or at level 0, queues at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from api.rasa_client import BotTurn
from api.settings import Settings
from api.surge.deflection import STILL_HUMAN, standard_answers
from tests.api.conftest import Customer, ScriptedRasa, Staff

ROOT = Path(__file__).resolve().parents[3]
INTENTS = {"挂失": "card_report_loss", "贷款": "loan_apply"}


class RememberingRasa(ScriptedRasa):
    """Classifies 挂失 / 贷款 and hands 转人工 off with the session's history, as actions/handoff.py does."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[dict[str, Any]]] = {}

    async def send(self, sender: str, text: str) -> BotTurn:
        self.calls.append((sender, text))
        turns = self.history.setdefault(sender, [])
        if text == "/human_handoff" or "转人工" in text:
            turns.append({"text": text, "intent": "human_handoff", "confidence": 0.99})
            return BotTurn(texts=[("好的，正在为您转接人工客服，请稍候。", [])],
                           handoff={"reason": "customer_request", "intent": "human_handoff", "confidence": 0.99,
                                    "slots": {}, "history": list(turns)})
        intent = next((i for k, i in INTENTS.items() if k in text), "out_of_scope")
        turns.append({"text": text, "intent": intent, "confidence": 0.95})
        return BotTurn(texts=[(f"标准答案：{intent}", [{"title": "转人工客服", "payload": "/human_handoff"}])])


@pytest.fixture()
def setup(tmp_path: Path) -> Iterator[tuple[TestClient, RememberingRasa]]:
    rasa = RememberingRasa()
    settings = Settings(data_dir=tmp_path, kb_suggestions=False, demo_password="demo-pass")
    with TestClient(create_app(settings, rasa)) as client:  # type: ignore[arg-type]
        yield client, rasa


def texts_of(reply: dict[str, Any]) -> list[str]:
    return [m["text"] for m in reply["messages"]]


def test_level_1_answers_a_simple_question_first_and_queues_on_still_need_a_person(
        setup: tuple[TestClient, RememberingRasa]) -> None:
    client, rasa = setup
    Staff(client, "agent").patch_me(status="online")
    boss = Staff(client, "supervisor")
    assert boss.post("/api/v1/surge/level", {"level": 1, "reason": "演练"})["level"] == 1
    answer = standard_answers(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8")))["card_report_loss"]

    customer = Customer(client)
    customer.say("银行卡丢了怎么挂失")
    first = customer.say(payload="/human_handoff")
    assert first["state"] == "bot"  # not queued yet
    assert texts_of(first)[1:] == [answer]
    assert first["messages"][-1]["buttons"] == [{"title": "仍需人工", "payload": STILL_HUMAN}]
    assert boss.get("/api/v1/supervisor/overview")["queue"] == []

    queued = customer.say(payload=STILL_HUMAN)
    assert texts_of(queued)[0] == "仍需人工"
    assert queued["state"] in ("queued", "agent")  # an online agent may take it at once
    assert rasa.calls[-1][1] == "/human_handoff"  # the bot hands off, its context travels with the handoff
    again = client.post(f"/api/v1/conversations/{customer.id}/messages", json={"payload": STILL_HUMAN},
                        headers=customer.auth)
    assert again.status_code == 409  # the button is spent

    other = Customer(client)  # a question not on the list: queued at once, even at level 1
    other.say("想申请贷款")
    assert other.say(payload="/human_handoff")["state"] in ("queued", "agent")


def test_level_0_queues_a_simple_question_at_once(setup: tuple[TestClient, RememberingRasa]) -> None:
    client, _ = setup
    customer = Customer(client)
    customer.say("银行卡丢了怎么挂失")
    reply = customer.say(payload="/human_handoff")
    assert reply["state"] == "queued"
    assert not any(b["payload"] == STILL_HUMAN for m in reply["messages"] for b in m.get("buttons") or [])
