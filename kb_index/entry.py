"""One knowledge-base entry and the errors a source file can have."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

MAX_TEXT_CHARS = 2000
NO_ANSWER = "（无答案：仅用于检索评测）"  # the answer of imported evaluation rows that carry none (BQ clusters)


class KbSourceError(ValueError):
    """A problem in a KB source, naming the file and the entry or row."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class KbEntry:
    id: str
    question: str
    answer: str
    category: str = ""
    similar: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    links: tuple[Button, ...] = ()  # title + url
    channels: tuple[str, ...] = ()  # empty: every channel
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    updated_at: str = ""
    updated_by: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def has_answer(self) -> bool:
        return self.answer not in ("", NO_ANSWER)

    @property
    def questions(self) -> tuple[str, ...]:
        """The standard question first, then the similar ones (duplicates dropped)."""
        return tuple(dict.fromkeys((self.question, *self.similar)))

    def is_valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    def serves(self, channel: str | None) -> bool:
        return not self.channels or channel is None or channel in self.channels


def _date(value: Any, where: str, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise KbSourceError(f"{where}: {name} '{value}' is not a date (YYYY-MM-DD)") from exc


def _texts(value: Any, where: str, name: str) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        value = [v for v in value.replace("｜", "|").split("|")]
    if not isinstance(value, (list, tuple)):
        raise KbSourceError(f"{where}: {name} must be a list")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _buttons(value: Any, where: str, name: str, target: str) -> tuple[Button, ...]:
    if value in (None, ""):
        return ()
    if not isinstance(value, list) or not all(isinstance(b, Mapping) for b in value):
        raise KbSourceError(f"{where}: {name} must be a list of {{title, {target}}}")
    out = []
    for b in value:
        title, link = str(b.get("title") or "").strip(), str(b.get(target) or "").strip()
        if not title or not link:
            raise KbSourceError(f"{where}: every {name[:-1]} needs a title and a {target}")
        out.append(Button(title, link))
    return tuple(out)


def entry_from_mapping(data: Mapping[str, Any], where: str) -> KbEntry:
    """Validate one entry (a YAML mapping or an import row); ``where`` names the file and entry/row."""
    entry_id = str(data.get("id") or "").strip()
    question = str(data.get("question") or "").strip()
    answer = str(data.get("answer") or "").strip()
    if not entry_id:
        raise KbSourceError(f"{where}: missing id")
    if not question:
        raise KbSourceError(f"{where}: entry '{entry_id}' has an empty question")
    if not answer:
        raise KbSourceError(f"{where}: entry '{entry_id}' has no answer")
    for name, text in (("question", question), ("answer", answer)):
        if len(text) > MAX_TEXT_CHARS:
            raise KbSourceError(f"{where}: entry '{entry_id}': {name} longer than {MAX_TEXT_CHARS} characters")
    known = {"id", "question", "answer", "category", "similar", "tags", "buttons", "links", "channels",
             "valid_from", "valid_until", "updated_at", "updated_by"}
    entry = KbEntry(
        id=entry_id,
        question=question,
        answer=answer,
        category=str(data.get("category") or "").strip(),
        similar=_texts(data.get("similar"), where, "similar"),
        tags=_texts(data.get("tags"), where, "tags"),
        buttons=_buttons(data.get("buttons"), where, "buttons", "payload"),
        links=_buttons(data.get("links"), where, "links", "url"),
        channels=_texts(data.get("channels"), where, "channels"),
        valid_from=_date(data.get("valid_from"), where, "valid_from"),
        valid_until=_date(data.get("valid_until"), where, "valid_until"),
        updated_at=str(data.get("updated_at") or ""),
        updated_by=str(data.get("updated_by") or ""),
        extra={k: v for k, v in data.items() if k not in known},
    )
    if entry.valid_from and entry.valid_until and entry.valid_until < entry.valid_from:
        raise KbSourceError(f"{where}: entry '{entry_id}': valid_until is before valid_from")
    return entry


def entry_to_mapping(entry: KbEntry) -> dict[str, Any]:
    """The YAML form of an entry (empty fields left out)."""
    data: dict[str, Any] = {"id": entry.id, "category": entry.category, "question": entry.question,
                            "similar": list(entry.similar), "answer": entry.answer, "tags": list(entry.tags),
                            "buttons": [{"title": b.title, "payload": b.payload} for b in entry.buttons],
                            "links": [{"title": b.title, "url": b.payload} for b in entry.links],
                            "channels": list(entry.channels),
                            "valid_from": entry.valid_from.isoformat() if entry.valid_from else None,
                            "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
                            "updated_at": entry.updated_at, "updated_by": entry.updated_by}
    return {k: v for k, v in data.items() if v not in (None, "", [])}
