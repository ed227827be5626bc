"""Trainer workbench API, the model (role trainer): the test console, train / evaluate / deploy / roll back
jobs, and the audit trail of every workbench action."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.compliance.audit import workbench_entries
from api.deps import KbDep, NluFilesDep, RasaDep, SessionDep, TrainerDep, TrainerUser, UnansweredDep
from api.errors import NotFound
from api.routes.approvals import HELD, GateDep, held
from api.schemas.staff import AuditEntryOut
from api.schemas.trainer import ConsoleResult, JobLog, JobOut, ModelOut, TextIn
from api.workbench.console import probe
from api.workbench.training import Job, Trainer

router = APIRouter(prefix="/api/v1/trainer", tags=["trainer"])


def _job(trainer: Trainer, job_id: str) -> Job:
    found = trainer.jobs.get(job_id)
    if found is None:
        raise NotFound(f"任务 {job_id} 不存在")
    return found


@router.post("/test")
async def test_console(body: TextIn, user: TrainerUser, nlu: NluFilesDep, rasa: RasaDep, kb: KbDep,
                       review: UnansweredDep) -> ConsoleResult:
    """The NLU and KB verdicts, and the reply a customer would get (through the bot in service, on a throwaway
    conversation erased afterwards) with why."""
    return await probe(body.text, nlu, rasa, kb, review.forget)


@router.post("/train", status_code=202)
async def train(user: TrainerUser, trainer: TrainerDep, gate: GateDep) -> JobOut:
    """One job at a time (409 while one runs); poll the job and its log. With maker-checker on the model is
    only trained and evaluated: deploying it is a change a second person approves."""
    return JobOut.model_validate(trainer.train(user.username, deploy=gate is None).public())


@router.get("/jobs/{job_id}")
async def job(job_id: str, user: TrainerUser, trainer: TrainerDep) -> JobOut:
    return JobOut.model_validate(_job(trainer, job_id).public())


@router.get("/jobs/{job_id}/log")
async def job_log(job_id: str, user: TrainerUser, trainer: TrainerDep,
                  after: Annotated[int, Query(ge=0)] = 0) -> JobLog:
    found = _job(trainer, job_id)
    lines = found.log[after:]
    return JobLog(lines=lines, next=after + len(lines), status=found.status)


@router.get("/models")
async def models(user: TrainerUser, trainer: TrainerDep) -> list[ModelOut]:
    """Newest first."""
    return [ModelOut.model_validate(m) for m in trainer.models()]


@router.post("/models/{name}/deploy", status_code=202, response_model=JobOut, responses=HELD)
async def deploy(name: str, user: TrainerUser, trainer: TrainerDep, gate: GateDep) -> JobOut | JSONResponse:
    """Deploying an older model is a rollback. With maker-checker on: the pending change (202 too), deployed
    once a second person approves it."""
    if gate is not None:
        return held(gate.hold_deploy(user, name))
    return JobOut.model_validate(trainer.deploy(name, user.username).public())


@router.get("/audit")
async def trainer_audit(user: TrainerUser, sessions: SessionDep,
                        limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AuditEntryOut]:
    """The workbench's own entries only (edits, imports, training, deploys): not logins, deletion requests or
    compliance flags, which are the supervisors'."""
    return workbench_entries(sessions, limit)
