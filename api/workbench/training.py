"""Train, evaluate and deploy Rasa models from the workbench, one job at a time, in the background.

A train job runs ``rasa train`` (the Python 3.10 venv) into ``<data>/models/candidates/``, evaluates the new
model on the held-out NLU file with ``python -m bot.evaluate`` and compares it with the model in service;
if accuracy drops by more than the configured margin the job is *refused* and nothing changes. Otherwise the
model is hot-swapped into the running Rasa server with ``PUT /model`` (conversations keep going). The last N
models are kept with their metrics in ``registry.json``; deploying an older one is a rollback.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import subprocess
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from api.errors import Conflict, NotFound
from api.rasa_client import RasaClient

log = logging.getLogger(__name__)


_KIND_NAMES = {"train": "训练", "deploy": "部署"}


class JobRunning(Conflict, RuntimeError):
    """One job at a time: another is still running."""


@dataclass
class Job:
    id: str
    kind: str  # train | deploy
    status: str = "running"  # running | succeeded | failed | refused
    started_at: str = field(default_factory=lambda: dt.datetime.now().isoformat(timespec="seconds"))
    finished_at: str | None = None
    model: str | None = None
    metrics: dict[str, Any] | None = None
    baseline: dict[str, Any] | None = None
    message: str = ""
    log: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("log")
        return data


@dataclass(frozen=True)
class TrainingPaths:
    project: Path  # holds config.yml, domain.yml, nlu_data/
    models: Path  # <data>/models
    rasa_venv: Path  # .venvs/rasa
    heldout: Path
    oos: Path


class Trainer:
    def __init__(self, paths: TrainingPaths, rasa: RasaClient, max_accuracy_drop: float, keep: int = 5,
                 on_event: Callable[[str, str, dict[str, Any]], None] | None = None) -> None:
        self.paths, self.rasa = paths, rasa
        self.max_drop, self.keep = max_accuracy_drop, keep
        self.on_event = on_event or (lambda action, target, detail: None)
        self.jobs: dict[str, Job] = {}
        self._running: Job | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ registry
    @property
    def registry_path(self) -> Path:
        return self.paths.models / "registry.json"

    def registry(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.registry_path.read_text(encoding="utf-8"))
            return data
        except (OSError, ValueError):
            base = self.paths.models / "bot.tar.gz"
            if not base.exists():
                return {"active": None, "models": []}
            return {"active": "bot", "models": [{"name": "bot", "path": str(base), **self._untracked_facts(base)}]}

    def _untracked_facts(self, model: Path) -> dict[str, Any]:
        """What is known of a model trained outside the workbench (``make train``): when the file was written
        and, if the held-out evaluation of ``make test`` ran after it, that evaluation's scores."""
        written = dt.datetime.fromtimestamp(model.stat().st_mtime)
        facts: dict[str, Any] = {"created_at": written.isoformat(timespec="seconds"), "accuracy": None,
                                 "macro_f1": None}
        report = self.paths.models.parent / "reports" / "nlu_heldout.json"
        try:
            if report.stat().st_mtime >= model.stat().st_mtime:
                scores = json.loads(report.read_text(encoding="utf-8"))
                facts.update(accuracy=scores.get("accuracy"), macro_f1=scores.get("macro_f1"))
        except (OSError, ValueError):
            pass
        return facts

    def _save_registry(self, data: dict[str, Any]) -> None:
        self.paths.models.mkdir(parents=True, exist_ok=True)
        tmp = self.registry_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.registry_path)

    def models(self) -> list[dict[str, Any]]:
        data = self.registry()
        return [{**{k: m.get(k) for k in ("name", "created_at", "accuracy", "macro_f1")},
                 "active": m["name"] == data.get("active")} for m in reversed(data["models"])]

    # ------------------------------------------------------------------ jobs
    def _start(self, kind: str, work: Callable[[Job], None]) -> Job:
        with self._lock:
            if self._running is not None and self._running.status == "running":
                raise JobRunning(f"{_KIND_NAMES.get(self._running.kind, self._running.kind)}任务 {self._running.id} "
                                 "仍在运行，请等它结束后再试")
            job = Job(id=secrets.token_hex(6), kind=kind)
            self.jobs[job.id] = job
            self._running = job

        def run() -> None:
            try:
                work(job)
            except Exception as exc:  # noqa: BLE001 - the job reports it
                log.exception("%s job failed", kind)
                job.status, job.message = "failed", f"{exc.__class__.__name__}: {exc}"
            finally:
                job.finished_at = dt.datetime.now().isoformat(timespec="seconds")
                job.log.append(f"== {job.status}: {job.message}")

        threading.Thread(target=run, name=f"{kind}-{job.id}", daemon=True).start()
        return job

    def _run(self, job: Job, args: list[str]) -> str:
        """Run a command, streaming its output into the job log; returns the output; raises on failure."""
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
               "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
        job.log.append("$ " + " ".join(args))
        proc = subprocess.Popen(args, cwd=self.paths.project, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        lines = []
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            job.log.append(line.rstrip("\n")[:500])
        if proc.wait() != 0:
            raise RuntimeError(f"{args[0]} exited with {proc.returncode}")
        return "\n".join(lines)

    def _evaluate(self, job: Job, model: Path) -> dict[str, Any]:
        # The report goes to a file: Rasa's warnings share the process's output and may end without a newline.
        with tempfile.TemporaryDirectory(prefix="evaluate-") as tmp:
            report = Path(tmp) / "report.json"
            self._run(job, [str(self.paths.rasa_venv / "bin" / "python"), "-m", "bot.evaluate", "--out", str(report),
                            "--model", str(model), "--data", str(self.paths.heldout), "--oos", str(self.paths.oos)])
            result: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        return {"accuracy": result.get("accuracy"), "macro_f1": result.get("macro_f1"),
                "confused": result.get("confused", [])[:5]}

    def train(self, actor: str, deploy: bool = True) -> Job:
        """Train and evaluate a model, then deploy it unless it falls below the gate; with ``deploy=False``
        (maker-checker, api/workbench/approvals.py) it is only kept, for a deploy a second person approves."""
        def work(job: Job) -> None:
            name = "model-" + dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            out = self.paths.models / "candidates"
            out.mkdir(parents=True, exist_ok=True)
            p = self.paths.project
            self._run(job, [str(self.paths.rasa_venv / "bin" / "rasa"), "train", "--config", str(p / "config.yml"),
                            "--domain", str(p / "domain.yml"), "--data", str(p / "nlu_data"), "--out", str(out),
                            "--fixed-model-name", name, "--quiet"])
            model = out / f"{name}.tar.gz"
            job.model, job.metrics = name, self._evaluate(job, model)
            data = self.registry()
            active = next((m for m in data["models"] if m["name"] == data.get("active")), None)
            if active is not None and active.get("accuracy") is None and Path(active["path"]).exists():
                active.update({k: v for k, v in self._evaluate(job, Path(active["path"])).items() if k != "confused"})
            job.baseline = {k: active.get(k) for k in ("name", "accuracy", "macro_f1")} if active else None
            data["models"].append({"name": name, "path": str(model), "created_at": job.started_at,
                                   "accuracy": job.metrics["accuracy"], "macro_f1": job.metrics["macro_f1"]})
            self._save_registry(data)
            if active and active.get("accuracy") is not None and \
                    job.metrics["accuracy"] < active["accuracy"] - self.max_drop:
                job.status = "refused"
                job.message = (f"留出集准确率 {job.metrics['accuracy']:.3f} 比在用模型（{active['accuracy']:.3f}）"
                               f"低了超过 {self.max_drop:.3f}，未部署")
                self.on_event("deploy_refused", name, {"metrics": job.metrics, "baseline": job.baseline})
                return
            if not deploy:
                job.status, job.message = "succeeded", f"模型 {name} 已训练，部署需复核人批准"
                self.on_event("trained", name, {"by": actor, "metrics": job.metrics, "baseline": job.baseline})
                return
            self._deploy(job, name)
            self.on_event("train_and_deploy", name, {"by": actor, "metrics": job.metrics, "baseline": job.baseline})

        return self._start("train", work)

    def deploy(self, name: str, actor: str) -> Job:
        data = self.registry()
        if not any(m["name"] == name for m in data["models"]):
            raise NotFound(f"模型 {name} 不存在")

        def work(job: Job) -> None:
            previous = self.registry().get("active")
            self._deploy(job, name)
            self.on_event("rollback" if name != data["models"][-1]["name"] else "deploy", name,
                          {"by": actor, "previous": previous})

        return self._start("deploy", work)

    def _deploy(self, job: Job, name: str) -> None:
        data = self.registry()
        model = next(m for m in data["models"] if m["name"] == name)
        job.model = name
        job.log.append(f"PUT {self.rasa.base_url}/model {model['path']}")
        self.rasa.replace_model(Path(model["path"]))
        data["active"] = name
        self._prune(data)
        self._save_registry(data)
        job.status, job.message = "succeeded", f"模型 {name} 已上线"

    def _prune(self, data: dict[str, Any]) -> None:
        while len(data["models"]) > self.keep:
            old = next((m for m in data["models"] if m["name"] not in (data.get("active"), "bot")), None)
            if old is None:
                break
            data["models"].remove(old)
            Path(old["path"]).unlink(missing_ok=True)
