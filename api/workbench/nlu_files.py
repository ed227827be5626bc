"""The trainer's edits of the Rasa training data (``nlu_data/``, ``domain.yml``), written back with ruamel in
round-trip mode so comments, order and quoting stay as they were and the diff in git is just the edit.

Every edit is validated first with :mod:`bot.training_checks` (pure): an example under two intents or twice,
empty or over-long examples, entity annotations that do not fall on jieba token boundaries (with the
project's user dictionaries); and with :mod:`api.workbench.input_checks`: no control characters or line
separators (no line break at all in an example, synonym or lookup entry), response placeholders that are known
slots. Each changed file is written beside the old one, read back the way Rasa reads it, and only then renamed
over it, keeping its mode; a refused edit writes nothing.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tempfile
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from api.errors import NotFound, Refused
from api.workbench.example_checks import alignment_problems, length_problems, repeated_problems
from api.workbench.input_checks import all_text_problems, rasa_yaml_problems, template_problems
from bot.training_checks import Example, normalise

_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<entity>[^)]+)\)|\{(?P<json>[^}]+)\})")
_INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{1,48}$")


_LIST_NAMES = {"synonym": "同义词", "lookup": "查找表"}


class NluEditError(Refused):
    """An edit refused before anything was written; ``problems`` lists every reason (422)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0] if len(problems) == 1 else f"共 {len(problems)} 个问题", problems=problems)


def parse_annotated(line: str) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    """``我要挂失[信用卡](card_type)`` -> plain text and (start, end, entity) spans."""
    out, spans, pos = [], [], 0
    for m in _ANNOTATION.finditer(line):
        out.append(line[pos:m.start()])
        start = sum(len(p) for p in out)
        value = m.group("text")
        found = re.search(r'"entity"\s*:\s*"([^"]+)"', m.group("json") or "")
        entity = m.group("entity") or (found.group(1) if found else "?")
        out.append(value)
        spans.append((start, start + len(value), str(entity).split(":")[0]))
        pos = m.end()
    out.append(line[pos:])
    return "".join(out), tuple(spans)


def _examples_block(text: str) -> list[str]:
    return [line.strip()[2:] for line in str(text).splitlines() if line.strip().startswith("- ")]


@dataclass
class _Doc:
    path: Path
    data: Any
    original: str


