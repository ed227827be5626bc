"""Trainer workbench API, knowledge base and unanswered questions (role trainer): search and edit entries,
import a spreadsheet, the index status; review unanswered questions and teach the bot from them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import KbDep, KbEditsDep, NluFilesDep, TrainerUser, UnansweredDep
from api.routes.approvals import HELD, GateDep, held
from api.schemas.trainer import (
    EntryIn,
    ImportResult,
    KbEntryOut,
    KbLintOut,
    KbStatus,
    LintKind,
    Resolved,
    ResolveIn,
    SimilarIn,
    UnansweredGroup,
)
from api.workbench.kb_lint import lint
from kb_index.lint import read_intent_examples

router = APIRouter(prefix="/api/v1/trainer", tags=["trainer"])


@router.get("/kb")
async def kb_list(user: TrainerUser, kb: KbEditsDep, q: Annotated[str, Query(max_length=200)] = "",
                  include_retired: bool = False) -> list[KbEntryOut]:
    """Search by text (at most 200, recently edited first)."""
    return kb.search(q, include_retired)


@router.get("/kb-status")
async def kb_status(user: TrainerUser, kb: KbEditsDep, service: KbDep) -> KbStatus:
    return kb.status(service)


@router.get("/kb-lint")
async def kb_lint(user: TrainerUser, kb: KbEditsDep, nlu: NluFilesDep,
                  kind: Annotated[list[LintKind] | None, Query()] = None) -> KbLintOut:
    """Near-identical questions across entries in service (different answers: ``conflict``; the same:
    ``duplicate``) and intent examples near-identical to a KB question, most similar first; what
    ``python -m kb_index lint`` prints. ``kind`` (repeatable) lists only those kinds; ``counts`` counts all."""
    return await run_in_threadpool(lint, kb.served(), read_intent_examples(nlu.nlu_dir), kind)


@router.get("/kb/{entry_id}")
async def kb_get(entry_id: str, user: TrainerUser, kb: KbEditsDep) -> KbEntryOut:
    return kb.get(entry_id)


# With maker-checker on (Settings.maker_checker_on) these four answer 202 with the pending change instead: the
# edit reaches customers once a second person approves it (api/workbench/approvals.py).
@router.post("/kb", status_code=201, response_model=KbEntryOut, responses=HELD)
async def kb_create(body: EntryIn, user: TrainerUser, kb: KbEditsDep, gate: GateDep) -> KbEntryOut | JSONResponse:
    if gate is not None:
        return held(gate.hold_kb(user, "kb_create", None, body))
    return kb.create(user.username, body)


@router.put("/kb/{entry_id}", response_model=KbEntryOut, responses=HELD)
async def kb_update(entry_id: str, body: EntryIn, user: TrainerUser, kb: KbEditsDep, gate: GateDep
                    ) -> KbEntryOut | JSONResponse:
    if gate is not None:
        return held(gate.hold_kb(user, "kb_update", entry_id, body))
    return kb.update(user.username, entry_id, body)


@router.post("/kb/{entry_id}/retire", response_model=KbEntryOut, responses=HELD)
async def kb_retire(entry_id: str, user: TrainerUser, kb: KbEditsDep, gate: GateDep) -> KbEntryOut | JSONResponse:
    """valid_until = yesterday: no longer served."""
    if gate is not None:
        return held(gate.hold_kb(user, "kb_retire", entry_id))
    return kb.retire(user.username, entry_id)


@router.post("/kb/{entry_id}/similar", response_model=KbEntryOut, responses=HELD)
async def kb_add_similar(entry_id: str, body: SimilarIn, user: TrainerUser, kb: KbEditsDep, gate: GateDep
                         ) -> KbEntryOut | JSONResponse:
    if gate is not None:
        return held(gate.hold_kb(user, "kb_add_similar", entry_id, question=body.question))
    return kb.add_similar(user.username, entry_id, body.question)


@router.post("/kb/import", response_model=ImportResult, responses=HELD)
async def kb_import(file: UploadFile, user: TrainerUser, kb: KbEditsDep, gate: GateDep, dry_run: bool = True,
                    area: Annotated[str, Query(pattern=r"^[a-z][a-z0-9_]{1,40}$")] = "imported",
                    confirm: bool = False) -> ImportResult | JSONResponse:
    """A CSV, TSV or XLSX file (multipart ``file``) into ``kb_index/faq/<area>.yml``; ``dry_run`` previews it,
    with what it does to an existing area (entries added, removed, changed). Replacing entries of an existing
    area needs ``confirm=true`` (409 otherwise). With maker-checker on, an import that would be written is held
    (202) until a second person approves it."""
    name, content = file.filename or "upload.csv", await file.read()
    if gate is not None and not dry_run:
        found = gate.hold_import(user, name, content, area, confirm)
        return found if isinstance(found, ImportResult) else held(found)
    return kb.import_file(user.username, name, content, area, dry_run, confirm)


@router.get("/unanswered")
async def unanswered(user: TrainerUser, review: UnansweredDep) -> list[UnansweredGroup]:
    """Grouped by similarity, most frequent first."""
    return review.groups()


@router.post("/unanswered/resolve")
async def resolve(body: ResolveIn, user: TrainerUser, review: UnansweredDep) -> Resolved:
    return review.resolve(user.username, body)
