"""What the customer sent in a step the bridge runs itself (``steps``, ``survey``), and where the step puts its
answers: one value shared by the step tables, so neither imports the other for it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from api.conversation.events import Outbox
from api.store.models import Conversation, Message


@dataclass
class Said:
    """What the customer sent in a step, and where the step puts its answers."""

    db: Session
    conv: Conversation
    raw: str
    is_payload: bool
    new: list[Message]
    out: Outbox