class NluFiles:
    def __init__(self, nlu_dir: Path, domain_file: Path, rules_file: Path, synonyms_file: Path,
                 userdict_dir: Path) -> None:
        self.nlu_dir, self.domain_file, self.rules_file = nlu_dir, domain_file, rules_file
        self.synonyms_file, self.userdict_dir = synonyms_file, userdict_dir
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ io
    def _yaml(self, path: Path) -> YAML:
        """The project's two YAML layouts: domain.yml indents sequences, the data files do not."""
        yaml = YAML()
        yaml.preserve_quotes = True
        yaml.width = 4096
        if path == self.domain_file:
            yaml.indent(mapping=2, sequence=4, offset=2)
        else:
            yaml.indent(mapping=2, sequence=2, offset=0)
        yaml.representer.add_representer(
            type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
        return yaml

    def _load(self, path: Path) -> _Doc:
        text = path.read_text(encoding="utf-8")
        return _Doc(path, self._yaml(path).load(text), text)

    def _dump(self, doc: _Doc) -> str:
        import io

        buffer = io.StringIO()
        self._yaml(doc.path).dump(doc.data, buffer)
        return buffer.getvalue()

    @staticmethod
    def _stage(path: Path, text: str) -> Path:
        """``text`` written beside ``path`` with ``path``'s mode (a new file: its folder's, without execute)."""
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        mode = path.stat().st_mode if path.exists() else path.parent.stat().st_mode & 0o666
        os.chmod(tmp, stat.S_IMODE(mode))
        return Path(tmp)

    def _save(self, docs: list[_Doc]) -> str:
        """Write every changed document; returns the unified diff of all of them (for the audit log). Each is
        staged beside its file and read back as Rasa reads it; only when every one loads are they renamed into
        place (NluEditError, and nothing changed, otherwise)."""
        diffs: list[str] = []
        staged: list[tuple[Path, Path]] = []
        try:
            for doc in docs:
                new = self._dump(doc)
                if new != doc.original:
                    diffs += difflib.unified_diff(doc.original.splitlines(), new.splitlines(), str(doc.path.name),
                                                  str(doc.path.name), lineterm="", n=1)
                    staged.append((doc.path, self._stage(doc.path, new)))
            problems = [p for path, tmp in staged
                        for p in rasa_yaml_problems(path.name, tmp.read_text(encoding="utf-8"))]
            if problems:
                raise NluEditError(problems)
            for path, tmp in staged:
                os.replace(tmp, path)
            staged = []
        finally:
            for _, tmp in staged:
                tmp.unlink(missing_ok=True)
        return "\n".join(diffs)

    def _nlu_docs(self) -> Iterator[_Doc]:
        for path in sorted(self.nlu_dir.glob("*.yml")):
            yield self._load(path)

    # ------------------------------------------------------------------ reading
    def all_examples(self) -> list[Example]:
        out = []
        for doc in self._nlu_docs():
            for block in doc.data.get("nlu") or []:
                if "intent" in block:
                    for line in _examples_block(block.get("examples", "")):
                        text, spans = parse_annotated(line)
                        out.append(Example(text, str(block["intent"]), spans, doc.path.name))
        return out

    def intents(self) -> list[dict[str, Any]]:
        counts: dict[str, tuple[int, str]] = {}
        for doc in self._nlu_docs():
            for block in doc.data.get("nlu") or []:
                if "intent" in block:
                    n = len(_examples_block(block.get("examples", "")))
                    prev = counts.get(str(block["intent"]), (0, doc.path.name))
                    counts[str(block["intent"])] = (prev[0] + n, prev[1])
        return [{"name": k, "examples": v[0], "file": v[1]} for k, v in sorted(counts.items())]

    def intent(self, name: str) -> dict[str, Any]:
        examples, file = [], None
        for doc in self._nlu_docs():
            for block in doc.data.get("nlu") or []:
                if block.get("intent") == name:
                    file = file or doc.path.name
                    examples += _examples_block(block.get("examples", ""))
        if file is None:
            raise NotFound(f"意图 {name} 不存在")
        domain = self._load(self.domain_file).data
        response = (domain.get("responses") or {}).get(f"utter_{name}")
        text = response[0].get("text") if response else None
        return {"name": name, "file": file, "examples": examples, "response": text}

    @cached_property
    def _tokenizer(self) -> Any:
        import jieba

        tokenizer = jieba.Tokenizer()
        for path in sorted(self.userdict_dir.glob("*.txt")):
            tokenizer.load_userdict(str(path))
        return tokenizer

    def tokenize(self, text: str) -> list[tuple[str, int, int]]:
        return [t for t in self._tokenizer.tokenize(text) if t[0].strip()]

    # ------------------------------------------------------------------ validation
    def check_new_examples(self, intent: str, lines: list[str]) -> list[Example]:
        control = all_text_problems((f"例句「{line[:20]}」", line, False) for line in lines)
        if control:
            raise NluEditError(control)
        new = []
        for line in lines:
            text, spans = parse_annotated(line.strip())
            new.append(Example(text, intent, spans, "new"))
        problems = length_problems(new)
        existing = self.all_examples()
        known = {normalise(e.text): e for e in existing}
        for ex in new:
            clash = known.get(normalise(ex.text))
            if clash is not None:
                problems.append(f"「{ex.text}」已是意图 {clash.intent} 的例句（{clash.source}）")
        problems += repeated_problems(new)
        problems += alignment_problems(new, self.tokenize)
        if problems:
            raise NluEditError(problems)
        return new

    # ------------------------------------------------------------------ edits
    def add_example(self, intent: str, line: str) -> str:
        with self._lock:
            self.intent(intent)  # NotFound when unknown
            self.check_new_examples(intent, [line])
            for doc in self._nlu_docs():
                for block in doc.data.get("nlu") or []:
                    if block.get("intent") == intent:
                        block["examples"] = LiteralScalarString(str(block["examples"]).rstrip("\n")
                                                                + f"\n- {line.strip()}\n")
                        return self._save([doc])
        raise NotFound(f"意图 {intent} 不存在")

    def delete_example(self, intent: str, line: str) -> str:
        with self._lock:
            for doc in self._nlu_docs():
                for block in doc.data.get("nlu") or []:
                    if block.get("intent") == intent:
                        lines = _examples_block(block.get("examples", ""))
                        if line.strip() in lines:
                            if len(lines) <= 2:
                                raise NluEditError([f"意图 {intent} 至少要保留 2 条例句"])
                            kept = [x for x in lines if x != line.strip()]
                            block["examples"] = LiteralScalarString("".join(f"- {x}\n" for x in kept))
                            return self._save([doc])
        raise NotFound(f"意图 {intent} 没有例句「{line}」")

    def _response_problems(self, domain: Any, text: str) -> list[str]:
        """A response may span lines, but holds no control character and only known slots as placeholders."""
        return all_text_problems([("回复", text, True)]) or template_problems(text, list(domain.get("slots") or {}))

    def set_response(self, intent: str, text: str) -> str:
        if not text.strip():
            raise NluEditError(["回复内容不能为空"])
        with self._lock:
            domain = self._load(self.domain_file)
            problems = self._response_problems(domain.data, text.strip())
            if problems:
                raise NluEditError(problems)
            responses = domain.data.get("responses") or {}
            key = f"utter_{intent}"
            if key not in responses:
                raise NotFound(f"意图 {intent} 没有回复 {key}")
            responses[key][0]["text"] = text.strip()
            return self._save([domain])

    def set_initial_values(self, values: dict[str, str]) -> str:
        """Set slots' ``initial_value`` in domain.yml (the institution facts, api/workbench/institution.py checks
        them first); every slot named must exist. Returns the diff."""
        with self._lock:
            domain = self._load(self.domain_file)
            slots = domain.data.get("slots") or {}
            missing = [name for name in values if name not in slots]
            if missing:
                raise NotFound(f"domain.yml 没有槽位 {', '.join(missing)}")
            for name, value in values.items():
                slots[name]["initial_value"] = value
            return self._save([domain])

    def create_intent(self, name: str, examples: list[str], response: str) -> str:
        if not _INTENT_NAME.match(name):
            raise NluEditError([f"意图名「{name}」只能由小写字母、数字和下划线组成（2-49 个字符，字母开头）"])
        if len(examples) < 2:
            raise NluEditError(["请至少提供 2 条例句"])
        if not response.strip():
            raise NluEditError(["回复内容不能为空"])
        with self._lock:
            if any(i["name"] == name for i in self.intents()):
                raise NluEditError([f"意图 {name} 已存在"])
            self.check_new_examples(name, examples)
            target = self.nlu_dir / "trainer.yml"
            if not target.exists():
                target.write_text('version: "3.1"\n# intents created in the trainer workbench\nnlu: []\n',
                                  encoding="utf-8")
            nlu, domain, rules = self._load(target), self._load(self.domain_file), self._load(self.rules_file)
            problems = self._response_problems(domain.data, response.strip())
            if problems:
                raise NluEditError(problems)
            if not nlu.data.get("nlu"):
                nlu.data["nlu"] = []
            block: dict[str, Any] = {"intent": name,
                                     "examples": LiteralScalarString("".join(f"- {e.strip()}\n" for e in examples))}
            nlu.data["nlu"].append(block)
            domain.data["intents"].append(name)
            domain.data["responses"][f"utter_{name}"] = [{"text": response.strip()}]
            rules.data["rules"].append({"rule": f"answer {name}",
                                        "steps": [{"intent": name}, {"action": f"utter_{name}"}]})
            return self._save([nlu, domain, rules])

    def delete_intent(self, name: str) -> str:
        """Remove an intent created in the workbench (its examples, domain entry, response and answer rule).
        The project's own intents have held-out tests and stories: they are changed by developers, not here."""
        with self._lock:
            target = self.nlu_dir / "trainer.yml"
            nlu = self._load(target) if target.exists() else None
            blocks = [b for b in (nlu.data.get("nlu") or []) if b.get("intent") == name] if nlu else []
            if nlu is None or not blocks:
                raise NluEditError([f"只能删除在工作台中新建的意图，{name} 不是"])
            domain, rules = self._load(self.domain_file), self._load(self.rules_file)
            ours = [r for r in rules.data["rules"]
                    if [dict(step) for step in r.get("steps", [])] == [{"intent": name}, {"action": f"utter_{name}"}]]
            rules_text = self._dump(_Doc(rules.path, {"rules": [r for r in rules.data["rules"] if r not in ours]}, ""))
            stories = self.rules_file.with_name("stories.yml")
            if f"intent: {name}\n" in rules_text or (stories.exists() and
                                                     f"intent: {name}\n" in stories.read_text(encoding="utf-8")):
                raise NluEditError([f"{name} 仍被其他规则或故事使用，请先移除它们"])
            for block in blocks:
                nlu.data["nlu"].remove(block)
            for rule in ours:
                rules.data["rules"].remove(rule)
            domain.data["intents"].remove(name)
            domain.data["responses"].pop(f"utter_{name}", None)
            return self._save([nlu, domain, rules])

    def _named_lists(self, path: Path, key: str) -> list[dict[str, Any]]:
        doc = self._load(path)
        return [{"value": str(b[key]), "items": _examples_block(b.get("examples", ""))}
                for b in doc.data.get("nlu") or [] if key in b]

    def _add_to_named_list(self, path: Path, key: str, name: str, item: str, unique_across: bool) -> str:
        """Append ``item`` to the ``key: name`` block (created if missing); refuses duplicates."""
        with self._lock:
            doc = self._load(path)
            for block in doc.data.get("nlu") or []:
                if key in block and item in _examples_block(block.get("examples", "")) and (
                        unique_across or str(block[key]) == name):
                    raise NluEditError([f"「{item}」已在{_LIST_NAMES.get(key, key)} {block[key]} 中"])
            for block in doc.data["nlu"]:
                if str(block.get(key)) == name:
                    block["examples"] = LiteralScalarString(str(block["examples"]).rstrip("\n") + f"\n- {item}\n")
                    break
            else:
                doc.data["nlu"].append({key: name, "examples": LiteralScalarString(f"- {item}\n")})
            return self._save([doc])

    def synonyms(self) -> list[dict[str, Any]]:
        return [{"value": d["value"], "synonyms": d["items"]} for d in self._named_lists(self.synonyms_file, "synonym")]

    def add_synonym(self, value: str, synonym: str) -> str:
        value, synonym = value.strip(), synonym.strip()
        if not value or not synonym or value == synonym:
            raise NluEditError(["请填写标准值和一个与之不同的同义词"])
        control = all_text_problems([("同义词的标准值", value, False), ("同义词", synonym, False)])
        if control:
            raise NluEditError(control)
        return self._add_to_named_list(self.synonyms_file, "synonym", value, synonym, unique_across=True)

    @property
    def lookups_file(self) -> Path:
        return self.synonyms_file.with_name("lookups.yml")

    def lookups(self) -> list[dict[str, Any]]:
        return [{"name": d["value"], "entries": d["items"]} for d in self._named_lists(self.lookups_file, "lookup")]

    def add_lookup(self, name: str, entry: str) -> str:
        name, entry = name.strip(), entry.strip()
        if not _INTENT_NAME.match(name) or not entry or len(entry) > 50:
            raise NluEditError(["请填写查找表名（小写字母开头）和 1-50 个字符的条目"])
        control = all_text_problems([("查找表条目", entry, False)])
        if control:
            raise NluEditError(control)
        return self._add_to_named_list(self.lookups_file, "lookup", name, entry, unique_across=False)
