"""The institution facts (机构信息: name, hotline, app name, branch and service hours) as the trainer edits them:
the initial values of domain.yml's slots (common/institution.py reads them; bot responses and KB answers name
them as ``{hotline}``). A new value is checked before anything is written: no placeholder left (95xxx, 某某,
待配置 — the bridge refuses to start outside development with one), no control character or brace, a hotline that
looks like a service number. Every change is audited with its diff.

The bridge fills KB answers in agents' suggestions from the file at once; the bot and the action server read the
facts from the trained model's domain, so customers see a change with the next deployed model."""

from __future__ import annotations

import difflib
import hashlib
import json
import re

from sqlalchemy.orm import sessionmaker

from api.compliance.audit import record
from api.errors import Refused
from api.schemas.institution import InstitutionIn, InstitutionOut
from api.workbench.input_checks import all_text_problems
from api.workbench.nlu_files import NluFiles
from common.institution import INSTITUTION_SLOTS, Institution, placeholder_facts

LABELS = {"org_name": "机构名称", "hotline": "客服热线", "app_name": "App 名称", "branch_hours": "网点营业时间",
          "service_hours": "人工客服服务时间"}
# a service number: 95/96 short numbers, 400/800 numbers, a landline with its area code
_HOTLINE = re.compile(r"^(?:9[56]\d{3,4}|[48]00-?\d{3}-?\d{4}|0\d{2,3}-?\d{7,8})$")
_LABEL = re.compile(r"^[\u4e00-\u9fff：:]{0,8}")  # an optional label before the number: 客服热线95555


def hotline_problems(value: str) -> list[str]:
    """Why ``value`` is no hotline a customer could call (pure)."""
    number = _LABEL.sub("", value.strip()).replace(" ", "")
    if _HOTLINE.match(number):
        return []
    return [f"客服热线「{value}」不是有效的服务电话：请填写 95/96 开头的 5-6 位号码、400/800 号码或带区号的固话"]


def fact_problems(org: Institution) -> list[str]:
    """Everything wrong with a set of facts (pure); empty when they may be saved."""
    problems = all_text_problems([(LABELS[n], getattr(org, n), False) for n in INSTITUTION_SLOTS])
    problems += [f"{LABELS[n]}不能含有花括号 {{ }}" for n in INSTITUTION_SLOTS if re.search(r"[{}]", getattr(org, n))]
    for found in placeholder_facts(org):
        name, value = found.split("=", 1)
        problems.append(f"{LABELS[name]}仍是占位内容「{value}」，请填写真实信息")
    if not any(p.startswith("客服热线仍是占位") for p in problems):
        problems += hotline_problems(org.hotline)
    return problems


def facts_diff(before: Institution, after: Institution) -> str:
    """A unified diff of the facts as ``name: value`` lines (pure)."""
    def lines(org: Institution) -> list[str]:
        return [f"{n}: {getattr(org, n)}" for n in INSTITUTION_SLOTS]
    return "\n".join(difflib.unified_diff(lines(before), lines(after), "机构信息 (现在)", "机构信息 (变更后)",
                                          lineterm="", n=0))


def fingerprint(org: Institution) -> str:
    return hashlib.sha256(json.dumps([getattr(org, n) for n in INSTITUTION_SLOTS],
                                     ensure_ascii=False).encode()).hexdigest()[:16]


class InstitutionFacts:
    def __init__(self, files: NluFiles, sessions: sessionmaker) -> None:
        self.files = files
        self.sessions = sessions

    def current(self) -> Institution:
        try:
            return Institution.from_domain(self.files.domain_file)
        except ValueError as exc:
            raise Refused(str(exc).replace(str(self.files.domain_file), "domain.yml")) from exc

    def read(self) -> InstitutionOut:
        org = self.current()
        return InstitutionOut(**{n: getattr(org, n) for n in INSTITUTION_SLOTS},
                              problems=[f"{LABELS[f.split('=', 1)[0]]}仍是占位内容" for f in placeholder_facts(org)])

    def check(self, body: InstitutionIn) -> tuple[Institution, Institution]:
        """(the facts now, the facts asked for); Refused (422, every problem) when they may not be saved."""
        after = Institution(**{n: getattr(body, n).strip() for n in INSTITUTION_SLOTS})
        problems = fact_problems(after)
        if problems:
            raise Refused(problems[0] if len(problems) == 1 else f"共 {len(problems)} 个问题", problems=problems)
        before = self.current()
        if before == after:
            raise Refused("机构信息没有变化")
        return before, after

    def write(self, actor: str, after: Institution, diff: str) -> InstitutionOut:
        """Write the facts (audited with ``diff``)."""
        before = self.current()
        changed = {n: getattr(after, n) for n in INSTITUTION_SLOTS if getattr(after, n) != getattr(before, n)}
        self.files.set_initial_values(changed)
        record(self.sessions, actor, "set_institution", "domain.yml", diff=diff)
        return self.read()

    def save(self, actor: str, body: InstitutionIn) -> InstitutionOut:
        """The direct edit (maker-checker off)."""
        before, after = self.check(body)
        return self.write(actor, after, facts_diff(before, after))
