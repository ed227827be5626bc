"""The steps the bridge runs itself, without the bot: the survey after a human served the customer (NPS, then
CSAT, then an optional comment) and the 留言 (a callback request). ``conv.stage`` names the step a
conversation is in; :meth:`Steps.handle` looks the stage up in a table from stage to handler. A handler returns
False when the message is not an answer to its step: the step ends and the message goes on to the bot.

A 留言 comes from the widget's form (number, preferred time, question; :meth:`Steps.record_leave`) or, from a
client without the form, as one text message after 留言. Either way the callback number is stored twice: masked
for every list, transcript and export, and whole but encrypted (``ctx.cipher``) for the agent who calls back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy.orm import Session

from api.conversation import texts
from api.conversation.callback_numbers import CallbackNumber, CallbackNumberError, parse_callback_number
from api.conversation.context import Context
from api.conversation.events import Outbox
from api.conversation.queue import HandoffQueue
from api.conversation.transcript import Transcript
from api.schemas.events import LeaveMessageLeft
from api.store.models import Conversation, LeaveMessage, Message, Survey
from common.pii import find_pii, mask_pii


@dataclass
class Said:
    """What the customer sent in a step, and where the step puts its answers."""

    db: Session
    conv: Conversation
    raw: str
    is_payload: bool
    new: list[Message]
    out: Outbox


Step = Callable[[Said], bool]
SurveyAnswer = Callable[[Said, Survey], bool]


class Steps:
    def __init__(self, ctx: Context, transcript: Transcript, queue: HandoffQueue) -> None:
        self.ctx = ctx
        self.transcript = transcript
        self.queue = queue
        self._steps: dict[str, Step] = {
            "leave": self._leave,
            "survey_nps": self._survey_step(self._nps),
            "survey_csat": self._survey_step(self._csat),
            "survey_comment": self._survey_step(self._comment),
        }

    def handle(self, said: Said) -> bool:
        """Run the conversation's current step on the message; False when it is not for a step."""
        step = self._steps.get(said.conv.stage or "")
        return step(said) if step is not None else False

    def _say(self, said: Said, text: str, buttons: list[dict[str, str]] | None = None) -> None:
        said.new.append(self.transcript.add(said.db, said.conv, "system", text, buttons))

    def _survey_step(self, answer: SurveyAnswer) -> Step:
        """What every survey step shares: its survey row, the 跳过 button, and ending the survey on anything
        that is not an answer."""
        def step(said: Said) -> bool:
            survey = said.db.get(Survey, said.conv.survey_id) if said.conv.survey_id else None
            if survey is None:
                said.conv.stage = None
                return False
            if said.raw == texts.SURVEY_SKIP:
                said.conv.stage = None
                self._say(said, texts.SURVEY_THANKS)
                return True
            if answer(said, survey):
                return True
            said.conv.stage = None  # anything else ends the survey; the message goes on to the bot
            return False
        return step

    # ------------------------------------------------------------------ 留言
    def start_leave(self, said: Said) -> None:
        said.conv.stage = "leave"
        self._say(said, texts.LEAVE_PROMPT)

    def _leave(self, said: Said) -> bool:
        """The text after 留言 (a client without the form): the first mobile number in it is the callback
        number."""
        raw = said.raw
        if said.is_payload:
            if raw == texts.LEAVE:
                self._say(said, texts.LEAVE_PROMPT)
                return True
            said.conv.stage = None
            return False
        number = None
        for found in find_pii(raw):
            if found.kind == "mobile":
                try:
                    number = parse_callback_number(raw[found.start:found.end])
                    break
                except CallbackNumberError:
                    continue
        self.record_leave(said, number, None, raw)
        return True

    def record_leave(self, said: Said, number: CallbackNumber | None, preferred_time: str | None, text: str) -> None:
        """Store a 留言 (the number masked and encrypted), take the customer out of the queue if they were
        waiting, thank them and tell the consoles."""
        conv = said.conv
        said.db.add(LeaveMessage(conversation_id=conv.id, customer_id=conv.customer_id,
                                 callback_number=number.masked if number else None,
                                 callback_number_enc=self.ctx.cipher.encrypt(number.number) if number else None,
                                 preferred_time=preferred_time, text=mask_pii(text)[:1000], status="open",
                                 attempts=0, created_at=self.ctx.now()))
        if conv.state == "queued":
            self.queue.leave_queue(said.db, conv, "left_message")
            conv.session_no += 1
        conv.stage = None
        self.transcript.expire_buttons(said.db, conv)
        self._say(said, texts.LEAVE_THANKS)
        self.ctx.metrics.inc("bridge_leave_messages_total")
        said.out.to_all_agents(LeaveMessageLeft())

    # ------------------------------------------------------------------ survey
    def start_survey(self, db: Session, conv: Conversation) -> list[Message]:
        """A human served the customer: the conversation goes back to the bot in a new Rasa session (pre-handoff
        context can no longer drive the bot) with the survey as its first step; the notices it starts with."""
        survey = Survey(conversation_id=conv.id, agent_id=conv.agent_id, created_at=self.ctx.now())
        db.add(survey)
        self.transcript.expire_buttons(db, conv)  # an earlier survey's buttons must not answer this one
        db.flush()
        conv.state, conv.agent_id, conv.stage, conv.survey_id = "bot", None, "survey_nps", survey.id
        conv.session_no += 1
        return [self.transcript.add(db, conv, "system", texts.AGENT_CLOSED),
                self.transcript.add(db, conv, "system", texts.SURVEY_NPS, texts.NPS_BUTTONS)]

    def _nps(self, said: Said, survey: Survey) -> bool:
        score = texts.nps_score(said.raw)
        if score is None:
            return False
        survey.nps = score
        said.conv.stage = "survey_csat"
        self._say(said, texts.SURVEY_CSAT, texts.CSAT_BUTTONS)
        return True

    def _csat(self, said: Said, survey: Survey) -> bool:
        rating = texts.csat_rating(said.raw)
        if rating is None:
            return False
        survey.csat = rating
        said.conv.stage = "survey_comment"
        self._say(said, texts.SURVEY_COMMENT, texts.SKIP_BUTTONS)
        return True

    def _comment(self, said: Said, survey: Survey) -> bool:
        if said.is_payload:
            return False
        survey.comment = mask_pii(said.raw)[:1000]
        said.conv.stage = None
        self._say(said, texts.SURVEY_THANKS)
        return True
