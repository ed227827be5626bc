"""Maker-checker (一人经办一人复核) for what the bot says: while ``Settings.maker_checker_on``, a trainer's change to a
KB answer (create, update, retire, a new similar question, a spreadsheet import), to a bot response
(api/workbench/response_changes.py), to the institution facts (api/workbench/institution.py) and a model deploy
or rollback are held as pending changes with their diff; a second person with the checker role (reviewer or supervisor)
approves or rejects it with a comment, and approval applies it exactly as the trainer's direct edit would (the
KB file written and the index rebuilt and hot-swapped; the model deployed). The maker never approves their own
change, whatever role they hold by then. Everything is audited.

A change is checked against the entry it was made on: if the entry changed in between (another approved
change, an edit by hand), approving it fails (nothing written) and the maker must start again from the
current entry. Requests are validated when submitted, so a pending change is one that would have been saved."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import logging
from typing import Any, Callable

import yaml
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from api.compliance.audit import audit
from api.compliance.paths import hide_paths
from api.errors import Conflict, NotFound, Refused, ServiceError
from api.schemas.approvals import PendingChangeOut
from api.schemas.institution import InstitutionIn
from api.schemas.trainer import EntryIn, ImportResult
from api.store.models import PendingChange, User, iso, utcnow
from api.workbench.input_checks import all_text_problems
from api.workbench.institution import InstitutionFacts, facts_diff
from api.workbench.institution import fingerprint as institution_fingerprint
from api.workbench.kb_edits import KbEdits, entry_from_request
from api.workbench.nlu_edits import NluEdits
from api.workbench.response_changes import apply_response, response_change
from api.workbench.training import Trainer
from common.pii import mask_pii
from kb_index.entry import KbEntry, entry_to_mapping

log = logging.getLogger(__name__)
CONTENT = ("question", "similar", "answer", "category", "tags", "buttons", "links", "channels", "valid_from",
           "valid_until")


class SelfApproval(ServiceError):
    status = 403


def _content(entry: KbEntry | None) -> dict[str, Any]:
    if entry is None:
        return {}
    mapping = entry_to_mapping(entry)
    return {k: mapping[k] for k in CONTENT if mapping.get(k) not in (None, [], "")}


def fingerprint(entry: KbEntry | None) -> str:
    """What an entry says (not who stamped it when): a change applies only to the entry it was made on."""
    return hashlib.sha256(json.dumps(_content(entry), ensure_ascii=False, sort_keys=True,
                                     default=str).encode()).hexdigest()[:16]


def entry_diff(entry_id: str, before: KbEntry | None, after: KbEntry | None) -> str:
    """A unified diff of the entry's fields as YAML (pure)."""
    def lines(entry: KbEntry | None) -> list[str]:
        return yaml.safe_dump(_content(entry), allow_unicode=True, sort_keys=False).splitlines() if entry else []
    return "\n".join(difflib.unified_diff(lines(before), lines(after), f"{entry_id} (现在)", f"{entry_id} (变更后)",
                                          lineterm="", n=2))


