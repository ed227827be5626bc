"""The bot's side of the demo traffic (``python -m api demo-data``): a stand-in for the Rasa server that answers
the way the real bot and action server do over the REST channel — KB answers with the helpful/unhelpful
question, 您是不是想问 suggestions, honest fallbacks offering a human, and a handoff signal with the intent of
the topic — so the demo needs no trained model and runs in minutes. Everything after the bot's answer (the
transcript, the queue, agents, surveys, 留言, flags) is the real engine's.

What customers ask, in which channel and how they score are tables here, so the month looks like a bank's:
mostly card and transfer questions, some wealth and securities, a few angry customers."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from api.rasa_client import BotTurn

HANDOFF_TEXT = "转人工"
COMPLAINT = "投诉"
CHANNELS = (("web", 0.5), ("app", 0.35), ("wechat", 0.15))


@dataclass(frozen=True)
class Topic:
    question: str
    intent: str  # decides the skill group of a handoff (api.conversation.routing.skill_group_for)
    kb_action: str  # answer | suggest | fallback: what the KB does with the question
    answer: str
    weight: float


TOPICS: tuple[Topic, ...] = (
    Topic("信用卡年费怎么收", "credit_card_annual_fee", "answer",
          "信用卡年费在刷卡满一定次数后可减免，具体以卡种规定为准。", 9),
    Topic("信用卡账单分期手续费多少", "credit_card_installment", "answer",
          "账单分期手续费按期数计收，可在 App 的分期页面试算。", 7),
    Topic("信用卡逾期了会怎样", "credit_card_overdue", "suggest", "您是不是想问：", 5),
    Topic("我的卡丢了怎么挂失", "card_loss", "answer", "您可以在 App 中立即临时挂失，或拨打客服热线办理正式挂失。", 8),
    Topic("跨行转账多久到账", "transfer_time", "answer", "普通跨行转账一般实时到账，大额可能在工作日处理。", 9),
    Topic("转账限额怎么调整", "transfer_limit", "answer", "登录 App，在 安全中心 > 限额管理 中调整。", 6),
    Topic("理财产品赎回多久到账", "wealth_redemption", "answer", "赎回资金一般在 T+1 个工作日到账。", 5),
    Topic("风险测评过期了", "risk_assessment", "suggest", "您是不是想问：", 3),
    Topic("基金定投怎么停", "fund_auto_invest", "answer", "在 App 基金定投计划中选择终止即可。", 4),
    Topic("创业板权限怎么开通", "gem_board", "answer", "需满足资产和交易经验要求，并在 App 中完成适当性评估。", 3),
    Topic("融资融券利率是多少", "margin_trading", "fallback", "抱歉，我暂时没能找到这个问题的答案。", 2),
    Topic("我的账户为什么被冻结了", "account_frozen", "fallback", "抱歉，我暂时没能找到这个问题的答案。", 4),
    Topic("水电费代扣怎么开通", "utility_payment", "answer", "请在 App 生活缴费中开通代扣。", 4),
)
ANGRY = ("你们是垃圾客服吗", "废物客服，半天解决不了")  # sensitive words (api/sensitive_words.yml: abuse)
AGENT_LINES = ("您好，我是人工客服，请问有什么可以帮您？", "好的，我帮您查询一下，请稍等。",
               "已为您处理，请您在 App 中刷新查看。", "还有其他可以帮您的吗？")
CUSTOMER_LINES = ("好的", "我的手机号是13912345678，麻烦看一下", "明白了，谢谢", "还是不行")
COMMENTS = ("客服很耐心，谢谢", "等待时间有点长", "问题没有解决，希望改进", "App 转账页面太难找了", "服务很好")


def pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def pick_topic(rng: random.Random) -> Topic:
    return rng.choices(TOPICS, [t.weight for t in TOPICS])[0]


class DemoBot:
    """Answers like the bot: a topic's question gets its KB answer, suggestion or fallback; 转人工 gets the
    handoff signal with the intent of the last topic asked in that conversation; anything else is small talk."""

    def __init__(self) -> None:
        self.last_intent: dict[str, str] = {}

    async def send(self, sender: str, text: str) -> BotTurn:
        conv = sender.rsplit("-", 1)[0]
        if HANDOFF_TEXT in text or text == "/human_handoff":
            intent = self.last_intent.get(conv, "human_handoff")
            reason = "complaint" if COMPLAINT in text else "customer_request"  # as actions/handoff.py decides
            return BotTurn(texts=[("好的，正在为您转接人工客服，请稍候。", [])],
                           handoff={"reason": reason, "intent": intent, "confidence": 0.96, "slots": {}})
        topic = next((t for t in TOPICS if t.question == text), None)
        if topic is None:
            return BotTurn(texts=[("好的，还有什么可以帮您？", [{"title": "转人工客服", "payload": "/human_handoff"}])])
        self.last_intent[conv] = topic.intent
        kb = {"query": text, "action": topic.kb_action,
              "candidates": [{"entry_id": topic.intent, "question": topic.question, "score": 0.9}]}
        if topic.kb_action == "answer":
            buttons = [{"title": "有帮助", "payload": "/kb_helpful"}, {"title": "没帮助", "payload": "/kb_unhelpful"}]
            return BotTurn(texts=[(topic.answer, []), ("这个回答对您有帮助吗？", buttons)], kb=kb)
        if topic.kb_action == "suggest":
            return BotTurn(texts=[(topic.answer, [{"title": topic.question, "payload": topic.question}])], kb=kb)
        return BotTurn(texts=[(topic.answer + "您可以换个说法，或转人工客服。",
                               [{"title": "转人工客服", "payload": "/human_handoff"}])], kb=kb)

    async def parse(self, text: str) -> dict[str, Any]:
        return {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.0}}

    async def erase_conversation(self, sender: str) -> None:
        return None

    async def close(self) -> None:
        return None
