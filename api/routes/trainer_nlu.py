"""Trainer workbench API, NLU data (role trainer): intents and their examples and responses, synonyms, lookup
tables. Edits are validated, written back keeping comments and order, and audited with their diff."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import NluEditsDep, TrainerUser
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


@router.put("/intents/{name}/response")
async def set_response(name: str, body: TextIn, user: TrainerUser, nlu: NluEditsDep) -> IntentDetail:
    return nlu.set_response(user.username, name, body.text)


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
