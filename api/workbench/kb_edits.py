"""The trainer's edits of the knowledge base, each audited with its diff: create, update, retire, add a similar
question, import a spreadsheet. Every saved edit rebuilds the index in the background (``KbFiles``); the bot and
the bridge hot-swap the new version."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from api.compliance.audit import record
from api.errors import Refused, ServiceError
from api.schemas.trainer import EntryIn, ImportResult, KbEntryOut, KbStatus
from api.workbench.kb_files import KbFiles, retired
from common.pii import mask_pii
from kb_index.entry import KbEntry, KbSourceError, entry_from_mapping
from kb_index.importer import KbImportError, import_file, write_source
from kb_index.service import KbService

IMPORT_SUFFIXES = (".csv", ".tsv", ".xlsx")
IMPORT_MAX_BYTES = 10 * 1024 * 1024


def entry_out(area: str, entry: KbEntry) -> KbEntryOut:
    return KbEntryOut(id=entry.id, area=area, category=entry.category, question=entry.question,
                      similar=list(entry.similar), answer=entry.answer, tags=list(entry.tags),
                      valid_from=entry.valid_from.isoformat() if entry.valid_from else None,
                      valid_until=entry.valid_until.isoformat() if entry.valid_until else None,
                      updated_at=entry.updated_at, updated_by=entry.updated_by, retired=retired(entry))


def entry_from_request(body: EntryIn, entry_id: str | None = None) -> KbEntry:
    """The entry a request describes; without an id (and none in the body) one is made from the area and
    the time."""
    data = body.model_dump(exclude={"area", "id"}, exclude_none=True)
    data["id"] = entry_id or body.id or f"{body.area}-{dt.datetime.now().strftime('%Y%m%d%H%M%S%f')[:-3]}"
    for key in ("valid_from", "valid_until"):
        if key in data:
            data[key] = data[key].isoformat()
    try:
        return entry_from_mapping(data, "request")
    except KbSourceError as exc:
        raise Refused(str(exc)) from exc


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
    def save(self, actor: str, entry: KbEntry, area: str, new: bool, action: str) -> KbEntryOut:
        diff = self.files.save(entry, area, actor, new)
        record(self.sessions, actor, action, entry.id, diff=diff)
        return self.get(entry.id)

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
        question = mask_pii(question.strip())
        if question in entry.questions:
            raise Refused(f"'{question}' is already a question of {entry_id}")
        updated = dataclasses.replace(entry, similar=(*entry.similar, question))
        return self.save(actor, updated, area, False, "kb_add_similar")

    def import_file(self, actor: str, filename: str, content: bytes, area: str, dry_run: bool) -> ImportResult:
        """Entries from a CSV/TSV/XLSX file into ``<area>.yml``; a dry run reports the problems (row errors, ids
        another file uses) and writes nothing."""
        name = Path(filename or "upload.csv").name
        if Path(name).suffix.lower() not in IMPORT_SUFFIXES:
            raise Refused(f"{name}: expected a .csv, .tsv or .xlsx file")
        if len(content) > IMPORT_MAX_BYTES:
            raise ServiceError(f"{name}: larger than 10 MB", status=413)
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
        if dry_run:
            clash = sorted(set(others) & {e.id for e in entries})
            return ImportResult(ok=not clash, entries=len(entries), written=False,
                                problems=[f"{name}: id '{i}' is already used by another KB file" for i in clash])
        try:
            write_source(entries, target, area, existing_ids=others)
        except KbImportError as exc:
            return ImportResult(ok=False, entries=len(entries), problems=exc.problems, written=False)
        self.files.rebuild()
        record(self.sessions, actor, "kb_import", area, diff=f"{len(entries)} entries from {name} into {target.name}")
        return ImportResult(ok=True, entries=len(entries), problems=[], written=True)
