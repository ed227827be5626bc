"""Institution facts: read once from domain.yml's slots, filled into KB answers' placeholders."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.institution import Institution, fill_institution

ROOT = Path(__file__).resolve().parents[2]


def test_the_project_domain_configures_every_fact() -> None:
    org = Institution.from_domain(ROOT / "domain.yml")
    assert all(vars(org).values()) and org.app_name == "手机银行App"


def test_placeholders_are_filled_and_other_braces_left_alone() -> None:
    org = Institution("本行", "95xxx", "手机银行App", "9:00-17:00", "7×24小时")
    assert fill_institution("登录{app_name}或拨打{hotline}；{unknown}", org) == "登录手机银行App或拨打95xxx；{unknown}"


def test_a_domain_without_the_facts_names_the_file_and_slots(tmp_path: Path) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text('slots:\n  org_name:\n    type: text\n    initial_value: "本行"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=f"{domain}: slots hotline, app_name, branch_hours, service_hours need"):
        Institution.from_domain(domain)
    domain.write_text("slots: [\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"{domain}: cannot read the institution facts"):
        Institution.from_domain(domain)
