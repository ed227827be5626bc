"""The branch directory and the branch finder's answer (issue 12, finding 9): up to three branches of the city
that offer the business, an honest none with the hotline, the file validated and re-read when it changes; and
the card-loss result: concise, with next-action buttons the widget can open safely."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from actions.branches import Branch, BranchDirectory, canonical_business, find_branches, load_branches
from actions.guidance import branch_guidance, card_loss_buttons, card_loss_steps, hotline_number
from actions.settings import settings
from common.institution import Institution
from tests.actions.trackers import INSTITUTION

ORG = Institution.from_slots(INSTITUTION)


def branch(name: str, city: str, *services: str) -> Branch:
    return Branch(name, f"{name}路1号", city, "某区", "9:00-17:00", services, "021-1")


DIRECTORY = (branch("A", "上海", "开户", "外汇兑换"), branch("B", "上海", "开户"), branch("C", "北京", "外汇兑换"),
             branch("D", "上海", "开户", "外汇兑换"), branch("E", "上海", "外汇兑换"), branch("F", "上海", "外汇兑换"))


def test_branches_of_the_city_offering_the_business_at_most_three() -> None:
    assert [b.name for b in find_branches(DIRECTORY, "上海", "换外汇")] == ["A", "D", "E"]
    assert [b.name for b in find_branches(DIRECTORY, "上海市", "开户")] == ["A", "B", "D"]
    assert [b.name for b in find_branches(DIRECTORY, "北京", None)] == ["C"]
    assert find_branches(DIRECTORY, "北京", "开户") == [] and find_branches(DIRECTORY, "阜阳", None) == []


def test_business_names_as_customers_say_them() -> None:
    assert canonical_business("我要换点外汇") == "外汇兑换"
    assert canonical_business("取五万块现金") is not None and canonical_business("取钱") == "大额取现"
    assert canonical_business("开保险箱") == "开保险箱" and canonical_business("") is None


def test_the_answer_lists_branches_with_address_hours_and_phone_or_says_none_honestly() -> None:
    text = branch_guidance("上海", "开户", ORG, DIRECTORY)
    assert text.count("路1号") == 3 and "9:00-17:00" in text and "021-1" in text and "身份证" in text
    none = branch_guidance("北京", "开户", ORG, DIRECTORY)
    assert "暂未查到北京可以办理开户的网点" in none and INSTITUTION["hotline"] in none and "路1号" not in none


def test_the_demo_directory_is_complete_and_answers_shanghai(tmp_path: Path) -> None:
    branches = load_branches(settings.branches_path)
    assert len(branches) >= 5 and all(b.name and b.address and b.city and b.hours and b.phone for b in branches)
    assert "浦东陆家嘴支行" in branch_guidance("上海", None, ORG)


def test_an_incomplete_file_is_refused_clearly_and_a_changed_file_is_re_read(tmp_path: Path) -> None:
    path = tmp_path / "branches.yml"
    path.write_text("branches:\n  - name: X支行\n    city: 上海\n", encoding="utf-8")
    with pytest.raises(ValueError, match="X支行.*address"):
        load_branches(path)
    path.write_text("branches:\n  - {name: X支行, city: 上海, address: 一路1号, services: [开户]}\n", encoding="utf-8")
    directory = BranchDirectory(path)
    assert [b.name for b in directory.branches()] == ["X支行"]
    path.write_text("branches:\n  - {name: Y支行, city: 上海, address: 二路2号}\n", encoding="utf-8")
    os.utime(path, (1, 1))
    assert [b.name for b in directory.branches()] == ["Y支行"]


def test_card_loss_result_is_concise_with_next_actions() -> None:
    text = card_loss_steps("借记卡", "8866", ORG)
    assert "尾号8866的借记卡" in text and "正式挂失" in text and "1." not in text and len(text) < 120
    payloads = [b["payload"] for b in card_loss_buttons(ORG, "https://m.bank.example/card-loss")]
    assert payloads == ["https://m.bank.example/card-loss", "tel:95000", "/card_reissue", "/human_handoff"]
    # no link without a configured https page, no tel: for a placeholder hotline
    placeholder = Institution.from_slots({**INSTITUTION, "hotline": "客服热线95xxx"})
    assert [b["payload"] for b in card_loss_buttons(placeholder, "javascript:alert(1)")] == [
        "/card_reissue", "/human_handoff"]
    assert hotline_number("400-820-8888转2") == "400-820-8888" and hotline_number("95xxx") is None
