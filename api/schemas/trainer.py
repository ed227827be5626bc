"""The trainer workbench's bodies: NLU data, the knowledge base, unanswered questions, the test console, train
and deploy jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


# ---------------------------------------------------------------------------------------------- NLU data
class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)


class NewIntent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2, max_length=49)
    examples: list[str] = Field(min_length=2, max_length=200)
    response: str = Field(min_length=1, max_length=2000)


class SynonymIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=50)
    synonym: str = Field(min_length=1, max_length=50)


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2, max_length=49)
    entry: str = Field(min_length=1, max_length=50)


class IntentSummary(BaseModel):
    name: str
    examples: int
    file: str


class IntentDetail(BaseModel):
    name: str
    file: str
    examples: list[str]  # as written, entity annotations included: 我的[信用卡](card_type)丢了
    response: str | None  # the text of utter_<name>


class Deleted(BaseModel):
    deleted: str


class SynonymOut(BaseModel):
    value: str
    synonyms: list[str]


class LookupOut(BaseModel):
    name: str
    entries: list[str]


# ---------------------------------------------------------------------------------------------- knowledge base
class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(default=None, max_length=64, pattern=r"^[\w.-]+$")
    area: str = "trainer"  # the source file kb_index/faq/<area>.yml
    category: str = Field(default="", max_length=64)
    question: str = Field(min_length=1, max_length=500)
    similar: list[str] = Field(default_factory=list, max_length=100)
    answer: str = Field(min_length=1, max_length=4000)
    tags: list[str] = Field(default_factory=list)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


class SimilarIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=500)


LintKind = Literal["conflict", "duplicate", "intent"]


class KbConflictOut(BaseModel):
    """A KB lint finding (kb_index.lint): ``conflict`` near-identical questions, different answers; ``duplicate``
    the same answer too (merge them); ``intent`` an intent's example near-identical to a KB question."""

    kind: LintKind
    first: str  # entry id, or the intent's name for kind "intent"
    first_question: str
    second: str  # entry id
    second_question: str
    similarity: float
    answer_similarity: float | None
    term_differences: list[str]  # business terms the questions disagree on, e.g. "channel: 手机银行 / 电话银行"
    description: str  # one line in Chinese, as ``python -m kb_index lint`` prints it


class KbLintOut(BaseModel):
    conflicts: list[KbConflictOut]  # most similar first
    counts: dict[str, int]  # conflict / duplicate / intent -> how many


class KbEntryOut(BaseModel):
    id: str
    area: str
    category: str
    question: str
    similar: list[str]
    answer: str
    tags: list[str]
    valid_from: str | None
    valid_until: str | None
    updated_at: str
    updated_by: str
    retired: bool  # valid_until has passed: no longer served
    # after a save: KB lint findings on this entry that the edit created (a warning; the edit was saved)
    warnings: list[KbConflictOut] = []


class KbStatus(BaseModel):
    """The index version in service (or just built) and whether a rebuild is running."""

    version: str | None
    entries: int | None
    questions: int | None
    building: bool
    last_error: str | None


class ImportResult(BaseModel):
    ok: bool
    entries: int
    problems: list[str]
    written: bool  # false for a dry run or a refused file
    # what the import does to an existing area (its file is replaced whole): entry ids
    added: list[str] = []
    removed: list[str] = []
    changed: list[str] = []
    needs_confirmation: bool = False  # entries would be removed or changed: the import needs confirm=true


# ---------------------------------------------------------------------------------------------- unanswered
class UnansweredGroup(BaseModel):
    group: int
    text: str  # the group's first question
    count: int
    last_seen: str
    kinds: dict[str, int]  # fallback / suggest / unhelpful -> how many
    ids: list[int]
    samples: list[str]


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[int] = Field(min_length=1, max_length=1000)
    action: Literal["add_example", "add_similar", "create_entry", "dismiss"]
    text: str | None = Field(default=None, max_length=500)
    intent: str | None = None
    entry_id: str | None = None
    entry: EntryIn | None = None


