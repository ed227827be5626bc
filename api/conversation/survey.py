"""The survey steps (the engine's one survey, issue 15 extends it): which survey to ask (``api.feedback.sampling``),
then NPS -> CSAT -> an optional comment, or for a themed campaign (专项NPS调查) its own NPS question -> the
follow-up question of the answer's score band (detractors are asked what went wrong), when it has one.

Triggers: an agent closed a human service (``kind`` agent: always asked, as before), or the customer ended a chat
the bot alone served (``kind`` bot: sampled; the conversation stays open for the survey and closes when it is
over — answered, skipped — while anything else the customer types goes on to the bot and keeps the chat open).
A comment or 不满意 becomes a feedback item for its owner team (``api.feedback.intake``)."""

from __future__ import annotations

from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.conversation import texts
from api.conversation.context import Context
from api.conversation.said import Said
from api.conversation.transcript import Transcript
from api.feedback.intake import Intake
from api.feedback.sampling import (
    CampaignRule,
    ConversationFacts,
    SurveyChoice,
    Target,
    areas_for_intents,
    choose_survey,
    score_band,
)
from api.store.models import Conversation, Handoff, Message, Survey, SurveyCampaign
from common.pii import mask_pii

BOT_SURVEY_INTRO = "感谢您的咨询！耽误您几秒钟，请为本次服务打分。"
CLOSED_THANKS = "感谢您的评价！本次会话已结束。"
SurveyAnswer = Callable[[Said, Survey], bool]


def rule_of(campaign: SurveyCampaign) -> CampaignRule:
    target = campaign.target
    return CampaignRule(campaign.id, Target(tuple(target.get("channels") or ()),
                                            tuple(target.get("skill_groups") or ()), tuple(target.get("areas") or ())),
                        campaign.sample_rate, campaign.starts_at, campaign.ends_at, campaign.active)


def conversation_intents(db: Session, conv: Conversation) -> list[str]:
    """The intents the bridge knows of: the handoff context's (and its turns'), the KB arbitration's."""
    intents: list[str] = []
    handoff = conv.handoff or {}
    intents.append(str(handoff.get("intent") or ""))
    intents += [str(t.get("intent") or "") for t in handoff.get("turns") or [] if isinstance(t, dict)]
    metas = db.scalars(select(Message.meta_json).where(Message.conversation_id == conv.id, Message.sender == "bot",
                                                       Message.meta_json.is_not(None)))
    for meta_json in metas:
        message = Message(meta_json=meta_json)
        verdict = (message.meta.get("kb") or {}).get("arbitration") or {}
        intents.append(str(verdict.get("intent") or ""))
    return [i for i in intents if i]


