"""The customer API's bodies (the chat widget): conversations, messages, the reply to a turn."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

State = Literal["bot", "queued", "agent", "closed"]
Sender = Literal["customer", "bot", "agent", "system", "whisper"]  # whisper: supervisor -> agent, never customers
PreferredTime = Literal["尽快", "上午 9:00-12:00", "下午 13:00-18:00", "晚上 18:00-21:00"]


class ButtonOut(BaseModel):
    title: str
    payload: str


class MessageOut(BaseModel):
    """One transcript line as every client sees it (text already PII-masked); ``from`` on the wire."""

    model_config = ConfigDict(populate_by_name=True)
    id: int
    from_: Sender = Field(alias="from")
    text: str
    buttons: list[ButtonOut] = []
    created_at: str
    agent_name: str | None = None  # customers get the agent's customer-facing name (nickname or 工号)
    buttons_expired: bool = False  # the step these buttons belong to is over: drawn disabled, refused if sent


class NewConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["web", "app", "wechat"] = "web"
    customer_id: str | None = Field(default=None, max_length=64, pattern=r"^[\w.@:-]+$")


class ConversationCreated(BaseModel):
    id: str
    token: str
    state: State
    messages: list[MessageOut]


class CustomerMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=20000)  # MAX_MESSAGE_CHARS is checked in the route (Chinese 422)
    payload: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def exactly_one(self) -> CustomerMessage:
        if (self.text is None) == (self.payload is None):
            raise ValueError("请发送文字（text）或按钮（payload）其中之一")
        value = self.text if self.text is not None else self.payload
        if not (value or "").strip():
            raise ValueError("消息不能为空")
        return self


class LeaveMessageIn(BaseModel):
    """The 留言 form: a callback number (mainland mobile or landline; checked, then stored encrypted), when to
    call, and the question."""

    model_config = ConfigDict(extra="forbid")
    callback_number: str = Field(min_length=1, max_length=32)
    preferred_time: PreferredTime = "尽快"
    text: str = Field(min_length=1, max_length=500)


class ChatReply(BaseModel):
    """The conversation as of the end of a turn: its state, the new messages (the customer's own first) and,
    while queued, the position and estimated wait."""

    model_config = ConfigDict(populate_by_name=True)
    state: State
    messages: list[MessageOut]
    queue_position: int | None = None
    estimated_wait_s: int | None = None
    agent_name: str | None = None
