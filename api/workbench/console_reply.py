"""The test console's "what would the customer get, and why": the bot's replies to one sentence (sent through the
real REST channel on a throwaway conversation) explained in Chinese from what the action server attaches to
them — the ``kb`` message (``kb.arbitration`` when the bot/KB arbitration let the KB win, the KB fallback's
decision otherwise) and the handoff signal — and from the NLU result of the same sentence.

``explain`` is pure: the same turn always gives the same explanation (tests/api/workbench/test_console_reply.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.rasa_client import BotTurn
from api.schemas.trainer import ArbitrationVerdict, ConsoleReply, ReplyButton, ReplyMessage, Tone

KB_ACTIONS = {"answer": "直接回答", "suggest": "推荐候选问题", "fallback": "无可用答案"}
_ARBITRATION_OUTCOME = {
    "intent": "仲裁结果：意图胜出，客户收到该意图的回复。",
    "clarify": ("仲裁结果：意图置信度低，机器人不直接回答，客户收到「您是不是想问」，"
                "该意图的问题与知识库推荐问题并列供选择。"),
}
# a confident intent asked about (actions/arbitrate.py clarifies: a long message with words it never saw)
_CONFIDENT_CLARIFY = ("仲裁结果：消息较长且含有该意图训练数据中没有的词，可能问的是该意图下更具体的问题，"
                      "机器人不直接回答，客户收到「您是不是想问」，该意图的问题排在首位，知识库推荐问题随后。")
# the console's headline: who answered, and how the customer sees it (tone: the colour of a KB decision)
_SOURCE_HEADLINES: dict[str, tuple[str, Tone]] = {
    "kb_arbitration": ("知识库答案（仲裁胜出）", "answer"), "kb_fallback": ("知识库兜底", "suggest"),
    "intent": ("意图回复", "answer"), "handoff": ("转人工", "suggest"), "unavailable": ("机器人不可用", "fallback"),
}
HANDOFF_REASONS = {
    "customer_request": "客户要求人工服务", "repeated_fallback": "连续两次无法回答", "complaint": "客户投诉",
    "fraud_alert": "疑似诈骗风险", "share_sensitive_info": "客户提供了敏感信息", "unhelpful": "客户认为回答没有帮助",
}


def pct(value: Any) -> str:
    return f"{float(value) * 100:.0f}%" if isinstance(value, (int, float)) else "未知"


def _score(value: Any) -> str:
    return f"{float(value):.2f}" if isinstance(value, (int, float)) else "无（未启用校准）"


def weak_threshold(config_file: Path) -> float | None:
    """The arbitration policy's ``weak_threshold`` in the project's config.yml (None when absent)."""
    import yaml

    try:
        config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    for policy in config.get("policies") or []:
        if isinstance(policy, dict) and str(policy.get("name", "")).endswith("KbArbitrationPolicy"):
            value = policy.get("weak_threshold")
            return float(value) if isinstance(value, (int, float)) else None
    return None


def _arbitration_reason(verdict: ArbitrationVerdict, confidence: float | None, threshold: float | None) -> str:
    """Why the policy consulted the KB, in Chinese, as the verdict names it (an older action server names none:
    then from the confidence and the weak threshold)."""
    below = f"低于仲裁阈值 {pct(threshold)}" if threshold is not None else "较弱"
    if verdict.reason in ("weak_intent", "weak_form_intent"):
        return below
    if verdict.reason == "weak_complaint":
        return f"是投诉意图且{below}，知识库不会取代投诉处理，机器人先向客户确认"
    if verdict.reason == "weak_compliance":
        return f"是合规/安全意图，但只由分类器给出（没有规则命中）且{below}，只有知识库的直接回答能取代其固定话术"
    if verdict.reason == "kb_exact_match":
        return "，但该句与知识库问题完全一致"
    if verdict.reason == "novel_terms":
        return f"，但句中「{'、'.join(verdict.novel_terms)}」是该意图训练数据中没有的词"
    if verdict.reason == "weak_support":
        support = ("" if verdict.intent_support is None
                   else f"（与最接近的例句相似度 {pct(verdict.intent_support)}）")
        return f"，但该句与知识库问题的措辞比与该意图的任何训练例句都更接近{support}"
    return (below if threshold is not None and confidence is not None and confidence < threshold
            else "较弱，或该句与知识库问题完全一致")


def _outcome(verdict: ArbitrationVerdict, action: str | None) -> str:
    """What the customer got from the arbitration, in Chinese."""
    if verdict.winner == "clarify" and verdict.reason == "novel_terms":
        return _CONFIDENT_CLARIFY
    if verdict.winner != "kb":
        return _ARBITRATION_OUTCOME[verdict.winner]
    if action == "suggest":
        return "仲裁结果：知识库胜出，客户收到「您是不是想问」推荐问题。"
    return "仲裁结果：知识库胜出，客户收到知识库答案。"


def headline(source: str, arbitration: ArbitrationVerdict | None, kb_action: str | None) -> tuple[str, Tone]:
    """The reply's one-line source label and tone, as the console shows it above the bubbles."""
    if arbitration is not None and arbitration.winner == "clarify":
        why = "长消息含未见词" if arbitration.reason == "novel_terms" else "意图置信度低"
        return f"您是不是想问（{why}）", "suggest"
    if source == "kb_arbitration" and kb_action == "suggest":
        return "知识库推荐问题（仲裁胜出）", "suggest"
    return _SOURCE_HEADLINES[source]