class SurveySteps:
    def __init__(self, ctx: Context, transcript: Transcript) -> None:
        self.ctx = ctx
        self.transcript = transcript
        self.intake = Intake(ctx.settings)

    def stages(self, step: Callable[[SurveyAnswer], Callable[[Said], bool]]) -> dict[str, Callable[[Said], bool]]:
        return {"survey_nps": step(self._nps), "survey_csat": step(self._csat), "survey_comment": step(self._comment)}

    # ------------------------------------------------------------------ choosing
    def choose(self, db: Session, conv: Conversation, trigger: str) -> SurveyChoice | None:
        groups = set(db.scalars(select(Handoff.skill_group).where(Handoff.conversation_id == conv.id)))
        if conv.skill_group:
            groups.add(conv.skill_group)
        surveyed = db.scalar(select(func.count()).select_from(Survey).where(Survey.conversation_id == conv.id))
        facts = ConversationFacts(conv.id, conv.channel, frozenset(groups),
                                  areas_for_intents(conversation_intents(db, conv) + sorted(groups)),
                                  bool(surveyed))
        last = None
        if conv.customer_id:
            last = db.scalar(select(func.max(Survey.created_at)).where(Survey.customer_id == conv.customer_id))
        now = self.ctx.now()
        live = db.scalars(select(SurveyCampaign).where(SurveyCampaign.active.is_(True),
                                                       SurveyCampaign.starts_at <= now,
                                                       SurveyCampaign.ends_at > now))
        settings = self.ctx.settings
        return choose_survey(trigger, facts, [rule_of(c) for c in live], last, now, settings.nps_bot_sample_rate,
                             settings.nps_quiet_days)

    # ------------------------------------------------------------------ starting
    def start(self, db: Session, conv: Conversation, choice: SurveyChoice) -> list[Message]:
        """Open the survey row and ask its first question (the notices it adds)."""
        survey = Survey(conversation_id=conv.id, agent_id=conv.agent_id if choice.kind == "agent" else None,
                        kind=choice.kind, campaign_id=choice.campaign_id, customer_id=conv.customer_id,
                        created_at=self.ctx.now())
        db.add(survey)
        self.transcript.expire_buttons(db, conv)  # an earlier survey's buttons must not answer this one
        db.flush()
        conv.stage, conv.survey_id = "survey_nps", survey.id
        campaign = db.get(SurveyCampaign, choice.campaign_id) if choice.campaign_id else None
        question = campaign.question if campaign is not None else texts.SURVEY_NPS
        notices = []
        if choice.kind == "bot":
            notices.append(self.transcript.add(db, conv, "system", BOT_SURVEY_INTRO))
        notices.append(self.transcript.add(db, conv, "system", question, texts.NPS_BUTTONS,
                                           meta={"survey": {"kind": choice.kind, "campaign_id": choice.campaign_id}}))
        self.ctx.metrics.inc("bridge_surveys_started_total", kind=choice.kind,
                             campaign="yes" if choice.campaign_id else "no")
        return notices

    # ------------------------------------------------------------------ answers
    def _say(self, said: Said, text: str, buttons: list[dict[str, str]] | None = None) -> None:
        said.new.append(self.transcript.add(said.db, said.conv, "system", text, buttons))

    def finish(self, said: Said, survey: Survey) -> None:
        """The survey is over (answered or skipped): thanks; a chat the customer had ended closes now."""
        said.conv.stage = None
        if survey.kind == "bot":
            self._say(said, CLOSED_THANKS)
            now = self.ctx.now()
            said.conv.state, said.conv.customer_left_at = "closed", now
            self.transcript.expire_buttons(said.db, said.conv)
        else:
            self._say(said, texts.SURVEY_THANKS)

    def _nps(self, said: Said, survey: Survey) -> bool:
        score = texts.nps_score(said.raw)
        if score is None:
            return False
        survey.nps, survey.answered_at = score, self.ctx.now()
        if survey.campaign_id is None:
            said.conv.stage = "survey_csat"
            self._say(said, texts.SURVEY_CSAT, texts.CSAT_BUTTONS)
            return True
        campaign = said.db.get(SurveyCampaign, survey.campaign_id)
        followup = campaign.followups.get(score_band(score)) if campaign is not None else None
        if followup:
            survey.followup = followup
            said.conv.stage = "survey_comment"
            self._say(said, followup, texts.SKIP_BUTTONS)
        else:
            self.finish(said, survey)
        return True

    def _csat(self, said: Said, survey: Survey) -> bool:
        rating = texts.csat_rating(said.raw)
        if rating is None:
            return False
        survey.csat = rating
        if rating == "不满意":
            self.intake.survey(said.db, survey, said.conv, self.ctx.now())
        said.conv.stage = "survey_comment"
        self._say(said, texts.SURVEY_COMMENT, texts.SKIP_BUTTONS)
        return True

    def _comment(self, said: Said, survey: Survey) -> bool:
        if said.is_payload:
            return False
        survey.comment = mask_pii(said.raw)[:1000]
        self.intake.survey(said.db, survey, said.conv, self.ctx.now())
        self.finish(said, survey)
        return True
