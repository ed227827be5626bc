"""The test console's customer reply (issue 12, finding 1): the sentence goes through the bridge's real RasaClient
to a Rasa stand-in speaking Rasa's HTTP wire format (REST channel, /model/parse, tracker erase), on a throwaway
conversation that is erased afterwards; the reply and its reasons come back in Chinese."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.rasa_client import RasaClient
from api.schemas.trainer import ArbitrationVerdict
from api.settings import Settings
from api.workbench.console_reply import headline
from kb_index.settings import KbSettings
from kb_index.unanswered import UnansweredStore
from tests.api.conftest import Staff
from tests.api.workbench.test_trainer import project  # noqa: F401 - the fixture
from tests.kb_index.fakes import HashingEncoder

KB_ANSWER = "存款证明可在任一网点开立，时段存款证明需冻结对应资金。"
FEEDBACK = {"text": "这个回答对您有帮助吗？", "buttons": [{"title": "有帮助", "payload": "/kb_helpful"}]}
CANDIDATES = [{"entry_id": "cards_accounts-034", "question": "怎么开存款证明（如出国签证用）？", "score": 0.97}]


class FakeRasa:
    """Rasa's HTTP API as the bridge sees it; ``replies`` is what the REST channel answers (None: HTTP 500)."""

    def __init__(self) -> None:
        self.parse: dict[str, Any] = {"intent": {"name": "account_open_materials", "confidence": 0.52},
                                      "intent_ranking": [], "entities": []}
        self.replies: list[dict[str, Any]] | None = []
        self.sent: list[dict[str, Any]] = []
        self.erased: list[tuple[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/model/parse":
            return httpx.Response(200, json=self.parse)
        if request.url.path == "/webhooks/rest/webhook":
            body = json.loads(request.content)
            self.sent.append(body)
            # as the action server does for a question the KB could not answer
            UnansweredStore(KbSettings().unanswered_path).record("fallback", body["message"],
                                                                 conversation=body["sender"])
            return httpx.Response(500) if self.replies is None else httpx.Response(200, json=self.replies)
        if request.method == "PUT" and request.url.path.endswith("/tracker/events"):
            self.erased.append((request.url.path.split("/")[2], json.loads(request.content)))
            return httpx.Response(200, json={})
        return httpx.Response(404)


@pytest.fixture()
def console(project: Path, tmp_path: Path) -> Iterator[tuple[FakeRasa, Staff]]:  # noqa: F811
    fake = FakeRasa()
    rasa = RasaClient("http://rasa.test", 5)
    rasa._client = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    settings = Settings(data_dir=tmp_path / "data", project_dir=project, demo_password="demo-pass")
    app = create_app(settings, rasa)
    app.state.kb_files._encoder = HashingEncoder
    app.state.kb = lambda: None
    with TestClient(app) as client:
        yield fake, Staff(client, "trainer")


def _probe(trainer: Staff, text: str) -> dict[str, Any]:
    result: dict[str, Any] = trainer.post("/api/v1/trainer/test", {"text": text})
    return result


def test_the_kb_winning_the_arbitration_is_the_reply_and_the_throwaway_conversation_is_erased(
        console: tuple[FakeRasa, Staff]) -> None:
    fake, trainer = console
    fake.replies = [{"text": KB_ANSWER}, FEEDBACK, {"custom": {"kb": {
        "query": "x", "action": "answer", "confidence": 0.91, "candidates": CANDIDATES,
        "arbitration": {"intent": "account_open_materials", "intent_confidence": 0.52, "kb_confidence": 0.91,
                        "winner": "kb"}}}}]
    result = _probe(trainer, "办签证需要的银行证明去哪开，卡号6212261202011234565")
    reply = result["reply"]
    assert [m["text"] for m in reply["messages"]] == [KB_ANSWER, FEEDBACK["text"]]
    assert reply["messages"][1]["buttons"] == FEEDBACK["buttons"]
    assert reply["source"] == "kb_arbitration" and reply["kb_entry"] == "cards_accounts-034"
    assert reply["arbitration"] == {"intent": "account_open_materials", "intent_confidence": 0.52,
                                    "kb_confidence": 0.91, "winner": "kb", "reason": None, "novel_terms": [],
                                    "intent_support": None}
    why = "".join(reply["why"])
    # the project's config.yml sets the arbitration's weak threshold at 0.7
    assert "意图 account_open_materials（置信度 52%）低于仲裁阈值 70%" in why
    assert "知识库置信度 0.91" in why and "仲裁结果：知识库胜出" in why
    # one message, masked, on a throwaway conversation: erased from Rasa and from the unanswered review
    (sent,) = fake.sent
    assert sent["sender"].startswith("trainer-console-") and "6212261202011234565" not in sent["message"]
    assert fake.erased == [(sent["sender"], [])]
    assert UnansweredStore(KbSettings().unanswered_path).recent("open") == []
    assert trainer.get("/api/v1/trainer/unanswered") == []
    # every sentence gets its own conversation
    _probe(trainer, "再试一次")
    assert fake.sent[1]["sender"] != sent["sender"] and fake.erased[1][0] == fake.sent[1]["sender"]


@pytest.mark.parametrize(("reason", "novel", "expected"), [
    ("weak_intent", [], "（置信度 52%）低于仲裁阈值 70%，触发"),
    ("weak_compliance", [], "只由分类器给出（没有规则命中）且低于仲裁阈值 70%，只有知识库的直接回答能取代其固定话术"),
    ("kb_exact_match", [], "该句与知识库问题完全一致"),
    ("novel_terms", ["签证", "证明"], "句中「签证、证明」是该意图训练数据中没有的词"),
    ("weak_support", [], "该句与知识库问题的措辞比与该意图的任何训练例句都更接近（与最接近的例句相似度 41%）"),
])
def test_the_policys_reason_is_the_explanation(console: tuple[FakeRasa, Staff], reason: str, novel: list[str],
                                               expected: str) -> None:
    fake, trainer = console
    fake.replies = [{"text": KB_ANSWER}, {"custom": {"kb": {
        "query": "x", "action": "answer", "confidence": 0.91, "candidates": CANDIDATES,
        "arbitration": {"intent": "account_open_materials", "intent_confidence": 0.52, "kb_confidence": 0.91,
                        "winner": "kb", "reason": reason, "novel_terms": novel, "intent_support": 0.41}}}}]
    reply = _probe(trainer, "办签证需要的银行证明去哪开")["reply"]
    assert reply["arbitration"]["reason"] == reason
    assert expected in "".join(reply["why"]) and "客户收到知识库答案" in "".join(reply["why"])


def test_an_offer_winning_the_arbitration_is_called_an_offer(console: tuple[FakeRasa, Staff]) -> None:
    fake, trainer = console
    fake.replies = [{"text": "您是不是想问：", "buttons": [{"title": "怎么开存款证明", "payload": "/kb_select"}]},
                    {"custom": {"kb": {"action": "suggest", "confidence": 0.52, "candidates": CANDIDATES,
                                       "arbitration": {"intent": "account_open_materials", "intent_confidence": 0.52,
                                                       "kb_confidence": 0.52, "winner": "kb",
                                                       "reason": "weak_intent"}}}}]
    reply = _probe(trainer, "办签证需要的银行证明去哪开")["reply"]
    assert reply["source"] == "kb_arbitration" and reply["kb_action"] == "suggest"
    assert "仲裁结果：知识库胜出，客户收到「您是不是想问」推荐问题。" in reply["why"]
    assert (reply["headline"], reply["tone"]) == ("知识库推荐问题（仲裁胜出）", "suggest")


def test_a_weak_intent_asked_about_is_explained_as_a_question_not_an_answer(console: tuple[FakeRasa, Staff]) -> None:
    fake, trainer = console
    button = {"title": "怎么开通网上银行？", "payload": "/online_banking_open"}
    fake.replies = [{"text": "您是不是想问：", "buttons": [button]},
                    {"custom": {"kb": {"action": "suggest", "confidence": 0.41, "candidates": CANDIDATES,
                                       "arbitration": {"intent": "online_banking_open", "intent_confidence": 0.31,
                                                       "kb_confidence": 0.41, "winner": "clarify",
                                                       "reason": "weak_intent"}}}}]
    reply = _probe(trainer, "电脑上那个网银基本不用了想关掉")["reply"]
    assert reply["source"] == "kb_arbitration" and reply["arbitration"]["winner"] == "clarify"
    assert any("机器人不直接回答" in line and "该意图的问题" in line for line in reply["why"]), reply["why"]
    assert (reply["headline"], reply["tone"]) == ("您是不是想问（意图置信度低）", "suggest")
    fake.replies[1]["custom"]["kb"]["arbitration"].update(intent="complaint", reason="weak_complaint")
    reply = _probe(trainer, "想应聘你们银行的柜员")["reply"]
    assert "是投诉意图且低于仲裁阈值 70%，知识库不会取代投诉处理" in "".join(reply["why"]), reply["why"]
    # a confident intent asked about because the message is long with words it never saw: not "low confidence"
    fake.replies[1]["custom"]["kb"]["arbitration"].update(intent="card_unfreeze_loss", intent_confidence=0.97,
                                                           reason="novel_terms", novel_terms=["旧卡"])
    reply = _probe(trainer, "卡挂失以后已经去柜台补了新卡，结果旧卡今天在沙发缝里又找着了，还能解挂吗")["reply"]
    why = "".join(reply["why"])
    assert "意图置信度低" not in why and "该意图训练数据中没有的词" in why and "该意图的问题排在首位" in why, why
    assert reply["headline"] == "您是不是想问（长消息含未见词）"


HEADLINES = {"kb_fallback": "知识库兜底", "intent": "意图回复", "handoff": "转人工"}


@pytest.mark.parametrize(("source", "winner", "reason", "kb_action", "expected"), [
    ("kb_arbitration", "kb", "weak_intent", "answer", ("知识库答案（仲裁胜出）", "answer")),
    ("kb_arbitration", "kb", "weak_intent", "suggest", ("知识库推荐问题（仲裁胜出）", "suggest")),
    ("kb_arbitration", "clarify", "weak_intent", "suggest", ("您是不是想问（意图置信度低）", "suggest")),
    ("kb_arbitration", "clarify", "novel_terms", "suggest", ("您是不是想问（长消息含未见词）", "suggest")),
    ("intent", "intent", "weak_intent", "answer", ("意图回复", "answer")),
    ("kb_fallback", None, None, "suggest", ("知识库兜底", "suggest")),
    ("handoff", None, None, None, ("转人工", "suggest")),
    ("unavailable", None, None, None, ("机器人不可用", "fallback")),
])
def test_the_headline_names_who_answered_and_how(source: str, winner: str | None, reason: str | None,
                                                 kb_action: str | None, expected: tuple[str, str]) -> None:
    """The console's one-line label comes from the server alone (the page renders it as given)."""
    verdict = None if winner is None else ArbitrationVerdict.model_validate(
        {"intent": "card_unfreeze_loss", "intent_confidence": 0.9, "winner": winner, "reason": reason})
    assert headline(source, verdict, kb_action) == expected


@pytest.mark.parametrize(("replies", "confidence", "source", "expected"), [
    ([{"text": "您是不是想问：", "buttons": [{"title": "怎么开存款证明", "payload": "/kb_select"}]},
      {"custom": {"kb": {"action": "suggest", "confidence": None, "candidates": CANDIDATES}}}],
     0.18, "kb_fallback", ["意图识别未能给出回答，由知识库兜底", "推荐候选问题"]),
    ([{"text": "抱歉，我没有理解您的意思。"}, {"custom": {"kb": {"action": "fallback", "candidates": []}}}],
     0.1, "kb_fallback", ["没有可用答案，客户收到兜底话术"]),
    ([{"text": "开立个人银行账户需要身份证。"}], 0.95, "intent",
     ["客户收到该意图的回复", "置信度不低于仲裁阈值 70%，未与知识库仲裁"]),
    ([{"text": "开立个人银行账户需要身份证。"}], 0.4, "intent", ["已与知识库仲裁", "意图胜出"]),
    ([{"text": "好的，正在为您转接人工客服，请稍候。"},
      {"custom": {"handoff": {"reason": "customer_request", "intent": "human_handoff", "confidence": 0.99}}}],
     0.99, "handoff", ["机器人转接人工客服：客户要求人工服务"]),
])
def test_each_way_the_bot_answers_is_explained_in_chinese(console: tuple[FakeRasa, Staff], replies: list[dict],
                                                          confidence: float, source: str,
                                                          expected: list[str]) -> None:
    fake, trainer = console
    fake.parse["intent"]["confidence"] = confidence
    fake.replies = replies
    reply = _probe(trainer, "办签证需要的银行证明去哪开")["reply"]
    assert reply["source"] == source and reply["headline"] == HEADLINES[source]
    assert reply["messages"][0]["text"] == replies[0]["text"]
    why = "".join(reply["why"])
    assert f"置信度 {confidence * 100:.0f}%" in why
    for part in expected:
        assert part in why, why
    assert fake.erased and fake.erased[0][0] == fake.sent[0]["sender"]


def test_rasa_down_is_reported_in_the_reply_and_the_conversation_still_erased(
        console: tuple[FakeRasa, Staff]) -> None:
    fake, trainer = console
    fake.replies = None
    result = _probe(trainer, "办签证需要的银行证明去哪开")
    assert result["reply"]["source"] == "unavailable" and result["reply"]["messages"] == []
    assert "机器人服务不可用" in result["reply"]["why"][0]
    assert fake.erased == [(fake.sent[0]["sender"], [])]
    assert UnansweredStore(KbSettings().unanswered_path).recent("open") == []
