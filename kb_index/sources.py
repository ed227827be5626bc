"""Read the KB source files (``kb_index/faq/*.yml``, one per business area) into validated entries, and the
labelled query files the KB is measured on (``query<TAB>gold_id``, one question a line)."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from kb_index.entry import KbEntry, KbSourceError, entry_from_mapping


def load_file(path: Path) -> list[KbEntry]:
    """Entries of one YAML source file; a :class:`KbSourceError` names the file and the entry number."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise KbSourceError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise KbSourceError(f"{path}: expected a mapping with an 'entries' list")
    entries = []
    for number, item in enumerate(data["entries"], start=1):
        if not isinstance(item, dict):
            raise KbSourceError(f"{path}: entry {number}: expected a mapping")
        entries.append(entry_from_mapping(item, f"{path}: entry {number}"))
    return entries


def load_folder(folder: Path, replaced: tuple[Path, Path] | None = None) -> list[KbEntry]:
    """All entries of every ``*.yml`` file in ``folder``; ids must be unique across files.

    ``replaced=(path, candidate)`` reads ``candidate`` in place of ``path`` (which may not exist yet): how an
    edit is validated against the whole KB before it is renamed into place."""
    entries: list[KbEntry] = []
    seen: dict[str, Path] = {}
    paths = set(folder.glob("*.yml")) | ({replaced[0]} if replaced else set())
    for path in sorted(paths):
        source = replaced[1] if replaced and path == replaced[0] else path
        for entry in load_file(source):
            if entry.id in seen:
                raise KbSourceError(f"{path}: duplicate id '{entry.id}' (also in {seen[entry.id]})")
            seen[entry.id] = path
            entries.append(entry)
    return entries


def read_queries(path: Path) -> list[tuple[str, str]]:
    """(query, gold id) rows; a bad row raises an error naming the file and row."""
    try:
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines(), delimiter="\t",
                               quoting=csv.QUOTE_NONE))
    except (OSError, UnicodeDecodeError) as exc:
        raise KbSourceError(f"{path}: cannot read: {exc}") from exc
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["query", "gold_id"]:
        raise KbSourceError(f"{path}: row 1: expected the header query<TAB>gold_id")
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise KbSourceError(f"{path}: row {number}: expected query<TAB>gold_id")
        out.append((row[0].strip(), row[1].strip()))
    return out


def read_lines(path: Path) -> list[str]:
    try:
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise KbSourceError(f"{path}: cannot read: {exc}") from exc
