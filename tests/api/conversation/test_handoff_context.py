"""Issue 12, finding 5: the agent gets the context of a handoff. The slots the customer gave (card type, last
4 digits) and the turns before with their intents come from the bot's handoff signal — also when the customer
taps the widget's 转人工 button, which now goes through the bot; the KB lookups come from each bot turn's
metadata; the customer's earlier conversations (masked) by customer_id; and KB suggestions are computed from
the customer's last substantive message, not from a button such as 继续等待."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.conversation.texts import is_substantive, substantive_question
from api.rasa_client import BotTurn
from kb_index.entry import KbEntry
from kb_index.index import build
from kb_index.policy import Thresholds
from kb_index.service import KbService
from tests.api.conftest import Customer, ScriptedRasa, Staff
from tests.kb_index.fakes import HashingEncoder

SIGNAL = {"reason": "customer_request", "intent": "human_handoff", "confidence": 1.0,
          "slots": {"card_type": "信用卡", "card_last4": "1234"},
          "history": [{"text": "我的卡丢了", "intent": "card_report_loss", "confidence": 0.98},
                      {"text": "信用卡", "intent": "inform", "confidence": 0.91},
                      {"text": "尾号1234，手机13812345678", "intent": "inform", "confidence": 0.88},
                      {"text": "/human_handoff", "intent": "human_handoff", "confidence": 1.0}]}


@pytest.fixture()
def card_loss_bot(rasa: ScriptedRasa) -> ScriptedRasa:
    """The bot after a card-loss form: 转人工 hands off with the form's slots and the turns before."""
    scripted = rasa.send

    async def send(sender: str, text: str) -> BotTurn:
        if text == "/human_handoff":
            rasa.calls.append((sender, text))
            return BotTurn(texts=[("好的，正在为您转接人工客服。人工客服服务时间为7×24小时", [])], handoff=dict(SIGNAL))
        return await scripted(sender, text)
    rasa.send = send  # type: ignore[method-assign]
    return rasa


@pytest.mark.parametrize("text, substantive", [
    ("信用卡年费怎么免", True), ("挂失", True), ("好的", False), ("在吗？", False), ("继续等待", False),
    ("转人工", False), ("?", False), ("OK", False), ("谢谢！", False),
])
def test_substantive_messages(text: str, substantive: bool) -> None:
    assert is_substantive(text) is substantive


def test_the_kb_query_is_the_last_substantive_typed_message() -> None:
    newest_first = [("继续等待", True), ("在吗", False), ("信用卡年费怎么免", False), ("你好", False)]
    assert substantive_question(newest_first) == "信用卡年费怎么免"
    assert substantive_question([("好的", False), ("继续等待", True)]) == "好的"  # nothing better: the newest typed
    assert substantive_question([("继续等待", True)]) == ""


def test_the_button_handoff_carries_the_slots_and_the_turns_before(client: TestClient,
                                                                   card_loss_bot: ScriptedRasa) -> None:
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    c = Customer(client, "cust-9")
    c.say("水电费怎么交")  # a KB answer first
    reply = c.say(payload="/human_handoff")  # the widget's 转人工 button
    assert reply["state"] == "agent" and (card_loss_bot.calls[-1][1] == "/human_handoff")
    context = agent.get(f"/api/v1/agent/conversations/{c.id}")["context"]
    assert context["slots"] == {"card_type": "信用卡", "card_last4": "1234"}
    assert [(t["intent"], t["confidence"]) for t in context["turns"]][:2] == [("card_report_loss", 0.98),
                                                                             ("inform", 0.91)]
    assert context["turns"][2]["text"] == "尾号1234，手机138****5678"  # masked
    (lookup,) = context["kb_lookups"]
    assert (lookup["query"], lookup["action"], lookup["best_question"]) == ("水电费怎么交", "answer", "水电费代扣")


def test_the_button_handoff_still_queues_when_the_bot_is_down(client: TestClient, rasa: ScriptedRasa) -> None:
    c = Customer(client)
    rasa.down = True
    reply = c.say(payload="/human_handoff")
    assert reply["state"] == "queued" and "转接人工客服" in reply["messages"][-1]["text"]


def test_earlier_conversations_of_the_customer_masked(client: TestClient) -> None:
    agent = Staff(client, "agent")
    before = Customer(client, "cust-1")
    before.say("我的手机13812345678收不到验证码")
    Customer(client, "someone-else").say("别人的问题")
    agent.patch_me(status="online")
    now = Customer(client, "cust-1")
    now.say("转人工")
    (earlier,) = agent.get(f"/api/v1/agent/conversations/{now.id}")["earlier"]
    assert earlier["id"] == before.id and earlier["first_question"] == "我的手机138****5678收不到验证码"
    assert earlier["messages"] == 3 and earlier["state"] == "bot"
    anonymous = Customer(client)
    anonymous.say("转人工")
    assert agent.get(f"/api/v1/agent/conversations/{anonymous.id}")["earlier"] == []


def test_kb_suggestions_come_from_the_last_substantive_message(client: TestClient, tmp_path: Path) -> None:
    entries = [KbEntry("fee", "信用卡年费怎么免", "刷卡满6次免年费。", similar=("年费减免",)),
               KbEntry("wait", "排队要等多久", "请耐心等待。", similar=("继续等待",))]
    build(entries, HashingEncoder(), tmp_path / "kb")
    service = KbService(tmp_path / "kb", Thresholds(answer=0.95, suggest=0.6), lambda spec: HashingEncoder())
    service.reload_if_changed()
    client.app.state.kb = lambda: service  # type: ignore[attr-defined]
    c = Customer(client)
    c.say("信用卡年费怎么免")
    c.say("转人工")  # nobody online: queued, offered 继续等待 / 留言
    c.say(payload="/keep_waiting")
    c.say("在吗")
    agent = Staff(client, "agent")
    agent.patch_me(status="online")
    found = agent.get("/api/v1/agent/kb-suggestions", conversation_id=c.id)
    assert found and found[0]["entry_id"] == "fee"
