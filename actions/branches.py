"""The branch directory the bank provides (a YAML file: name, address, city, district, hours, services, phone),
and the branch finder's answer from it: up to three branches in the customer's city offering the business, or an
honest "no branch found" with the hotline. ``actions/data/branches.yml`` is a demo file for development; a bank
points ``BRANCHES_PATH`` at its own file. The file is re-read when it changes (no restart for a new directory).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from common.institution import Institution

log = logging.getLogger(__name__)

MAX_LISTED = 3
# how customers name a business -> the name a directory's ``services`` use (BUSINESS_NOTES keys in guidance.py)
BUSINESS_ALIASES = {
    "外汇": "外汇兑换", "换汇": "外汇兑换", "换钱": "外汇兑换",
    "取现": "大额取现", "取钱": "大额取现", "取款": "大额取现",
    "开卡": "开户", "办卡": "开户", "开账户": "开户", "注销": "销户", "补办": "补卡", "换卡": "补卡",
    "手机号": "修改预留手机号", "存单": "大额存单", "定期": "定期存款", "贷款": "贷款", "房贷": "贷款",
}


@dataclass(frozen=True)
class Branch:
    name: str
    address: str
    city: str
    district: str
    hours: str
    services: tuple[str, ...]
    phone: str

    @classmethod
    def from_mapping(cls, row: dict[str, Any]) -> Branch:
        missing = [f for f in ("name", "address", "city") if not str(row.get(f) or "").strip()]
        if missing:
            raise ValueError(f"branch {row.get('name') or row}: missing {', '.join(missing)}")
        return cls(name=str(row["name"]).strip(), address=str(row["address"]).strip(), city=_city(str(row["city"])),
                   district=str(row.get("district") or "").strip(), hours=str(row.get("hours") or "").strip(),
                   services=tuple(str(s).strip() for s in row.get("services") or ()), phone=str(row.get("phone") or ""))


def _city(text: str) -> str:
    """上海市 / 上海 -> 上海 (the form's city slot has no 市)."""
    return re.sub(r"市$", "", text.strip())


def load_branches(path: Path) -> tuple[Branch, ...]:
    """All branches of the directory file; a clear error naming the file and the branch when one is incomplete."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rows = doc.get("branches") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise ValueError(f"{path}: expected a top-level 'branches:' list")
    try:
        return tuple(Branch.from_mapping(row) for row in rows)
    except (ValueError, TypeError, AttributeError) as error:
        raise ValueError(f"{path}: {error}") from error


class BranchDirectory:
    """The directory file, re-read when its modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: float | None = None
        self._branches: tuple[Branch, ...] = ()

    def branches(self) -> tuple[Branch, ...]:
        try:
            stamp = self.path.stat().st_mtime
        except OSError:
            log.warning("branch directory %s missing", self.path)
            return self._branches
        if stamp != self._stamp:
            try:
                self._branches, self._stamp = load_branches(self.path), stamp
            except (OSError, ValueError, yaml.YAMLError) as error:
                log.warning("branch directory unreadable, keeping the previous one: %s", error)
        return self._branches


def canonical_business(business: str | None) -> str | None:
    """The directory's name for what the customer typed (换外汇 -> 外汇兑换); the text itself when unknown."""
    text = (business or "").strip()
    if not text:
        return None
    for alias, name in sorted(BUSINESS_ALIASES.items(), key=lambda item: len(item[0]), reverse=True):
        if alias in text:
            return name
    return text


def offers(branch: Branch, business: str | None) -> bool:
    if not business:
        return True
    return any(business in service or service in business for service in branch.services)


def find_branches(branches: tuple[Branch, ...], city: str, business: str | None) -> list[Branch]:
    """Branches in ``city`` offering ``business`` (any business when None), in directory order, at most three."""
    wanted = canonical_business(business)
    return [b for b in branches if b.city == _city(city) and offers(b, wanted)][:MAX_LISTED]


def branch_answer(found: list[Branch], city: str, business: str | None, note: str, org: Institution) -> str:
    """The customer's answer: the branches with address, hours and phone, what to bring; or an honest none."""
    what = f"办理{business}" if business else "办理业务"
    if not found:
        return (f"抱歉，暂未查到{_city(city)}可以{what}的网点。您可以拨打{org.hotline}咨询，"
                f"或在{org.app_name}「网点查询」查看最新网点信息。")
    lines = [f"为您找到{_city(city)}可以{what}的网点："]
    for i, b in enumerate(found, 1):
        place = f"{b.district} " if b.district else ""
        parts = (f"营业时间 {b.hours}" if b.hours else "", f"电话 {b.phone}" if b.phone else "")
        details = "；".join(x for x in parts if x)
        lines.append(f"{i}. {b.name}：{place}{b.address}" + (f"（{details}）" if details else ""))
    lines.append(f"{what}：{note}。建议先在{org.app_name}预约取号，减少等待。")
    return "\n".join(lines)