class Approvals:
    def __init__(self, sessions: sessionmaker, kb: Callable[[], KbEdits], trainer: Callable[[], Trainer],
                 nlu: Callable[[], NluEdits] | None = None) -> None:
        self.sessions = sessions
        self.kb = kb
        self.trainer = trainer
        self.nlu = nlu

    def _nlu(self) -> NluEdits:
        if self.nlu is None:
            raise ServiceError("NLU 文件不可用", status=503)
        return self.nlu()

    # ------------------------------------------------------------------ the maker
    def hold_kb(self, maker: User, kind: str, entry_id: str | None, body: EntryIn | None = None,
                question: str | None = None) -> PendingChangeOut:
        """Validate a KB change as the direct edit would and hold it (``kb_create`` / ``kb_update`` with
        ``body``, ``kb_retire``, ``kb_add_similar`` with ``question``)."""
        files = self.kb().files
        before: KbEntry | None = None
        if kind == "kb_create":
            assert body is not None
            after = entry_from_request(body)
            if any(e.id == after.id for _, e in files.entries()):
                raise Refused(f"id '{after.id}' already exists")
            payload: dict[str, Any] = {"body": body.model_copy(update={"id": after.id}).model_dump(mode="json")}
        else:
            assert entry_id is not None
            area, before = files.find(entry_id)
            if kind == "kb_update":
                assert body is not None
                after = entry_from_request(body, entry_id)
                payload = {"body": body.model_dump(mode="json")}
            elif kind == "kb_retire":
                after = dataclasses.replace(before, valid_until=dt.date.today() - dt.timedelta(days=1))
                payload = {}
            else:
                problems = all_text_problems([("相似问题", question or "", False)])
                if problems:
                    raise Refused(problems[0], problems=problems)
                question = mask_pii((question or "").strip())
                if question in before.questions:
                    raise Refused(f"'{question}' is already a question of {entry_id}")
                after = dataclasses.replace(before, similar=(*before.similar, question))
                payload = {"question": question}
        payload["base"] = fingerprint(before)
        return self._hold(maker, kind, after.id, payload, entry_diff(after.id, before, after))

    def hold_import(self, maker: User, filename: str, content: bytes, area: str, confirm: bool
                    ) -> ImportResult | PendingChangeOut:
        """A KB import: previewed as the direct import would be (a file with problems is answered with them,
        nothing held; replacing entries needs ``confirm`` as there), then held with what it adds, changes and
        removes; applied only if the area's file is still the one it was previewed against."""
        kb = self.kb()
        preview = kb.import_file(maker.username, filename, content, area, dry_run=True, confirm=confirm)
        if not preview.ok:
            return preview
        if preview.needs_confirmation and not confirm:
            raise Conflict(f"导入将整体替换 {area}.yml：删除 {len(preview.removed)} 条、"
                           f"修改 {len(preview.changed)} 条、新增 {len(preview.added)} 条。"
                           "请先预览核对差异，确认后以 confirm=true 导入")
        diff = "\n".join([f"导入 {filename} → {area}.yml：{preview.entries} 条（新增 {len(preview.added)}、"
                          f"修改 {len(preview.changed)}、删除 {len(preview.removed)}）",
                          *(f"+ {i}" for i in preview.added), *(f"~ {i}" for i in preview.changed),
                          *(f"- {i}" for i in preview.removed)])
        payload = {"filename": filename, "content": base64.b64encode(content).decode(), "area": area,
                   "confirm": confirm, "base": self._area_fingerprint(area)}
        return self._hold(maker, "kb_import", area, payload, diff)

    def _area_fingerprint(self, area: str) -> str:
        path = self.kb().files.faq_dir / f"{area}.yml"
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else ""

    def hold_response(self, maker: User, intent: str, text: str) -> PendingChangeOut:
        """A bot response (``utter_<intent>``), validated as the direct edit would be."""
        payload, diff = response_change(self._nlu().files, intent, text)
        return self._hold(maker, "response", intent, payload, diff)

    def hold_institution(self, maker: User, body: InstitutionIn) -> PendingChangeOut:
        """The institution facts, checked as the direct edit would be; applied only to the facts they were
        made on."""
        facts = InstitutionFacts(self._nlu().files, self.sessions)
        before, after = facts.check(body)
        payload = {"facts": body.model_dump(), "base": institution_fingerprint(before)}
        return self._hold(maker, "institution", "domain.yml", payload, facts_diff(before, after))

    def hold_deploy(self, maker: User, name: str) -> PendingChangeOut:
        models = self.trainer().registry()["models"]
        if not any(m["name"] == name for m in models):
            raise NotFound(f"no model {name}")
        active = self.trainer().registry().get("active")
        kind = "rollback" if name != models[-1]["name"] else "deploy"
        diff = f"模型 {active or '（无）'} → {name}（{'回滚' if kind == 'rollback' else '上线'}）"
        return self._hold(maker, "deploy", name, {"previous": active}, diff)

    def _hold(self, maker: User, kind: str, target: str, payload: dict[str, Any], diff: str) -> PendingChangeOut:
        with self.sessions() as db, db.begin():
            change = PendingChange(kind=kind, target=target[:80], payload_json=json.dumps(payload, ensure_ascii=False),
                                   diff=diff, maker_id=maker.id, status="pending", created_at=utcnow())
            db.add(change)
            db.flush()
            audit(db, maker.username, "change_submitted", f"{kind}:{target}"[:80], change=change.id, diff=diff)
            return self._out(db, change)

    # ------------------------------------------------------------------ the checker
    def list(self, status: str | None) -> list[PendingChangeOut]:
        with self.sessions() as db:
            query = select(PendingChange).order_by(PendingChange.id.desc()).limit(200)
            if status:
                query = query.where(PendingChange.status == status)
            return [self._out(db, c) for c in db.scalars(query)]

    def reject(self, checker: User, change_id: int, comment: str) -> PendingChangeOut:
        with self.sessions() as db, db.begin():
            change = self._pending(db, checker, change_id)
            change.status, change.checker_id, change.decided_at = "rejected", checker.id, utcnow()
            change.comment = mask_pii(comment.strip()) or None
            audit(db, checker.username, "change_rejected", f"{change.kind}:{change.target}"[:80], change=change.id)
            return self._out(db, change)

    def approve(self, checker: User, change_id: int, comment: str) -> PendingChangeOut:
        """Apply the change as its maker (the KB file names the maker as the editor); a change that no longer
        applies is marked failed with the reason, and nothing is written."""
        with self.sessions() as db, db.begin():
            change = self._pending(db, checker, change_id)
            maker = db.get(User, change.maker_id)
            kind, target, payload = change.kind, change.target, json.loads(change.payload_json)
            change.status = "approving"  # another checker's click meanwhile finds it no longer pending
        failure: str | None = None
        try:
            self._apply(maker.username if maker else "trainer", kind, target, payload)
        except ServiceError as exc:
            failure = exc.detail
        except Exception as exc:  # noqa: BLE001 - a KB file broken by hand, a disk error: the change fails, named
            log.exception("applying change %s failed", change_id)
            failure = hide_paths(str(exc)) or exc.__class__.__name__
        with self.sessions() as db, db.begin():
            change = db.get(PendingChange, change_id)
            assert change is not None
            change.status = "failed" if failure else "approved"
            change.checker_id, change.decided_at = checker.id, utcnow()
            change.comment = (f"未能生效：{failure}" if failure else mask_pii(comment.strip())) or None
            audit(db, checker.username, "change_failed" if failure else "change_approved",
                  f"{kind}:{target}"[:80], change=change.id, maker=maker.username if maker else None)
            return self._out(db, change)

    def _apply(self, maker: str, kind: str, target: str, payload: dict[str, Any]) -> None:
        if kind == "deploy":
            self.trainer().deploy(target, maker)
            return
        if kind == "response":
            apply_response(self._nlu(), maker, target, payload)
            return
        if kind == "institution":
            facts = InstitutionFacts(self._nlu().files, self.sessions)
            before = facts.current()
            if institution_fingerprint(before) != payload["base"]:
                raise Conflict("机构信息在提交后已被修改，请按当前内容重新提交")
            _, after = facts.check(InstitutionIn.model_validate(payload["facts"]))
            facts.write(maker, after, facts_diff(before, after))
            return
        kb = self.kb()
        if kind == "kb_import":
            if self._area_fingerprint(target) != payload["base"]:
                raise Conflict(f"{target}.yml 在提交后已被修改，请重新预览并提交导入")
            result = kb.import_file(maker, payload["filename"], base64.b64decode(payload["content"]), target,
                                    dry_run=False, confirm=payload["confirm"])
            if not result.written:
                raise Refused("；".join(result.problems) or "导入未写入")
            return
        if kind != "kb_create":
            _, current = kb.files.find(target)
            if fingerprint(current) != payload["base"]:
                raise Conflict(f"条目 {target} 在提交后已被修改，请按当前内容重新提交")
        if kind == "kb_create":
            kb.create(maker, EntryIn.model_validate(payload["body"]))
        elif kind == "kb_update":
            kb.update(maker, target, EntryIn.model_validate(payload["body"]))
        elif kind == "kb_retire":
            kb.retire(maker, target)
        else:
            kb.add_similar(maker, target, payload["question"])

    @staticmethod
    def _pending(db: Any, checker: User, change_id: int) -> PendingChange:
        change = db.get(PendingChange, change_id)
        if change is None:
            raise NotFound(f"没有编号为 {change_id} 的待复核变更")
        if change.maker_id == checker.id:
            raise SelfApproval("不能复核自己提交的变更（一人经办，另一人复核）")
        if change.status != "pending":
            raise Conflict("该变更已处理")
        return change

    @staticmethod
    def _out(db: Any, change: PendingChange) -> PendingChangeOut:
        maker = db.get(User, change.maker_id)
        checker = db.get(User, change.checker_id) if change.checker_id else None
        return PendingChangeOut.model_validate({
            "id": change.id, "kind": change.kind, "target": change.target, "diff": change.diff,
            "maker": maker.username if maker else "?", "status": change.status,
            "checker": checker.username if checker else None, "comment": change.comment,
            "created_at": iso(change.created_at) or "", "decided_at": iso(change.decided_at)})
