"""Categorisation by keywords and routing to owner teams (api/feedback/categorise.py, routing.py), on the shipped
categories file and on hand-made configurations; the file is refused with a reason when inconsistent."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.feedback.categorise import categorise
from api.feedback.config import FeedbackConfigError, load_config, parse_config
from api.feedback.routing import route_team
from api.settings import Settings

SHIPPED = load_config(Settings().feedback_file)


@pytest.mark.parametrize("text, category", [
    ("手机银行App老是闪退，登录不了", "系统/App故障"),
    ("ＡＰＰ打不开", "系统/App故障"),  # full-width letters
    ("信用卡年费太贵了，还乱扣费", "费用"),
    ("客服态度很差，很不耐烦", "服务态度"),
    ("开户材料太多，流程繁琐", "流程/手续"),
    ("支行柜台只开了一个窗口", "网点"),
    ("理财产品收益太低", "产品"),
    ("谢谢", "其他"),
    ("", "其他"),
])
def test_shipped_categories(text: str, category: str) -> None:
    assert categorise(text, SHIPPED).category == category


def test_most_keywords_win_and_ties_go_to_the_first_listed() -> None:
    config = parse_config({"categories": [{"name": "A", "keywords": ["x"]}, {"name": "B", "keywords": ["y", "z"]},
                                          {"name": "C"}],
                           "fallback": "C", "default_team": "T"})
    assert categorise("x y z", config).category == "B"
    assert categorise("x y z", config).keywords == ("y", "z")
    assert categorise("x y", config).category == "A"  # one each: A is listed first
    assert categorise("nothing", config).category == "C" and categorise("nothing", config).keywords == ()


CONFIG = parse_config({
    "categories": [{"name": "费用", "keywords": []}, {"name": "网点", "keywords": []}, {"name": "其他"}],
    "fallback": "其他", "default_team": "客服中心", "teams": ["运营部", "信用卡中心", "浦东支行", "证券部"],
    "routes": [{"category": "费用", "team": "运营部"},
               {"category": "费用", "skill_group": "信用卡", "team": "信用卡中心"},
               {"category": "网点", "branch": "浦东支行", "team": "浦东支行"},
               {"skill_group": "证券", "team": "证券部"}],
})


@pytest.mark.parametrize("category, group, branch, team", [
    ("费用", None, None, "运营部"),
    ("费用", "信用卡", None, "信用卡中心"),  # the more specific route wins
    ("费用", "理财", None, "运营部"),
    ("网点", None, "浦东支行", "浦东支行"),
    ("网点", None, "静安支行", "客服中心"),  # no route: the default team
    ("其他", "证券", None, "证券部"),
    ("费用", "证券", None, "运营部"),  # equally specific: the first listed
])
def test_routing(category: str, group: str | None, branch: str | None, team: str) -> None:
    assert route_team(CONFIG, category, group, branch) == team


def test_shipped_routes() -> None:
    assert route_team(SHIPPED, "系统/App故障") == "金融科技部"
    assert route_team(SHIPPED, "产品", "信用卡") == "信用卡中心"
    assert route_team(SHIPPED, "其他") == SHIPPED.default_team


@pytest.mark.parametrize("data, reason", [
    ({"categories": [], "default_team": "T"}, "no categories"),
    ({"categories": [{"name": "A"}, {"name": "A"}], "default_team": "T"}, "unique"),
    ({"categories": [{"name": "A", "sla_hours": 0}], "default_team": "T"}, "positive"),
    ({"categories": [{"name": "A"}], "fallback": "B", "default_team": "T"}, "fallback"),
    ({"categories": [{"name": "A"}]}, "default_team"),
    ({"categories": [{"name": "A"}], "default_team": "T", "routes": [{"team": "X"}]}, "unknown team"),
    ({"categories": [{"name": "A"}], "default_team": "T", "routes": [{"team": "T", "category": "B"}]},
     "unknown category"),
])
def test_inconsistent_files_are_refused(data: dict, reason: str) -> None:
    with pytest.raises(FeedbackConfigError, match=reason):
        parse_config(data)


def test_the_file_is_reread_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text("categories: [{name: A}]\ndefault_team: T\n", encoding="utf-8")
    assert load_config(path).category_names == ("A",)
    path.write_text("categories: [{name: A}, {name: B}]\ndefault_team: T\n", encoding="utf-8")
    import os
    os.utime(path, (1, 1))  # a different modification time, whatever the clock's resolution
    assert load_config(path).category_names == ("A", "B")
    path.write_text(": not yaml [", encoding="utf-8")
    os.utime(path, (2, 2))
    with pytest.raises(FeedbackConfigError):
        load_config(path)


def test_the_branch_comes_from_the_handoff_slots() -> None:
    import json

    from api.feedback.intake import branch_of
    from api.store.models import Conversation

    def conv(slots: object) -> Conversation:
        return Conversation(handoff_json=json.dumps({"reason": "customer_request", "slots": slots}))

    assert branch_of(conv({"branch": "浦东支行", "city": "上海"})) == "浦东支行"
    assert branch_of(conv({"city": "上海"})) == "上海"
    assert branch_of(conv({})) is None and branch_of(conv(None)) is None
    assert branch_of(Conversation(handoff_json=None)) is None and branch_of(None) is None
