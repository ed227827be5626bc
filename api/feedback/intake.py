"""Every opinion becomes a feedback item (意见建议闭环): a survey's comment or 不满意, a complaint (the agent's
服务小结 says 投诉) and a 留言. The text is masked (``common.pii``), categorised by keyword, routed to an owner team
by category, skill group and branch, and given its category's SLA. One item per source row: a survey answered
不满意 and then commented updates its item while nobody has taken it."""

from __future__ import annotations

import datetime as dt
import json
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.feedback.categorise import categorise
from api.feedback.config import FeedbackConfig, FeedbackConfigError, load_config
from api.feedback.lifecycle import due_at
from api.feedback.routing import route_team
from api.settings import Settings
from api.store.models import Conversation, FeedbackItem, LeaveMessage, Survey, SurveyCampaign, WrapUp
from common.pii import mask_pii

log = logging.getLogger(__name__)
SOURCES = ("survey", "complaint", "leave_message")
SOURCE_NAMES = {"survey": "满意度调查", "complaint": "投诉", "leave_message": "留言"}
MAX_TEXT = 1000


def branch_of(conv: Conversation | None) -> str | None:
    """The branch the opinion concerns, from the bot's handoff context: a ``branch`` slot, else the city the
    customer named (网点查询's ``city`` slot) — routes name either, e.g. ``{category: 网点, branch: 上海}``."""
    slots = (conv.handoff or {}).get("slots") if conv is not None else None
    if not isinstance(slots, dict):
        return None
    value = slots.get("branch") or slots.get("city")
    return str(value)[:32] if value else None


def record(db: Session, config: FeedbackConfig, source: str, source_id: int | None, conv: Conversation | None,
           text: str, now: dt.datetime, score: int | None = None) -> FeedbackItem:
    """Create (or, while still open, update) the item for this source row."""
    masked = mask_pii(text.strip())[:MAX_TEXT]
    found = categorise(masked, config)
    skill_group = conv.skill_group if conv is not None else None
    branch = branch_of(conv)
    team = route_team(config, found.category, skill_group, branch)
    item = None
    if source_id is not None:
        item = db.scalars(select(FeedbackItem).where(FeedbackItem.source == source,
                                                     FeedbackItem.source_id == source_id)).first()
    if item is None:
        item = FeedbackItem(source=source, source_id=source_id, conversation_id=conv.id if conv else None,
                            status="open", created_at=now)
        db.add(item)
    elif item.status != "open":
        return item  # someone is on it: the opinion they read stays as it was
    item.text, item.score, item.category = masked, score, found.category
    item.keywords_json = json.dumps(list(found.keywords), ensure_ascii=False)
    item.team, item.skill_group, item.branch = team, skill_group, branch
    item.due_at = due_at(item.created_at, config.category(found.category).sla_hours)
    db.flush()
    return item


def survey_text(survey: Survey, topic: str | None) -> str | None:
    """What a survey says that someone should act on: its comment and a 不满意; None when neither."""
    parts = []
    if topic:
        parts.append(f"【专项调查：{topic}】")
    if survey.nps is not None:
        parts.append(f"【推荐意愿 {survey.nps} 分】")
    if survey.csat == "不满意":
        parts.append("【满意度：不满意】")
    if survey.comment:
        parts.append(survey.comment)
    if not survey.comment and survey.csat != "不满意":
        return None
    return "".join(parts)


class Intake:
    """The engine's entry: reads the categories file from settings (re-read when it changes); a broken file
    never breaks the chat — the opinion is then logged, not routed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def config(self) -> FeedbackConfig:
        return load_config(self.settings.feedback_file)

    def _record(self, db: Session, source: str, source_id: int | None, conv: Conversation | None, text: str,
                now: dt.datetime, score: int | None = None) -> FeedbackItem | None:
        try:
            config = self.config()
        except FeedbackConfigError as exc:
            log.error("feedback not routed (%s): %s", source, exc)
            return None
        return record(db, config, source, source_id, conv, text, now, score)

    def survey(self, db: Session, survey: Survey, conv: Conversation, now: dt.datetime) -> FeedbackItem | None:
        campaign = db.get(SurveyCampaign, survey.campaign_id) if survey.campaign_id else None
        text = survey_text(survey, campaign.topic if campaign else None)
        if text is None:
            return None
        return self._record(db, "survey", survey.id, conv, text, now, survey.nps)

    def leave_message(self, db: Session, leave: LeaveMessage, conv: Conversation,
                      now: dt.datetime) -> FeedbackItem | None:
        return self._record(db, "leave_message", leave.id, conv, leave.text, now)

    def complaint(self, db: Session, wrapup: WrapUp, conv: Conversation, now: dt.datetime) -> FeedbackItem | None:
        return self._record(db, "complaint", wrapup.id, conv, wrapup.note or "（投诉，坐席未填写小结）", now)
