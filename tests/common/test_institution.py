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


def test_placeholder_facts_are_named() -> None:
    """Issue 12, finding 10: outside development the bridge refuses to start while a fact is a placeholder."""
    from common.institution import Institution, placeholder_facts

    shipped = Institution("本行", "客服热线95xxx", "手机银行App", "工作日9:00-17:00", "7×24小时")
    assert placeholder_facts(shipped) == ["org_name=本行", "hotline=客服热线95xxx"]
    real = Institution("上海城市商业银行", "客服热线95500", "上银App", "工作日9:00-17:00", "7×24小时")
    assert placeholder_facts(real) == []
    for hotline in ("95XXX", "400-xxx-xxxx", "待配置", "TODO"):
        facts = Institution("上海银行", hotline, "App", "9:00-17:00", "全天")
        assert placeholder_facts(facts) == [f"hotline={hotline}"]
    assert placeholder_facts(Institution("示例银行", "95500", "App", "9:00", "全天")) == ["org_name=示例银行"]
