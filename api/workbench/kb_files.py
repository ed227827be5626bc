"""The trainer's edits of the knowledge base (``kb_index/faq/<area>.yml``), written back with ruamel in
round-trip mode (comments and order kept), followed by an index rebuild in the background. The bot's action
server and the bridge watch the index's ``current`` pointer and hot-swap the new version: no restart and no
Rasa retraining. Each source file stays valid: an edit is checked by loading the whole folder first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import io
import logging
import os
import re
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from api.compliance.paths import hide_paths
from api.errors import NotFound, Refused
from api.workbench.yaml_splice import splice_entry
from kb_index.encoders import Encoder
from kb_index.entry import KbEntry, KbSourceError, entry_from_mapping, entry_to_mapping
from kb_index.index import Manifest, build
from kb_index.settings import KbSettings
from kb_index.sources import load_folder

log = logging.getLogger(__name__)
_AREA = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class KbEditError(Refused):
    """An edit that would leave the KB sources invalid (422); nothing was written."""


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _literal(value: Any) -> Any:
    if isinstance(value, str) and "\n" in value:
        return LiteralScalarString(value if value.endswith("\n") else value + "\n")
    return value


class KbFiles:
    def __init__(self, settings: KbSettings, encoder: Callable[[], Encoder]) -> None:
        self.settings = settings
        self.faq_dir, self.kb_dir = settings.faq_dir, settings.kb_dir
        self._encoder = encoder
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._pending = threading.Event()
        self.building = False
        self.last_manifest: Manifest | None = None
        self.last_error: str | None = None

    # ------------------------------------------------------------------ reading
    def entries(self) -> list[tuple[str, KbEntry]]:
        """(area, entry) for every entry, in file order."""
        out = []
        for path in sorted(self.faq_dir.glob("*.yml")):
            data = _yaml().load(path.read_text(encoding="utf-8")) or {}
            for number, item in enumerate(data.get("entries") or [], start=1):
                out.append((path.stem, entry_from_mapping(dict(item), f"{path}: entry {number}")))
        return out

    def find(self, entry_id: str) -> tuple[str, KbEntry]:
        for area, entry in self.entries():
            if entry.id == entry_id:
                return area, entry
        raise NotFound(f"知识条目 {entry_id} 不存在")

    def search(self, query: str = "", include_retired: bool = False, limit: int = 200) -> list[tuple[str, KbEntry]]:
        today = dt.date.today()
        q = query.strip().lower()
        found = []
        for area, entry in self.entries():
            if not include_retired and retired(entry, today):
                continue
            haystack = " ".join((entry.id, entry.category, entry.answer, *entry.questions)).lower()
            if not q or q in haystack:
                found.append((area, entry))
        found.sort(key=lambda item: item[1].updated_at or "", reverse=True)  # recently edited first (stable)
        return found[:limit]

    # ------------------------------------------------------------------ writing
    def save(self, entry: KbEntry, area: str, actor: str, new: bool) -> str:
        """Add or replace ``entry`` in ``<area>.yml``; returns the diff. Refuses duplicate ids and broken files."""
        if not _AREA.match(area):
            raise KbEditError(f"来源名称「{area}」只能由小写字母、数字和下划线组成（它是文件名）")
        stamped = dataclasses.replace(entry, updated_at=dt.datetime.now().isoformat(timespec="seconds"),
                                      updated_by=actor)
        with self._lock:
            existing = {e.id: a for a, e in self.entries()}
            if new and stamped.id in existing:
                raise KbEditError(f"编号 {stamped.id} 已存在（在 {existing[stamped.id]}.yml 中）")
            if not new and stamped.id not in existing:
                raise NotFound(f"知识条目 {stamped.id} 不存在")
            if not new:
                area = existing[stamped.id]
            path = self.faq_dir / f"{area}.yml"
            original = path.read_text(encoding="utf-8") if path.exists() else f"area: {area}\nentries: []\n"
            data = _yaml().load(original)
            if data.get("entries") is None:
                data["entries"] = []
            mapping = {k: _literal(v) for k, v in entry_to_mapping(stamped).items()}
            items = data["entries"]
            index = next((i for i, item in enumerate(items) if str(item.get("id")) == stamped.id), None)
            if index is None:
                items.append(mapping)
                item = mapping
            else:
                item = items[index]
                for key in list(item):
                    if key not in mapping:
                        del item[key]
                for key, value in mapping.items():
                    if item.get(key) != value:  # an unchanged value keeps its node (a flow-style list stays one)
                        item[key] = value
            buffer = io.StringIO()
            _yaml().dump(data, buffer)
            text = _in_place(original, stamped.id, item, buffer.getvalue())
            fd, tmp = tempfile.mkstemp(dir=self.faq_dir, prefix=f".{path.name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            keep_mode(Path(tmp), path)
            try:
                load_folder(self.faq_dir, replaced=(path, Path(tmp)))  # the whole KB must still load
            except KbSourceError as exc:
                os.unlink(tmp)
                raise KbEditError(f"修改后的知识库无法加载，未写入：{hide_paths(str(exc))}") from exc
            os.replace(tmp, path)
        self.rebuild()
        return "\n".join(difflib.unified_diff(original.splitlines(), text.splitlines(), path.name, path.name,
                                              lineterm="", n=1))

    # ------------------------------------------------------------------ index
    def rebuild(self) -> None:
        """Rebuild the index in the background (edits during a build trigger one more build)."""
        self._pending.set()
        if self._build_lock.locked():
            return
        threading.Thread(target=self._build_loop, name="kb-rebuild", daemon=True).start()

    def _build_loop(self) -> None:
        with self._build_lock:
            while self._pending.is_set():
                self._pending.clear()
                self.building = True
                try:
                    self.last_manifest = build(load_folder(self.faq_dir), self._encoder(), self.kb_dir,
                                               self.settings.index_type, self.settings.answer_signal,
                                               self.settings.reranker_config)
                    self.last_error = None
                except Exception as exc:  # noqa: BLE001 - reported on the status endpoint, old index keeps serving
                    log.exception("KB rebuild failed")
                    self.last_error = hide_paths(f"{exc.__class__.__name__}: {exc}")  # shown to trainers
                finally:
                    self.building = False

    def wait_idle(self, timeout: float = 120) -> bool:
        deadline = dt.datetime.now() + dt.timedelta(seconds=timeout)
        while (self.building or self._pending.is_set() or self._build_lock.locked()) and dt.datetime.now() < deadline:
            threading.Event().wait(0.05)
        return not self.building


def keep_mode(candidate: Path, path: Path) -> None:
    """Give a file about to replace ``path`` the mode ``path`` has (a new one: its folder's, without execute):
    a temporary file is created 0600, and a workbench edit must not change who may read the KB."""
    mode = path.stat().st_mode if path.exists() else path.parent.stat().st_mode & 0o666
    os.chmod(candidate, stat.S_IMODE(mode))


def _in_place(original: str, entry_id: str, item: Any, dumped: str) -> str:
    """The file with only the edited entry rewritten (a one-line edit stays a one-line diff), when that reads
    back exactly as the whole file re-dumped; else the re-dumped file."""
    spliced = splice_entry(original, entry_id, item, _yaml)
    if spliced is None:
        return dumped
    spliced = spliced if spliced.endswith("\n") else spliced + "\n"
    safe = YAML(typ="safe")
    try:
        same = safe.load(spliced) == safe.load(dumped)
    except Exception:  # noqa: BLE001 - a splice that does not parse is simply not used
        same = False
    return spliced if same else dumped


def retired(entry: KbEntry, today: dt.date | None = None) -> bool:
    day = today or dt.date.today()
    return entry.valid_until is not None and entry.valid_until < day