def _reply(**fields: Any) -> ConsoleReply:
    """The reply with its headline."""
    label, tone = headline(fields["source"], fields.get("arbitration"), fields.get("kb_action"))
    return ConsoleReply(**fields, headline=label, tone=tone)


def _messages(turn: BotTurn) -> list[ReplyMessage]:
    return [ReplyMessage(text=text, buttons=[ReplyButton(title=b["title"], payload=b["payload"]) for b in buttons])
            for text, buttons in turn.texts]


def explain(turn: BotTurn, intent: str | None, confidence: float | None,
            threshold: float | None = None) -> ConsoleReply:
    """The reply and its reasons. ``intent``/``confidence``: the NLU's top intent for the sentence (the bot's
    own verdict in ``kb.arbitration`` takes precedence); ``threshold``: the arbitration's weak threshold."""
    messages = _messages(turn)
    kb = turn.kb or {}
    verdict = kb.get("arbitration") if isinstance(kb.get("arbitration"), dict) else None
    candidates = [c for c in kb.get("candidates") or [] if isinstance(c, dict)]
    best = str(candidates[0].get("entry_id")) if candidates and candidates[0].get("entry_id") else None
    action = kb.get("action") if kb.get("action") in KB_ACTIONS else None
    intent_text = f"意图 {intent}（置信度 {pct(confidence)}）" if intent else "意图识别无结果"
    if turn.handoff is not None:
        reason = str(turn.handoff.get("reason") or "")
        why = [f"{intent_text}。", f"机器人转接人工客服：{HANDOFF_REASONS.get(reason, reason or '未说明原因')}。"]
        if action:
            why.insert(1, f"转人工前知识库判定：{KB_ACTIONS[action]}。")
        return _reply(messages=messages, source="handoff", why=why, intent=intent,
                      intent_confidence=confidence, kb_action=action, kb_entry=best, handoff_reason=reason)
    if verdict is not None and verdict.get("winner") in ("kb", "intent", "clarify"):
        parsed = ArbitrationVerdict.model_validate(verdict)
        intent, confidence = parsed.intent or intent, parsed.intent_confidence
        why = [f"意图 {intent}（置信度 {pct(confidence)}）{_arbitration_reason(parsed, confidence, threshold)}，"
               "触发机器人/知识库仲裁。",
               f"知识库判定：{KB_ACTIONS.get(str(action), '直接回答')}，最佳条目 {best or '无'}，"
               f"知识库置信度 {_score(parsed.kb_confidence)}。",
               _outcome(parsed, action)]
        return _reply(messages=messages, source="intent" if parsed.winner == "intent" else "kb_arbitration",
                      why=why, intent=intent, intent_confidence=confidence, kb_action=action, kb_entry=best,
                      kb_confidence=parsed.kb_confidence, arbitration=parsed)
    if turn.kb is not None:
        outcome = {"answer": f"直接回答，客户收到条目 {best} 的答案。",
                   "suggest": "推荐候选问题，客户收到「您是不是想问」及候选按钮。",
                   "fallback": "没有可用答案，客户收到兜底话术。"}.get(str(action), "结果未知。")
        why = [f"{intent_text}：意图识别未能给出回答，由知识库兜底。", f"知识库兜底：{outcome}"]
        return _reply(messages=messages, source="kb_fallback", why=why, intent=intent,
                      intent_confidence=confidence, kb_action=action, kb_entry=best,
                      kb_confidence=kb.get("confidence") if isinstance(kb.get("confidence"), float) else None)
    why = [f"{intent_text}：客户收到该意图的回复。"]
    if threshold is not None and confidence is not None:
        why.append(f"置信度不低于仲裁阈值 {pct(threshold)}，未与知识库仲裁。" if confidence >= threshold
                   else f"置信度低于仲裁阈值 {pct(threshold)}，已与知识库仲裁：知识库不能直接回答"
                        "（或该意图受保护），意图胜出。")
    return _reply(messages=messages, source="intent", why=why, intent=intent, intent_confidence=confidence)


def unavailable(reason: str) -> ConsoleReply:
    return _reply(messages=[], source="unavailable", why=[f"机器人服务不可用，无法得到客户回复（{reason}）。"])
