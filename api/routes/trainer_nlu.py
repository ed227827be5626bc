"""Trainer workbench API, NLU data (role trainer): intents and their examples and responses, synonyms, lookup
tables, the institution facts. Edits are validated, written back keeping comments and order, and audited with
their diff. With maker-checker on (Settings.maker_checker_on) a response or institution-facts change answers 202
with the pending change instead: it is written once a second person approves it (api/workbench/approvals.py)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import NluEditsDep, SessionDep, TrainerUser
from api.routes.approvals import HELD, GateDep, held
from api.schemas.institution import InstitutionIn, InstitutionOut
from api.schemas.trainer import (
    Deleted,
    IntentDetail,
    IntentSummary,
    LookupIn,
    LookupOut,
    NewIntent,
    SynonymIn,
    SynonymOut,
    TextIn,
)
from api.workbench.institution import InstitutionFacts

router = APIRouter(prefix="/api/v1/trainer", tags=["trainer"])


@router.get("/intents")
async def intents(user: TrainerUser, nlu: NluEditsDep) -> list[IntentSummary]:
    """Sorted by name."""
    return nlu.intents()


@router.get("/intents/{name}")
async def intent(name: str, user: TrainerUser, nlu: NluEditsDep) -> IntentDetail:
    return nlu.intent(name)


@router.post("/intents", status_code=201)
async def create_intent(body: NewIntent, user: TrainerUser, nlu: NluEditsDep) -> IntentDetail:
    """Adds the intent, its ``utter_<name>`` response and an answer rule."""
    return nlu.create_intent(user.username, body.name, body.examples, body.response)


@router.delete("/intents/{name}")
async def delete_intent(name: str, user: TrainerUser, nlu: NluEditsDep) -> Deleted:
    """Only intents created in the workbench."""
    return nlu.delete_intent(user.username, name)


@router.post("/intents/{name}/examples", status_code=201)
async def add_example(name: str, body: TextIn, user: TrainerUser, nlu: NluEditsDep) -> IntentDetail:
    return nlu.add_example(user.username, name, body.text)


@router.delete("/intents/{name}/examples")
async def delete_example(name: str, body: TextIn, user: TrainerUser, nlu: NluEditsDep) -> IntentDetail:
    return nlu.delete_example(user.username, name, body.text)


@router.put("/intents/{name}/response", response_model=IntentDetail, responses=HELD)
async def set_response(name: str, body: TextIn, user: TrainerUser, nlu: NluEditsDep,
                       gate: GateDep) -> IntentDetail | JSONResponse:
    """The text of ``utter_<name>``; customers get it with the next deployed model."""
    if gate is not None:
        return held(gate.hold_response(user, name, body.text))
    return nlu.set_response(user.username, name, body.text)


@router.get("/institution")
async def institution(user: TrainerUser, nlu: NluEditsDep, sessions: SessionDep) -> InstitutionOut:
    """The institution facts (the slots' initial values in domain.yml), with any placeholder still left."""
    return InstitutionFacts(nlu.files, sessions).read()


@router.put("/institution", response_model=InstitutionOut, responses=HELD)
async def set_institution(body: InstitutionIn, user: TrainerUser, nlu: NluEditsDep, sessions: SessionDep,
                          gate: GateDep) -> InstitutionOut | JSONResponse:
    """All five facts; refused (422, every problem) with a placeholder, a brace or a hotline that is no service
    number. The bot says them with the next deployed model."""
    if gate is not None:
        return held(gate.hold_institution(user, body))
    return InstitutionFacts(nlu.files, sessions).save(user.username, body)


@router.get("/synonyms")
async def synonyms(user: TrainerUser, nlu: NluEditsDep) -> list[SynonymOut]:
    return nlu.synonyms()


@router.post("/synonyms")
async def add_synonym(body: SynonymIn, user: TrainerUser, nlu: NluEditsDep) -> SynonymOut:
    """Returns the synonym list of ``value``."""
    return nlu.add_synonym(user.username, body.value, body.synonym)


@router.get("/lookups")
async def lookups(user: TrainerUser, nlu: NluEditsDep) -> list[LookupOut]:
    return nlu.lookups()


@router.post("/lookups")
async def add_lookup(body: LookupIn, user: TrainerUser, nlu: NluEditsDep) -> LookupOut:
    """Returns the lookup table."""
    return nlu.add_lookup(user.username, body.name, body.entry)
