"""Trainer workbench API (role trainer): NLU data, knowledge base, unanswered questions, test console,
train / evaluate / deploy / rollback, audit trail. Contract: docs/trainer_api.md."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Annotated, Any, Callable, Literal

import httpx
from fastapi import APIRouter, Depends, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.audit import audit
from api.db import AuditEntry, User, iso
from api.deps import ChatDep, staff
from api.kb_files import KbEditError, KbFiles, retired
from api.nlu_files import NluEditError, NluFiles
from api.training import Trainer
from api.unanswered_groups import Question, group_questions
from common.pii import mask_pii
from kb_index.entry import KbEntry, KbSourceError, entry_from_mapping
from kb_index.importer import KbImportError, import_file, write_source

router = APIRouter(prefix="/api/v1/trainer", tags=["trainer"])
TrainerUser = Annotated[User, Depends(staff("trainer"))]


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


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(default=None, max_length=64, pattern=r"^[\w.-]+$")
    area: str = "trainer"
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


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[int] = Field(min_length=1, max_length=1000)
    action: Literal["add_example", "add_similar", "create_entry", "dismiss"]
    text: str | None = Field(default=None, max_length=500)
    intent: str | None = None
    entry_id: str | None = None
    entry: EntryIn | None = None


def _nlu(request: Request) -> NluFiles:
    files: NluFiles = request.app.state.nlu_files
    return files


def _kb(request: Request) -> KbFiles:
    files: KbFiles = request.app.state.kb_files
    return files


def _trainer(request: Request) -> Trainer:
    trainer: Trainer = request.app.state.trainer
    return trainer


def _problems(exc: NluEditError) -> JSONResponse:
    return JSONResponse({"detail": exc.problems[0] if len(exc.problems) == 1 else f"{len(exc.problems)} problems",
                         "problems": exc.problems}, status_code=422)


def _record(service: ChatDep, actor: str, action: str, target: str | None, diff: str = "", **detail: Any) -> None:
    with service.sessions() as db, db.begin():
        audit(db, actor, action, target, diff=diff, **detail)


def _edit(service: ChatDep, user: User, action: str, target: str, edit: Callable[[], str],
          missing: str = "", **detail: Any) -> JSONResponse | None:
    """Run one NLU file edit and audit its diff; a 422 response listing the problems when it is refused
    (a KeyError from the edit is a 404 with ``missing``)."""
    try:
        diff = edit()
    except KeyError as exc:
        raise HTTPException(404, missing or f"no intent named {target}") from exc
    except NluEditError as exc:
        return _problems(exc)
    _record(service, user.username, action, target, diff, **detail)
    return None


# ---------------------------------------------------------------------------------------------- intents
@router.get("/intents")
async def intents(user: TrainerUser, request: Request) -> list[dict]:
    return _nlu(request).intents()


@router.get("/intents/{name}")
async def intent(name: str, user: TrainerUser, request: Request) -> dict:
    try:
        return _nlu(request).intent(name)
    except KeyError as exc:
        raise HTTPException(404, f"no intent named {name}") from exc


@router.post("/intents", status_code=201, response_model=None)
async def create_intent(body: NewIntent, user: TrainerUser, request: Request, service: ChatDep) -> Any:
    refused = _edit(service, user, "create_intent", body.name,
                    lambda: _nlu(request).create_intent(body.name, body.examples, body.response))
    return refused or _nlu(request).intent(body.name)


@router.delete("/intents/{name}", response_model=None)
async def delete_intent(name: str, user: TrainerUser, request: Request, service: ChatDep) -> Any:
    refused = _edit(service, user, "delete_intent", name, lambda: _nlu(request).delete_intent(name))
    return refused or {"deleted": name}


@router.post("/intents/{name}/examples", status_code=201, response_model=None)
async def add_example(name: str, body: TextIn, user: TrainerUser, request: Request, service: ChatDep) -> Any:
    refused = _edit(service, user, "add_example", name, lambda: _nlu(request).add_example(name, body.text))
    return refused or _nlu(request).intent(name)


@router.delete("/intents/{name}/examples", response_model=None)
async def delete_example(name: str, body: TextIn, user: TrainerUser, request: Request, service: ChatDep) -> Any:
    refused = _edit(service, user, "delete_example", name, lambda: _nlu(request).delete_example(name, body.text),
                    missing=f"intent {name} has no example '{body.text}'")
    return refused or _nlu(request).intent(name)


@router.put("/intents/{name}/response", response_model=None)
async def set_response(name: str, body: TextIn, user: TrainerUser, request: Request, service: ChatDep) -> Any:
    refused = _edit(service, user, "set_response", name, lambda: _nlu(request).set_response(name, body.text),
                    missing=f"intent {name} has no utter_{name} response")
    return refused or _nlu(request).intent(name)


@router.get("/synonyms")
async def synonyms(user: TrainerUser, request: Request) -> list[dict]:
    return _nlu(request).synonyms()


@router.post("/synonyms", response_model=None)
async def add_synonym(body: SynonymIn, user: TrainerUser, request: Request, service: ChatDep) -> Any:
    refused = _edit(service, user, "add_synonym", body.value,
                    lambda: _nlu(request).add_synonym(body.value, body.synonym))
    return refused or next(s for s in _nlu(request).synonyms() if s["value"] == body.value)


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=2, max_length=49)
    entry: str = Field(min_length=1, max_length=50)


@router.get("/lookups")
async def lookups(user: TrainerUser, request: Request) -> list[dict]:
    return _nlu(request).lookups()


@router.post("/lookups", response_model=None)
async def add_lookup(body: LookupIn, user: TrainerUser, request: Request, service: ChatDep) -> Any:
    refused = _edit(service, user, "add_lookup", body.name, lambda: _nlu(request).add_lookup(body.name, body.entry))
    return refused or next(x for x in _nlu(request).lookups() if x["name"] == body.name)


# ---------------------------------------------------------------------------------------------- knowledge base
def entry_out(area: str, entry: KbEntry) -> dict[str, Any]:
    return {"id": entry.id, "area": area, "category": entry.category, "question": entry.question,
            "similar": list(entry.similar), "answer": entry.answer, "tags": list(entry.tags),
            "valid_from": entry.valid_from.isoformat() if entry.valid_from else None,
            "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
            "updated_at": entry.updated_at, "updated_by": entry.updated_by, "retired": retired(entry)}


def _entry(body: EntryIn, entry_id: str) -> KbEntry:
    data = body.model_dump(exclude={"area", "id"}, exclude_none=True)
    data["id"] = entry_id
    for key in ("valid_from", "valid_until"):
        if key in data:
            data[key] = data[key].isoformat()
    try:
        return entry_from_mapping(data, "request")
    except KbSourceError as exc:
        raise HTTPException(422, str(exc)) from exc


def _save_entry(request: Request, service: ChatDep, user: User, entry: KbEntry, area: str, new: bool,
                action: str) -> dict[str, Any]:
    try:
        diff = _kb(request).save(entry, area, user.username, new)
    except KeyError as exc:
        raise HTTPException(404, f"no KB entry {entry.id}") from exc
    except KbEditError as exc:
        raise HTTPException(422, str(exc)) from exc
    _record(service, user.username, action, entry.id, diff)
    return entry_out(*_kb(request).find(entry.id))


@router.get("/kb")
async def kb_list(user: TrainerUser, request: Request, q: Annotated[str, Query(max_length=200)] = "",
                  include_retired: bool = False) -> list[dict]:
    return [entry_out(a, e) for a, e in _kb(request).search(q, include_retired)]


@router.get("/kb-status")
async def kb_status(user: TrainerUser, request: Request) -> dict:
    files = _kb(request)
    kb = request.app.state.kb()
    manifest = files.last_manifest or (kb.current_manifest() if kb else None)
    return {"version": manifest.version if manifest else None, "entries": manifest.entries if manifest else None,
            "questions": manifest.questions if manifest else None, "building": files.building,
            "last_error": files.last_error}


@router.get("/kb/{entry_id}")
async def kb_get(entry_id: str, user: TrainerUser, request: Request) -> dict:
    try:
        return entry_out(*_kb(request).find(entry_id))
    except KeyError as exc:
        raise HTTPException(404, f"no KB entry {entry_id}") from exc


@router.post("/kb", status_code=201)
async def kb_create(body: EntryIn, user: TrainerUser, request: Request, service: ChatDep) -> dict:
    entry_id = body.id or f"{body.area}-{dt.datetime.now().strftime('%Y%m%d%H%M%S%f')[:-3]}"
    return _save_entry(request, service, user, _entry(body, entry_id), body.area, True, "kb_create")


@router.put("/kb/{entry_id}")
async def kb_update(entry_id: str, body: EntryIn, user: TrainerUser, request: Request, service: ChatDep) -> dict:
    return _save_entry(request, service, user, _entry(body, entry_id), body.area, False, "kb_update")


@router.post("/kb/{entry_id}/retire")
async def kb_retire(entry_id: str, user: TrainerUser, request: Request, service: ChatDep) -> dict:
    try:
        area, entry = _kb(request).find(entry_id)
    except KeyError as exc:
        raise HTTPException(404, f"no KB entry {entry_id}") from exc
    yesterday = dt.date.today() - dt.timedelta(days=1)
    return _save_entry(request, service, user, dataclasses.replace(entry, valid_until=yesterday), area, False,
                       "kb_retire")


@router.post("/kb/{entry_id}/similar")
async def kb_add_similar(entry_id: str, body: SimilarIn, user: TrainerUser, request: Request,
                         service: ChatDep) -> dict:
    return _add_similar(request, service, user, entry_id, body.question)


def _add_similar(request: Request, service: ChatDep, user: User, entry_id: str, question: str) -> dict[str, Any]:
    try:
        area, entry = _kb(request).find(entry_id)
    except KeyError as exc:
        raise HTTPException(404, f"no KB entry {entry_id}") from exc
    question = mask_pii(question.strip())
    if question in entry.questions:
        raise HTTPException(422, f"'{question}' is already a question of {entry_id}")
    updated = dataclasses.replace(entry, similar=(*entry.similar, question))
    return _save_entry(request, service, user, updated, area, False, "kb_add_similar")


@router.post("/kb/import")
async def kb_import(file: UploadFile, user: TrainerUser, request: Request, service: ChatDep,
                    dry_run: bool = True, area: Annotated[str, Query(pattern=r"^[a-z][a-z0-9_]{1,40}$")] = "imported"
                    ) -> dict:
    name = Path(file.filename or "upload.csv").name
    if Path(name).suffix.lower() not in (".csv", ".tsv", ".xlsx"):
        raise HTTPException(422, f"{name}: expected a .csv, .tsv or .xlsx file")
    content = await file.read()
    if len(content) > 10 * 1024 * 1024:
        raise HTTPException(413, f"{name}: larger than 10 MB")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            entries = import_file(path)
        except KbImportError as exc:
            return {"ok": False, "entries": 0, "problems": [p.replace(str(path), name) for p in exc.problems],
                    "written": False}
        except KbSourceError as exc:
            return {"ok": False, "entries": 0, "problems": [str(exc).replace(str(path), name)], "written": False}
    files = _kb(request)
    target = files.faq_dir / f"{area}.yml"
    others = [e.id for a, e in files.entries() if a != area]
    if dry_run:
        clash = sorted(set(others) & {e.id for e in entries})
        return {"ok": not clash, "entries": len(entries), "written": False,
                "problems": [f"{name}: id '{i}' is already used by another KB file" for i in clash]}
    try:
        write_source(entries, target, area, existing_ids=others)
    except KbImportError as exc:
        return {"ok": False, "entries": len(entries), "problems": exc.problems, "written": False}
    files.rebuild()
    _record(service, user.username, "kb_import", area, f"{len(entries)} entries from {name} into {target.name}")
    return {"ok": True, "entries": len(entries), "problems": [], "written": True}


# ---------------------------------------------------------------------------------------------- unanswered
def _store(request: Request) -> Any:
    from kb_index.settings import KbSettings
    from kb_index.unanswered import UnansweredStore

    store = getattr(request.app.state, "unanswered", None)
    if store is None:
        store = request.app.state.unanswered = UnansweredStore(KbSettings().unanswered_path)
    return store


@router.get("/unanswered")
async def unanswered(user: TrainerUser, request: Request) -> list[dict]:
    rows = _store(request).recent("open", limit=5000)
    groups = group_questions([Question(r.id, r.text, r.kind, r.created_at) for r in rows])
    return [{"group": i + 1, "text": g.text, "count": g.count, "last_seen": g.last_seen, "kinds": g.kinds,
             "ids": g.ids, "samples": g.samples} for i, g in enumerate(groups)]


@router.post("/unanswered/resolve", response_model=None)
async def resolve(body: ResolveIn, user: TrainerUser, request: Request, service: ChatDep) -> Any:
    store = _store(request)
    rows = {r.id: r for r in store.recent("open", limit=5000)}
    missing = [i for i in body.ids if i not in rows]
    if missing:
        raise HTTPException(404, f"no open unanswered questions with ids {missing[:10]}")
    text = body.text or rows[min(body.ids)].text  # the group's first question
    if body.action == "add_example":
        if not body.intent:
            raise HTTPException(422, "add_example needs an intent")
        intent = body.intent
        refused = _edit(service, user, "add_example", intent, lambda: _nlu(request).add_example(intent, text),
                        source="unanswered")
        if refused:
            return refused
    elif body.action == "add_similar":
        if not body.entry_id:
            raise HTTPException(422, "add_similar needs an entry_id")
        _add_similar(request, service, user, body.entry_id, text)
    elif body.action == "create_entry":
        if body.entry is None:
            raise HTTPException(422, "create_entry needs an entry")
        entry_id = body.entry.id or f"{body.entry.area}-{dt.datetime.now().strftime('%Y%m%d%H%M%S%f')[:-3]}"
        _save_entry(request, service, user, _entry(body.entry, entry_id), body.entry.area, True, "kb_create")
    status = "dismissed" if body.action == "dismiss" else "resolved"
    store.set_status(body.ids, status)
    _record(service, user.username, f"unanswered_{body.action}", None, ids=body.ids[:50])
    return {"resolved": len(body.ids)}


# ---------------------------------------------------------------------------------------------- test console
@router.post("/test")
async def test_console(body: TextIn, user: TrainerUser, request: Request) -> dict:
    text = mask_pii(body.text)
    settings = request.app.state.settings
    result: dict[str, Any] = {"text": text, "tokens": [w for w, _, _ in _nlu(request).tokenize(text)],
                              "intent": None, "intent_ranking": [], "entities": []}
    try:
        async with httpx.AsyncClient(timeout=settings.rasa_timeout_s) as client:
            parsed = (await client.post(f"{settings.rasa_url}/model/parse", json={"text": text})).json()
        result["intent"] = parsed.get("intent")
        result["intent_ranking"] = parsed.get("intent_ranking", [])[:10]
        result["entities"] = [{k: e.get(k) for k in ("entity", "value", "start", "end")}
                              for e in parsed.get("entities", [])]
    except (httpx.HTTPError, ValueError) as exc:
        result["nlu_error"] = f"Rasa unavailable: {exc.__class__.__name__}"
    kb = request.app.state.kb()
    if kb is not None:
        found = kb.lookup(text, k=5)
        result["kb"] = {"decision": found.decision.action.value,
                        "candidates": [{"entry_id": h.entry.id, "question": h.entry.question,
                                        "score": round(h.score, 4)} for h in found.hits]}
    else:
        result["kb"] = {"decision": "fallback", "candidates": []}
    return result


# ---------------------------------------------------------------------------------------------- train / deploy
def _job_or_409(start: Any) -> dict:
    try:
        return dict(start().public())
    except RuntimeError as exc:
        raise HTTPException(409, str(exc)) from exc


@router.post("/train", status_code=202)
async def train(user: TrainerUser, request: Request) -> dict:
    return _job_or_409(lambda: _trainer(request).train(user.username))


@router.get("/jobs/{job_id}")
async def job(job_id: str, user: TrainerUser, request: Request) -> dict:
    found = _trainer(request).jobs.get(job_id)
    if found is None:
        raise HTTPException(404, f"no job {job_id}")
    return found.public()


@router.get("/jobs/{job_id}/log")
async def job_log(job_id: str, user: TrainerUser, request: Request,
                  after: Annotated[int, Query(ge=0)] = 0) -> dict:
    found = _trainer(request).jobs.get(job_id)
    if found is None:
        raise HTTPException(404, f"no job {job_id}")
    lines = found.log[after:]
    return {"lines": lines, "next": after + len(lines), "status": found.status}


@router.get("/models")
async def models(user: TrainerUser, request: Request) -> list[dict]:
    return _trainer(request).models()


@router.post("/models/{name}/deploy", status_code=202)
async def deploy(name: str, user: TrainerUser, request: Request) -> dict:
    try:
        return _job_or_409(lambda: _trainer(request).deploy(name, user.username))
    except KeyError as exc:
        raise HTTPException(404, f"no model {name}") from exc


@router.get("/audit")
async def trainer_audit(user: TrainerUser, service: ChatDep,
                        limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict]:
    with service.sessions() as db:
        rows = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all()
        return [{"id": a.id, "at": iso(a.at), "actor": a.actor, "action": a.action, "target": a.target,
                 "detail": json.loads(a.detail_json) if a.detail_json else None} for a in rows]
