"""The steps the bridge runs itself, without the bot: the survey (``survey.SurveySteps``: after a human served
the customer or after a bot-only chat the customer ended; NPS, then CSAT, then an optional comment, or a themed
campaign's question and follow-up) and the 留言 (a callback request, which also becomes a feedback item).
``conv.stage`` names the step a conversation is in; :meth:`Steps.handle` looks the stage up in a table from
stage to handler. A handler returns False when the message is not an answer to its step: the step ends and the
message goes on to the bot.

A 留言 comes from the widget's form (number, preferred time, question; :meth:`Steps.record_leave`) or, from a
client without the form, as one text message after 留言. Either way the callback number is stored twice: masked
for every list, transcript and export, and whole but encrypted (``ctx.cipher``) for the agent who calls back."""

from __future__ import annotations

from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.conversation import texts
from api.conversation.callback_numbers import CallbackNumber, CallbackNumberError, parse_callback_number
from api.conversation.context import Context
from api.conversation.queue import HandoffQueue
from api.conversation.said import Said
from api.conversation.survey import SurveyAnswer, SurveySteps
from api.conversation.transcript import Transcript
from api.schemas.events import LeaveMessageLeft
from api.store.models import Conversation, Handoff, LeaveMessage, Message, Survey
from common.pii import find_pii, mask_pii

Step = Callable[[Said], bool]


class Steps:
    def __init__(self, ctx: Context, transcript: Transcript, queue: HandoffQueue) -> None:
        self.ctx = ctx
        self.transcript = transcript
        self.queue = queue
        self.survey = SurveySteps(ctx, transcript)
        self._steps: dict[str, Step] = {"leave": self._leave, **self.survey.stages(self._survey_step)}

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
                self.survey.finish(said, survey)
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
        leave = LeaveMessage(conversation_id=conv.id, customer_id=conv.customer_id,
                             callback_number=number.masked if number else None,
                             callback_number_enc=self.ctx.cipher.encrypt(number.number) if number else None,
                             preferred_time=preferred_time, text=mask_pii(text)[:1000], status="open",
                             attempts=0, created_at=self.ctx.now())
        said.db.add(leave)
        said.db.flush()
        self.survey.intake.leave_message(said.db, leave, conv, self.ctx.now())
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
        context can no longer drive the bot) with the survey (the standard one, or a campaign's) as its first
        step; the notices it starts with."""
        choice = self.survey.choose(db, conv, "agent")
        notices = [self.transcript.add(db, conv, "system", texts.AGENT_CLOSED)]
        if choice is not None:  # always, for an agent's service
            notices += self.survey.start(db, conv, choice)
        conv.state, conv.agent_id = "bot", None
        conv.session_no += 1
        return notices

    def start_bot_survey(self, db: Session, conv: Conversation) -> list[Message]:
        """The customer ended a chat the bot alone served: its survey when one is chosen (the conversation then
        stays open until the survey is over); [] otherwise."""
        if db.scalars(select(Handoff.id).where(Handoff.conversation_id == conv.id)).first() is not None:
            return []
        asked = db.scalars(select(Message.id).where(Message.conversation_id == conv.id,
                                                    Message.sender == "customer")).first()
        choice = self.survey.choose(db, conv, "bot") if asked is not None else None
        return self.survey.start(db, conv, choice) if choice is not None else []