class Resolved(BaseModel):
    resolved: int


# ---------------------------------------------------------------------------------------------- test console
class IntentScore(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str | None = None
    confidence: float | None = None


class EntityOut(BaseModel):
    entity: str | None = None
    value: Any = None  # normalised values may be numbers or dates (两千块 -> 2000)
    start: int | None = None
    end: int | None = None


class KbCandidate(BaseModel):
    entry_id: str
    question: str
    score: float


class KbProbe(BaseModel):
    decision: Literal["answer", "suggest", "fallback"]
    candidates: list[KbCandidate]


class ReplyButton(BaseModel):
    title: str
    payload: str


class ReplyMessage(BaseModel):
    text: str
    buttons: list[ReplyButton] = []


class ArbitrationVerdict(BaseModel):
    """``kb.arbitration`` as the action server sends it when the bot/KB arbitration ran and the KB won, or the bot
    asked about a weak intent instead of answering it (``clarify``: 您是不是想问 with the intent's question)."""

    intent: str | None = None
    intent_confidence: float | None = None
    kb_confidence: float | None = None  # the KB's calibrated probability (None without a re-ranker)
    winner: Literal["kb", "intent", "clarify"]
    # why the policy consulted the KB (bot/kb_arbitration_policy.py; None from an older action server)
    reason: Literal["weak_intent", "weak_form_intent", "weak_compliance", "kb_exact_match", "novel_terms",
                    "weak_support", "weak_complaint"] | None = None
    novel_terms: list[str] = []  # words of the message its intent was never trained on
    # how much wording the message shares with its intent's nearest training example (0-1; bot/novel_terms.py)
    intent_support: float | None = None


Tone = Literal["answer", "suggest", "fallback"]


class ConsoleReply(BaseModel):
    """What a customer sending the sentence would get from the bot in service, and why (in Chinese)."""

    messages: list[ReplyMessage]
    # who answered: the KB after the arbitration, the KB fallback, the intent's own handling, a handoff
    source: Literal["kb_arbitration", "kb_fallback", "intent", "handoff", "unavailable"]
    why: list[str]  # one Chinese sentence per reason, for the trainer
    intent: str | None = None
    intent_confidence: float | None = None
    kb_action: Literal["answer", "suggest", "fallback"] | None = None  # the KB decision the bot acted on
    kb_entry: str | None = None  # the entry answered (or the best candidate)
    kb_confidence: float | None = None
    arbitration: ArbitrationVerdict | None = None
    handoff_reason: str | None = None
    # the one-line label the console shows above the bubbles (api/workbench/console_reply.headline) and its tone
    headline: str = ""
    tone: Tone = "fallback"


class ConsoleResult(BaseModel):
    text: str  # masked
    tokens: list[str]  # jieba, with the project's user dictionaries
    intent: IntentScore | None
    intent_ranking: list[IntentScore]
    entities: list[EntityOut]
    nlu_error: str | None = None  # set when Rasa could not be asked
    kb: KbProbe
    reply: ConsoleReply  # through the real bot, on a throwaway conversation erased afterwards


# ---------------------------------------------------------------------------------------------- train and deploy
class EvalMetrics(BaseModel):
    model_config = ConfigDict(extra="allow")
    accuracy: float | None = None
    macro_f1: float | None = None
    confused: list[list[Any]] = []  # [gold, predicted, count], most frequent first


class JobOut(BaseModel):
    id: str
    kind: Literal["train", "deploy"]
    status: Literal["running", "succeeded", "failed", "refused"]
    started_at: str
    finished_at: str | None
    model: str | None
    metrics: EvalMetrics | None
    baseline: dict[str, Any] | None  # the model in service when the job started: name, accuracy, macro_f1
    message: str


class JobLog(BaseModel):
    lines: list[str]
    next: int  # pass as ?after= to get only newer lines
    status: str


class ModelOut(BaseModel):
    name: str
    created_at: str | None
    accuracy: float | None
    macro_f1: float | None
    active: bool
