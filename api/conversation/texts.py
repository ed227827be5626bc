"""What the bridge itself says (system notices, survey, 留言, its refusals — all in Chinese, customers and staff
alike) and how it reads button payloads."""

from __future__ import annotations

import datetime as dt
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
QUEUE_TIMEOUT = "当前排队人数较多，让您久等了。您可以继续等待，也可以留言，我们会尽快回电。"
LEAVE_PROMPT = "请留下您的回电手机号和问题描述（一条消息即可），我们会在服务时间内尽快联系您。"
LEAVE_NEEDS_TEXT = "请用文字留下您的回电号码和问题描述。"
LEAVE_THANKS = "已收到您的留言，我们会尽快联系您。还有其他问题也可以继续问我。"
TRANSFERRING = "正在为您转接其他客服，请稍候。"
CUSTOMER_ENDED = "客户已结束会话。请填写服务小结后结束。"
ENDED = "本次会话已结束，感谢您的咨询。"
ABANDONED = "由于您长时间未响应，已为您退出人工排队。如仍需人工服务，请点击“转人工”。"
STALE_BUTTON = "该选项已失效，请直接输入您的问题，或使用最新消息中的选项。"
PREFERRED_TIMES = ("尽快", "上午 9:00-12:00", "下午 13:00-18:00", "晚上 18:00-21:00")

# refusals (HTTP 4xx detail) — what a customer or a staff member reads in a toast
CONVERSATION_NOT_FOUND = "会话不存在或已被删除"
BAD_TOKEN = "会话凭证无效或已过期，请重新开始会话"
CONVERSATION_CLOSED = "本次会话已结束，请开始新的会话"
EMPTY_MESSAGE = "消息不能为空"
NOT_YOUR_CHAT = "该会话未分配给您"
CUSTOMER_GONE = "客户已离开会话，消息无法送达；请填写服务小结后结束会话"
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


def hours_label(service_hours: str) -> str:
    """``SERVICE_HOURS`` as customers read it: 00:00-00:00 -> 全天24小时; 08:00-20:00 -> 每天08:00-20:00."""
    start, _, end = service_hours.partition("-")
    try:
        first, last = dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())
    except ValueError:
        return service_hours
    if first == last:
        return "全天24小时"
    return f"每天{first:%H:%M}-{last:%H:%M}" + ("（次日）" if last < first else "")


def wait_minutes(wait_s: int) -> int:
    return max(1, round(wait_s / 60))


def queue_message(hours: str, position: int, wait_s: int, online: bool) -> str:
    """The one message a customer gets on joining the queue (and on 继续等待): service hours, place and wait
    — built from the bridge's own configuration, so it cannot contradict itself. With nobody on duty there is
    no wait to promise: they may wait or leave a 留言."""
    head = f"正在为您转接人工客服（人工服务时间：{hours}）。您前面还有{position - 1}位客户，"
    if not online:
        return head + "目前暂无空闲坐席。您可以继续等待，也可以留言，我们会尽快回电。"
    return head + f"预计等待约{wait_minutes(wait_s)}分钟。"


def out_of_hours(hours: str) -> str:
    return f"当前不在人工客服服务时间内（人工服务时间：{hours}）。您可以留言，我们会在服务时间内尽快回电。"


def agent_joined(name: str) -> str:
    return f"客服 {name} 为您服务。"


def transferring_to(group: str) -> str:
    return f"正在为您转接{group}专席客服，请稍候。"


def leave_summary(masked_number: str, preferred_time: str, text: str) -> str:
    """The customer's 留言 as it appears in the transcript (the number masked, as everywhere but a reveal)."""
    return f"【留言】回电号码：{masked_number}；方便接听：{preferred_time}；内容：{text}"


FILLERS = frozenset({
    "好", "好的", "好滴", "嗯", "嗯嗯", "哦", "噢", "ok", "okay", "谢谢", "谢谢你", "多谢", "在吗", "还在吗", "在不在",
    "人呢", "有人吗", "喂", "你好", "您好", "是", "是的", "对", "对的", "不是", "没有", "不用了", "没了", "转人工",
    "人工", "人工客服", "转人工客服", "继续等待", "留言", "等一下", "稍等", "收到", "知道了", "明白了",
})
_NOT_WORDS = re.compile(r"[\s\W_]+", re.U)


def is_substantive(text: str) -> bool:
    """A message worth looking up in the KB: at least two letters or characters that are not a filler
    (好的, 在吗, 转人工 …); punctuation and spaces do not count."""
    core = _NOT_WORDS.sub("", text or "").lower()
    return len(core) >= 2 and core not in FILLERS


def substantive_question(newest_first: list[tuple[str, bool]]) -> str:
    """The newest (text, sent-by-a-button) that is typed and substantive; else the newest typed message; else
    ''. What an agent's KB suggestions are computed from: 继续等待 is a button, 在吗 a filler."""
    typed = [text for text, clicked in newest_first if not clicked]
    return next((t for t in typed if is_substantive(t)), typed[0] if typed else "")
