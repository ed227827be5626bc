"""What the workbench refuses before it writes a file, and how it proves a written file still loads (pure).

* :func:`text_problems`: control characters and line separators (NUL, ESC, VT, FF, CR, U+0085, U+2028/2029 …)
  in any field, and any line break in a single-line field (an example, a synonym, a lookup entry, a KB
  question). Python's ``str.splitlines`` — which Rasa uses to read an intent's examples — breaks lines at all of
  them, so one such example became several, past the duplicate check; NUL and ESC made the file unreadable.
* :func:`template_problems`: a response's ``{placeholders}`` must be known slots; ``{}``, ``{0}`` or a stray
  brace breaks the bot's turn when Rasa fills the response in.
* :func:`rasa_yaml_problems`: the written file read back the way Rasa reads training data (ruamel, safe loader,
  YAML 1.2; examples split with ``splitlines``, each starting with ``-``), with Rasa's structural checks mirrored
  (Rasa itself lives in the other venv): the workbench writes a candidate file, checks it, and only then renames
  it over the old one.
"""

from __future__ import annotations

import io
import string
import unicodedata
from typing import Any, Iterable

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")  # what str.splitlines splits at
_NAMES = {"\x00": "NUL", "\x1b": "ESC", "\x0b": "VT", "\x0c": "FF", "\r": "CR", "\n": "换行", "\t": "TAB",
          "\x85": "U+0085", "\u2028": "U+2028", "\u2029": "U+2029", "\x7f": "DEL"}
NLU_KEYS = ("intent", "synonym", "regex", "lookup")


def _bad_character(ch: str, multiline: bool) -> bool:
    if multiline and ch == "\n":
        return False
    return ch in LINE_BREAKS or unicodedata.category(ch) in ("Cc", "Zl", "Zp") and ch != "\t" or (
        not multiline and ch == "\t")


def text_problems(label: str, value: str, multiline: bool = False) -> list[str]:
    """Why ``value`` may not be written into ``label`` (empty when it may)."""
    bad = sorted({ch for ch in value if _bad_character(ch, multiline)})
    if not bad:
        return []
    names = "、".join(_NAMES.get(ch, f"U+{ord(ch):04X}") for ch in bad)
    what = "控制字符或换行" if not multiline else "控制字符或特殊分行符"
    return [f"{label}含有不允许的{what}（{names}），请删除后重试"]


def all_text_problems(fields: Iterable[tuple[str, str, bool]]) -> list[str]:
    """:func:`text_problems` over (label, value, multiline) triples."""
    return [p for label, value, multiline in fields for p in text_problems(label, value, multiline)]


def template_problems(text: str, slots: Iterable[str]) -> list[str]:
    """Why a response template would break when Rasa fills it in: a ``{name}`` that is no known slot, ``{}``,
    a format spec, or a stray brace (Rasa rewrites ``{x}`` to ``{0[x]}`` and calls ``str.format``)."""
    known = set(slots)
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return ["回复中有不成对的花括号 { 或 }；要写占位符请用 {槽位名}"]
    problems = []
    for literal, field, spec, conversion in parsed:
        if "{" in literal or "}" in literal:
            problems.append("回复中不能有双花括号 {{ 或 }}")
        if field is None:
            continue
        shown = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if not field:
            problems.append("回复中不能有空的占位符 {}")
        elif spec or conversion or not field.isidentifier() or field not in known:
            problems.append(f"回复中的占位符 {shown} 不是已知的槽位（可用：{'、'.join(sorted(known)) or '无'}）")
    return list(dict.fromkeys(problems))


def _read_like_rasa(text: str) -> Any:
    reader = YAML(typ="safe")  # what rasa.shared.utils.io.read_yaml uses
    reader.version = (1, 2)
    return reader.load(io.StringIO(text)) or {}


def _examples_problems(name: str, item: str, examples: Any) -> list[str]:
    if not isinstance(examples, str):
        return [f"{name}: {item} 的 examples 必须是文本块"]
    problems = []
    for line in examples.splitlines():
        if not line.strip():
            continue
        if not line.startswith("-"):
            problems.append(f"{name}: {item} 有一行不以 - 开头（Rasa 会跳过它）：{line[:40]}")
        elif not line[1:].strip():
            problems.append(f"{name}: {item} 有一条空的例句")
    return problems


def rasa_yaml_problems(name: str, text: str) -> list[str]:
    """Why Rasa would refuse (or misread) ``text`` as the training-data or domain file ``name``."""
    problems = text_problems(name, text, multiline=True)
    if problems:
        return problems
    try:
        data = _read_like_rasa(text)
    except YAMLError as exc:
        return [f"{name}: 写入后的文件无法解析（{exc.__class__.__name__}），未保存"]
    if not isinstance(data, dict):
        return [f"{name}: 顶层必须是映射"]
    for block in data.get("nlu") or []:
        if not isinstance(block, dict):
            problems.append(f"{name}: nlu 下的每一项都必须是映射")
            continue
        keys = [k for k in NLU_KEYS if k in block]
        if len(keys) != 1 or not isinstance(block[keys[0]], str) or not block[keys[0]].strip():
            problems.append(f"{name}: nlu 下的每一项须且只须有 intent / synonym / regex / lookup 之一")
            continue
        problems += _examples_problems(name, f"{keys[0]} {block[keys[0]]}", block.get("examples"))
    responses = data.get("responses") or {}
    if not isinstance(responses, dict):
        problems.append(f"{name}: responses 必须是映射")
    else:
        slots = list((data.get("slots") or {}).keys()) if isinstance(data.get("slots"), dict) else []
        for key, variants in responses.items():
            if not isinstance(variants, list) or not variants or not all(isinstance(v, dict) for v in variants):
                problems.append(f"{name}: 回复 {key} 必须是非空的列表")
                continue
            for variant in variants:
                if "text" in variant:
                    if not isinstance(variant["text"], str):
                        problems.append(f"{name}: 回复 {key} 的 text 必须是文本")
                    else:
                        problems += [f"{name}: 回复 {key}：{p}" for p in template_problems(variant["text"], slots)]
    for section in ("rules", "stories"):
        for item in data.get(section) or []:
            if not isinstance(item, dict) or not isinstance(item.get("steps"), list):
                problems.append(f"{name}: {section} 下的每一项都必须有 steps 列表")
    return problems
