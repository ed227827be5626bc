"""What the bridge itself says to customers (system notices, survey, 留言) and how it reads button payloads."""

from __future__ import annotations

import json
import re
from typing import Any

Button = dict[str, str]

WELCOME = "您好，我是智能客服，很高兴为您服务！您可以直接输入问题，例如“银行卡丢了怎么办”“转账限额是多少”。"
WELCOME_BUTTONS: list[Button] = [
    {"title": "挂失", "payload": "银行卡丢了怎么挂失"},
    {"title": "转账限额", "payload": "转账限额是多少"},
    {"title": "网点营业时间", "payload": "网点营业时间"},
    {"title": "转人工", "payload": "/human_handoff"},
]
HANDOFF = "/human_handoff"
LEAVE = "/leave_message"
KEEP_WAITING = "/keep_waiting"
SURVEY_SKIP = "/survey_skip"

BOT_DOWN = "抱歉，智能客服暂时无法响应，您的消息已记录。您可以稍后再试，或转人工客服。"
QUEUED = "正在为您转接人工客服，请稍候。"
NOBODY_ONLINE = "当前暂无人工客服在线。您可以继续等待，也可以留言，我们会在服务时间内尽快回电。"
OUT_OF_HOURS = "当前不在人工客服服务时间内。您可以留言，我们会在服务时间内尽快回电。"
QUEUE_TIMEOUT = "当前排队人数较多，让您久等了。您可以继续等待，也可以留言，我们会尽快回电。"
LEAVE_PROMPT = "请留下您的回电手机号和问题描述（一条消息即可），我们会在服务时间内尽快联系您。"
LEAVE_NEEDS_TEXT = "请用文字留下您的回电号码和问题描述。"
LEAVE_THANKS = "已收到您的留言，我们会尽快联系您。还有其他问题也可以继续问我。"
TRANSFERRING = "正在为您转接其他客服，请稍候。"
AGENT_CLOSED = "本次人工服务已结束，感谢您的耐心。"
SURVEY_NPS = "您向亲友推荐我们服务的可能性有多大？（0分表示完全不可能，10分表示非常可能）"
SURVEY_CSAT = "请问您对本次服务满意吗？"
SURVEY_COMMENT = "如有其他意见或建议，请直接输入（可选）。"
SURVEY_THANKS = "感谢您的评价！如还有其他问题，可以继续问我。"
CSAT_CHOICES = ("满意", "一般", "不满意")
CALM_REPLY = {
    "abuse": "非常理解您的心情，给您带来不便很抱歉。请您文明沟通，我们会尽力帮您解决问题，也可以转人工客服。",
    "fraud_bait": "您提到的内容涉及违法违规金融活动（如买卖或出租出借银行卡、套现、刷单返利），本行不提供此类服务。"
                  "请勿参与，谨防上当受骗；如遇诈骗请立即拨打96110反诈专线。",
}
CALM_DEFAULT = "您的消息包含不当内容，请您文明沟通。我们会尽力帮您解决问题，也可以转人工客服。"
BOT_BLOCKED = "抱歉，该回复未通过合规检查，暂时无法发送。您可以换个问法，或转人工客服咨询。"

WAIT_BUTTONS: list[Button] = [{"title": "继续等待", "payload": KEEP_WAITING}, {"title": "留言", "payload": LEAVE}]
NPS_BUTTONS: list[Button] = [{"title": str(i), "payload": f'/survey_nps{{"score":{i}}}'} for i in range(11)]
CSAT_BUTTONS: list[Button] = [{"title": c, "payload": f'/survey_csat{{"rating":"{c}"}}'} for c in CSAT_CHOICES]
SKIP_BUTTONS: list[Button] = [{"title": "跳过", "payload": SURVEY_SKIP}]

_PAYLOAD = re.compile(r"^/(?P<name>[A-Za-z_][\w]*)(?P<args>\{.*\})?$", re.S)


def parse_payload(payload: str) -> tuple[str, dict[str, Any]] | None:
    """``/name{"k": v}`` -> (name, args); None for anything else (free text)."""
    match = _PAYLOAD.match(payload.strip())
    if not match:
        return None
    try:
        args = json.loads(match.group("args")) if match.group("args") else {}
    except ValueError:
        return None
    return (match.group("name"), args) if isinstance(args, dict) else None


def nps_score(payload_or_text: str) -> int | None:
    """An NPS answer from its button or typed as a number 0-10."""
    parsed = parse_payload(payload_or_text)
    value: Any = parsed[1].get("score") if parsed and parsed[0] == "survey_nps" else payload_or_text.strip()
    try:
        score = int(str(value).removesuffix("分"))
    except ValueError:
        return None
    return score if 0 <= score <= 10 else None


def csat_rating(payload_or_text: str) -> str | None:
    parsed = parse_payload(payload_or_text)
    value = parsed[1].get("rating") if parsed and parsed[0] == "survey_csat" else payload_or_text.strip()
    return value if value in CSAT_CHOICES else None


def queue_notice(position: int, wait_s: int) -> str:
    return f"{QUEUED}您前面还有{position - 1}位客户，预计等待约{max(1, round(wait_s / 60))}分钟。"


def agent_joined(name: str) -> str:
    return f"客服 {name} 为您服务。"
