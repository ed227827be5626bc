"""A trainer's change to a bot response (``utter_<intent>`` in domain.yml) as maker-checker holds it: checked as
the direct edit would be (not empty, no control character, only known slots as placeholders; the response must
exist), with the diff of its text, and applied on approval only to the text it was made on. Pure but for
reading domain.yml."""

from __future__ import annotations

import difflib
import hashlib
from typing import Any

import yaml

from api.errors import Conflict, NotFound, Refused
from api.workbench.input_checks import all_text_problems, template_problems
from api.workbench.nlu_edits import NluEdits
from api.workbench.nlu_files import NluEditError, NluFiles


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def response_diff(intent: str, before: str, after: str) -> str:
    """A unified diff of the response's lines (pure)."""
    key = f"utter_{intent}"
    return "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), f"{key} (现在)",
                                          f"{key} (变更后)", lineterm="", n=2))


def _domain(files: NluFiles) -> dict[str, Any]:
    return yaml.safe_load(files.domain_file.read_text(encoding="utf-8")) or {}


def current_response(files: NluFiles, intent: str) -> str:
    responses = _domain(files).get("responses") or {}
    variants = responses.get(f"utter_{intent}")
    if not variants:
        raise NotFound(f"意图 {intent} 没有回复 utter_{intent}")
    return str(variants[0].get("text") or "")


def response_change(files: NluFiles, intent: str, text: str) -> tuple[dict[str, Any], str]:
    """(payload, diff) of setting ``intent``'s response to ``text``; refused as the direct edit would be."""
    text = text.strip()
    if not text:
        raise NluEditError(["回复内容不能为空"])
    before = current_response(files, intent)
    problems = all_text_problems([("回复", text, True)]) or \
        template_problems(text, list(_domain(files).get("slots") or {}))
    if problems:
        raise NluEditError(problems)
    if text == before:
        raise Refused("回复没有变化")
    return {"text": text, "base": digest(before)}, response_diff(intent, before, text)


def apply_response(nlu: NluEdits, maker: str, intent: str, payload: dict[str, Any]) -> None:
    """Write the held response as its maker's edit (audited as ``set_response``), if the response is still the
    one the change was made on."""
    if digest(current_response(nlu.files, intent)) != payload["base"]:
        raise Conflict(f"utter_{intent} 在提交后已被修改，请按当前内容重新提交")
    nlu.set_response(maker, intent, payload["text"])
