"""Import KB entries from CSV, TSV or XLSX, all or nothing.

Two layouts, told apart by the header:
* one row per entry: ``id, question, answer`` plus optional ``category, similar`` (questions separated by
  ``|``), ``tags, channels, valid_from, valid_until``; a repeated id is an error;
* one row per question (the layout of exported bank KBs, e.g. ``id<TAB>question<TAB>answer``): rows sharing
  an id are the similar questions of one entry and must carry the same answer.
Every bad row is reported with its file and row number (the header is row 1); if there is any, nothing is
written. :func:`write_source` then replaces or creates the area's YAML file atomically.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

import yaml

from kb_index.entry import NO_ANSWER, KbEntry, KbSourceError, entry_from_mapping, entry_to_mapping

REQUIRED_COLUMNS = ("id", "question", "answer")


class KbImportError(KbSourceError):
    """All the bad rows of an import, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a .csv / .tsv / .txt (tab-separated) / .xlsx file as dicts keyed by the lower-cased header."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx_rows(path)
    if suffix not in (".csv", ".tsv", ".txt"):
        raise KbSourceError(f"{path}: unsupported file type '{suffix}' (use .csv, .tsv or .xlsx)")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise KbSourceError(f"{path}: cannot read as UTF-8: {exc}") from exc
    delimiter = "," if suffix == ".csv" else "\t"
    if suffix == ".csv":
        reader = csv.reader(io.StringIO(text), delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
    else:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter, quoting=csv.QUOTE_NONE)
    return _dicts(path, list(reader))


def _xlsx_rows(path: Path) -> list[dict[str, Any]]:
    try:
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        rows = [["" if c is None else c for c in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise KbSourceError(f"{path}: cannot read the workbook: {exc}") from exc
    return _dicts(path, rows)


def _dicts(path: Path, rows: list[list[Any]]) -> list[dict[str, Any]]:
    if not rows:
        raise KbSourceError(f"{path}: empty file")
    header = [str(h).strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise KbSourceError(f"{path}: row 1: missing column(s) {', '.join(missing)}")
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(str(c).strip() for c in row):
            continue
        values = {h: (row[i] if i < len(row) else "") for i, h in enumerate(header)}
        values["_row"] = number
        out.append(values)
    return out


def _clean(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value




def entries_from_rows(path: Path, rows: Iterable[dict[str, Any]], today: dt.date | None = None,
                      require_answer: bool = True) -> list[KbEntry]:
    """Validate every row; raise :class:`KbImportError` listing all bad rows, or return the entries.

    ``require_answer=False`` is for retrieval evaluation sets whose rows carry no answers (BQ clusters)."""
    rows = list(rows)
    per_question = rows and "similar" not in rows[0]
    problems: list[str] = []
    entries: dict[str, KbEntry] = {}
    stamp = (today or dt.date.today()).isoformat()
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        where = f"{path}: row {row['_row']}"
        entry_id = str(_clean(row.get("id")) or "")
        if not entry_id:
            problems.append(f"{where}: missing id")
            continue
        if not str(_clean(row.get("question")) or ""):
            problems.append(f"{where}: entry '{entry_id}' has an empty question")
            continue
        if not require_answer and not str(_clean(row.get("answer")) or ""):
            row["answer"] = NO_ANSWER
        if not str(_clean(row.get("answer")) or ""):
            problems.append(f"{where}: entry '{entry_id}' has no answer")
            continue
        if not per_question and entry_id in grouped:
            problems.append(f"{where}: duplicate id '{entry_id}' (first at row {grouped[entry_id][0]['_row']})")
            continue
        if per_question and entry_id in grouped and _clean(grouped[entry_id][0]["answer"]) != _clean(row["answer"]):
            first = grouped[entry_id][0]["_row"]
            problems.append(f"{where}: duplicate id '{entry_id}' with a different answer than row {first}")
            continue
        grouped.setdefault(entry_id, []).append(row)
    for entry_id, group in grouped.items():
        first = group[0]
        data = {k: _clean(v) for k, v in first.items() if k != "_row"}
        if per_question:
            data["similar"] = [str(_clean(r["question"])) for r in group[1:]]
        data.setdefault("updated_at", stamp)
        data["updated_at"] = data["updated_at"] or stamp
        try:
            entries[entry_id] = entry_from_mapping(data, f"{path}: row {first['_row']}")
        except KbSourceError as exc:
            problems.append(str(exc))
    if problems:
        raise KbImportError(problems)
    return list(entries.values())


def import_file(path: Path, today: dt.date | None = None, require_answer: bool = True) -> list[KbEntry]:
    """Read and validate an import file; all or nothing."""
    return entries_from_rows(path, read_rows(path), today, require_answer)


def write_source(entries: list[KbEntry], target: Path, area: str, existing_ids: Iterable[str] = ()) -> None:
    """Write ``entries`` as the YAML source ``target`` atomically, refusing ids already used by other files."""
    clash = sorted(set(existing_ids) & {e.id for e in entries})
    if clash:
        raise KbImportError([f"{target}: id '{i}' is already used by another KB file" for i in clash])
    document = {"area": area, "entries": [entry_to_mapping(e) for e in entries]}
    text = f"# 知识库：{area} (imported)\n" + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, target)
