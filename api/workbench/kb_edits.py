"""The trainer's edits of the knowledge base, each audited with its diff: create, update, retire, add a similar
question, import a spreadsheet. Every saved edit rebuilds the index in the background (``KbFiles``); the bot and
the bridge hot-swap the new version."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from api.compliance.audit import record
from api.compliance.paths import hide_paths
from api.errors import Conflict, Refused, ServiceError
from api.schemas.trainer import EntryIn, ImportResult, KbEntryOut, KbStatus
from api.workbench.input_checks import all_text_problems
from api.workbench.kb_files import KbFiles, keep_mode, retired
from api.workbench.kb_lint import new_conflicts
from common.pii import mask_pii
from kb_index.entry import KbEntry, KbSourceError, entry_from_mapping, entry_to_mapping
from kb_index.importer import KbImportError, import_file, write_source
from kb_index.service import KbService
from kb_index.sources import load_file, load_folder

IMPORT_SUFFIXES = (".csv", ".tsv", ".xlsx")
IMPORT_MAX_BYTES = 10 * 1024 * 1024


def entry_out(area: str, entry: KbEntry) -> KbEntryOut:
    return KbEntryOut(id=entry.id, area=area, category=entry.category, question=entry.question,
                      similar=list(entry.similar), answer=entry.answer, tags=list(entry.tags),
                      valid_from=entry.valid_from.isoformat() if entry.valid_from else None,
                      valid_until=entry.valid_until.isoformat() if entry.valid_until else None,
                      updated_at=entry.updated_at, updated_by=entry.updated_by, retired=retired(entry))


def entry_problems(entry: KbEntry, where: str = "") -> list[str]:
    """Control characters and line separators anywhere, and line breaks in the one-line fields (questions,
    category, tags): the KB file must stay loadable and one question must stay one question."""
    fields = [(f"{where}问题", entry.question, False), (f"{where}分类", entry.category, False),
              (f"{where}答案", entry.answer, True)]
    fields += [(f"{where}相似问题「{q[:20]}」", q, False) for q in entry.similar]
    fields += [(f"{where}标签「{t[:20]}」", t, False) for t in entry.tags]
    return all_text_problems(fields)


_CONTENT = ("question", "similar", "answer", "category", "tags", "buttons", "links", "channels", "valid_from",
            "valid_until")  # what an import changes; not who edited it when


def _content(entry: KbEntry) -> dict[str, object]:
    mapping = entry_to_mapping(entry)
    return {key: mapping.get(key) for key in _CONTENT}


def entry_from_request(body: EntryIn, entry_id: str | None = None) -> KbEntry:
    """The entry a request describes; without an id (and none in the body) one is made from the area and
    the time."""
    data = body.model_dump(exclude={"area", "id"}, exclude_none=True)
    data["id"] = entry_id or body.id or f"{body.area}-{dt.datetime.now().strftime('%Y%m%d%H%M%S%f')[:-3]}"
    for key in ("valid_from", "valid_until"):
        if key in data:
            data[key] = data[key].isoformat()
    try:
        entry = entry_from_mapping(data, "request")
    except KbSourceError as exc:
        raise Refused(f"知识条目无效：{exc}") from exc
    problems = entry_problems(entry)
    if problems:
        raise Refused(problems[0], problems=problems)
    return entry


class KbEdits:
    def __init__(self, files: KbFiles, sessions: sessionmaker) -> None:
        self.files = files
        self.sessions = sessions

    # ------------------------------------------------------------------ reading
    def search(self, q: str, include_retired: bool) -> list[KbEntryOut]:
        return [entry_out(a, e) for a, e in self.files.search(q, include_retired)]

    def get(self, entry_id: str) -> KbEntryOut:
        return entry_out(*self.files.find(entry_id))

    def status(self, kb: KbService | None) -> KbStatus:
        """The index just built here, else the one in service."""
        manifest = self.files.last_manifest or (kb.current_manifest() if kb else None)
        return KbStatus(version=manifest.version if manifest else None,
                        entries=manifest.entries if manifest else None,
                        questions=manifest.questions if manifest else None,
                        building=self.files.building, last_error=self.files.last_error)

    # ------------------------------------------------------------------ edits
    def served(self) -> list[KbEntry]:
        """The entries customers can get (retired ones left out), for the KB lint."""
        return [e for e in load_folder(self.files.faq_dir) if not retired(e)]

    def save(self, actor: str, entry: KbEntry, area: str, new: bool, action: str) -> KbEntryOut:
        """Writes the entry; the answer carries the KB lint findings the edit created (warned, not refused)."""
        before = self.served()
        diff = self.files.save(entry, area, actor, new)
        record(self.sessions, actor, action, entry.id, diff=diff)
        saved = self.get(entry.id)
        saved.warnings = new_conflicts(before, self.served(), entry.id)
        return saved

    def create(self, actor: str, body: EntryIn) -> KbEntryOut:
        return self.save(actor, entry_from_request(body), body.area, True, "kb_create")

    def update(self, actor: str, entry_id: str, body: EntryIn) -> KbEntryOut:
        return self.save(actor, entry_from_request(body, entry_id), body.area, False, "kb_update")

    def retire(self, actor: str, entry_id: str) -> KbEntryOut:
        """valid_until = yesterday: the entry is no longer served, and stays in the file for the record."""
        area, entry = self.files.find(entry_id)
        yesterday = dt.date.today() - dt.timedelta(days=1)
        return self.save(actor, dataclasses.replace(entry, valid_until=yesterday), area, False, "kb_retire")

    def add_similar(self, actor: str, entry_id: str, question: str) -> KbEntryOut:
        area, entry = self.files.find(entry_id)
        problems = all_text_problems([("相似问题", question, False)])
        if problems:
            raise Refused(problems[0], problems=problems)
        question = mask_pii(question.strip())
        if question in entry.questions:
            raise Refused(f"「{question}」已是条目 {entry_id} 的问题")
        updated = dataclasses.replace(entry, similar=(*entry.similar, question))
        return self.save(actor, updated, area, False, "kb_add_similar")

    def import_file(self, actor: str, filename: str, content: bytes, area: str, dry_run: bool,
                    confirm: bool = False) -> ImportResult:
        """Entries from a CSV/TSV/XLSX file into ``<area>.yml``; a dry run reports the problems (row errors, ids
        another file uses) and what the import would do to an existing area (entries removed, added, changed),
        and writes nothing. An import that would remove or change entries of an existing area is refused (409)
        unless ``confirm``: the whole area is replaced by the file. The new file is written beside the old one,
        the whole KB loaded with it, and only then renamed into place, keeping the old file's mode."""
        name = Path(filename or "upload.csv").name
        if Path(name).suffix.lower() not in IMPORT_SUFFIXES:
            raise Refused(f"{name}：请上传 .csv、.tsv 或 .xlsx 文件")
        if len(content) > IMPORT_MAX_BYTES:
            raise ServiceError(f"{name}：文件超过 10 MB", status=413)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(content)
            try:
                entries = import_file(path)
            except KbImportError as exc:
                return ImportResult(ok=False, entries=0, problems=[p.replace(str(path), name) for p in exc.problems],
                                    written=False)
            except KbSourceError as exc:
                return ImportResult(ok=False, entries=0, problems=[str(exc).replace(str(path), name)], written=False)
        target = self.files.faq_dir / f"{area}.yml"
        others = [e.id for a, e in self.files.entries() if a != area]
        problems = [p for n, e in enumerate(entries, start=1) for p in entry_problems(e, f"{name} 第 {n} 条的")]
        previous = {e.id: e for e in load_file(target)} if target.exists() else {}
        new_ids = {e.id for e in entries}
        diff = {"added": [e.id for e in entries if e.id not in previous],
                "removed": [i for i in previous if i not in new_ids],
                "changed": [e.id for e in entries if e.id in previous and _content(e) != _content(previous[e.id])]}
        needs_confirmation = bool(diff["removed"] or diff["changed"])
        problems += [f"{name}: id '{i}' is already used by another KB file" for i in sorted(set(others) & new_ids)]
        if dry_run or problems:
            return ImportResult(ok=not problems, entries=len(entries), written=False, problems=problems,
                                needs_confirmation=needs_confirmation, added=diff["added"],
                                removed=diff["removed"], changed=diff["changed"])
        if needs_confirmation and not confirm:
            raise Conflict(f"导入将整体替换 {target.name}：删除 {len(diff['removed'])} 条、"
                           f"修改 {len(diff['changed'])} 条、新增 {len(diff['added'])} 条。"
                           "请先预览（dry_run=true）核对差异，确认后以 confirm=true 导入")
        self._replace(entries, target, area, others)
        self.files.rebuild()
        record(self.sessions, actor, "kb_import", area, removed=diff["removed"], changed=diff["changed"],
               added=diff["added"], diff=f"{len(entries)} entries from {name} into {target.name}: "
                                         f"{len(diff['removed'])} removed, {len(diff['changed'])} changed, "
                                         f"{len(diff['added'])} added")
        return ImportResult(ok=True, entries=len(entries), problems=[], written=True, added=diff["added"],
                            removed=diff["removed"], changed=diff["changed"])

    def _replace(self, entries: list[KbEntry], target: Path, area: str, others: list[str]) -> None:
        """Write the area's new file beside the old one, load the whole KB with it, then rename it into place."""
        candidate = target.with_name(f".{target.name}.import")  # not *.yml: no loader reads it by accident
        try:
            write_source(entries, candidate, area, existing_ids=others)
            keep_mode(candidate, target)
            load_folder(self.files.faq_dir, replaced=(target, candidate))
            os.replace(candidate, target)
        except KbImportError as exc:
            raise Refused(hide_paths(exc.problems[0]), problems=[hide_paths(p) for p in exc.problems]) from exc
        except KbSourceError as exc:
            raise Refused(f"导入后的知识库无法加载，未写入：{hide_paths(str(exc))}") from exc
        finally:
            candidate.unlink(missing_ok=True)
