"""KB lint: planted near-duplicate entries with different answers, duplicates to merge and intent examples that
collide with KB questions are found; distinct questions are not; the CLI prints them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kb_index.cli import main
from kb_index.entry import KbEntry, entry_to_mapping
from kb_index.lint import find_conflicts, read_intent_examples, term_differences

ENTRIES = [
    KbEntry("gjj-app", "手机银行怎么查询公积金", "登录手机银行，点“公积金”查询。", similar=("公积金在哪查",)),
    KbEntry("gjj-phone", "电话银行怎么查询公积金", "拨打95533按3号键查询公积金。"),
    KbEntry("fee-1", "跨行转账收费吗", "手机银行跨行转账免费。"),
    KbEntry("fee-2", "跨行转账收费吗？", "手机银行跨行转账免费！"),
    KbEntry("hours", "网点几点营业", "工作日9点至17点。", similar=("银行几点开门",)),
    KbEntry("loss", "信用卡丢了怎么挂失", "请立即拨打信用卡中心电话挂失。"),
]


def test_planted_conflicts_and_duplicates_are_found() -> None:
    found = {(c.kind, c.first, c.second): c for c in find_conflicts(ENTRIES)}
    conflict = found[("conflict", "gjj-app", "gjj-phone")]
    assert (conflict.first_question, conflict.second_question) == ("手机银行怎么查询公积金", "电话银行怎么查询公积金")
    assert conflict.term_differences == ("channel: 手机银行 / 电话银行",)
    assert conflict.answer_similarity is not None and conflict.answer_similarity < 0.9
    duplicate = found[("duplicate", "fee-1", "fee-2")]
    assert duplicate.similarity == pytest.approx(1.0) and duplicate.answer_similarity == pytest.approx(1.0)
    assert set(found) == {("conflict", "gjj-app", "gjj-phone"), ("duplicate", "fee-1", "fee-2")}
    assert "答案不同" in conflict.describe() and "手机银行 / 电话银行" in conflict.describe()


def test_intent_examples_that_collide_with_kb_questions() -> None:
    intents = {"business_hours": ["网点几点营业呢", "你们几点下班"],
               "card_report_loss": ["[信用卡](card_type)丢了怎么挂失"], "greet": ["你好"]}
    found = [c for c in find_conflicts(ENTRIES, intents) if c.kind == "intent"]
    assert {(c.first, c.second) for c in found} == {("business_hours", "hours"), ("card_report_loss", "loss")}
    loss = next(c for c in found if c.first == "card_report_loss")
    assert loss.first_question == "信用卡丢了怎么挂失" and loss.similarity == pytest.approx(1.0)


def test_a_stricter_similarity_finds_fewer() -> None:
    assert [c.kind for c in find_conflicts(ENTRIES, question_similarity=0.99)] == ["duplicate"]


def test_term_differences_name_the_groups_that_differ() -> None:
    assert term_differences("信用卡挂失", "借记卡挂失") == ("card: 信用卡 / 借记卡",)
    assert term_differences("美元汇款", "汇款") == ("currency: 美元 / —",)
    assert term_differences("网银盾丢了", "网银登录") == ("channel: — / 网上银行", "security: 网银盾 / —")


def test_read_intent_examples_strips_annotations(tmp_path: Path) -> None:
    (tmp_path / "cards.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: card_report_loss\n  examples: |\n    - 我要挂失[信用卡](card_type)\n'
        '    - [储蓄卡]{"entity": "card_type", "value": "借记卡"}丢了\n'
        '- synonym: 借记卡\n  examples: |\n    - 储蓄卡\n',
        encoding="utf-8")
    assert read_intent_examples(tmp_path) == {"card_report_loss": ["我要挂失信用卡", "储蓄卡丢了"]}


def test_cli_lint_prints_the_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    faq = tmp_path / "faq"
    faq.mkdir()
    (faq / "area.yml").write_text(yaml.safe_dump({"entries": [entry_to_mapping(e) for e in ENTRIES]},
                                                 allow_unicode=True), encoding="utf-8")
    nlu = tmp_path / "nlu"
    nlu.mkdir()
    (nlu / "x.yml").write_text("nlu:\n- intent: business_hours\n  examples: |\n    - 网点几点营业\n", encoding="utf-8")
    monkeypatch.setenv("KB_FAQ_DIR", str(faq))
    assert main(["lint", "--nlu", str(nlu)]) == 0
    out = capsys.readouterr().out
    assert "gjj-app「手机银行怎么查询公积金」 ↔ gjj-phone「电话银行怎么查询公积金」" in out
    assert out.strip().splitlines()[-1] == "1 组近似问题答案不同，1 组可合并，1 条意图样例与知识库问题相同"
    assert main(["lint", "--nlu", str(nlu), "--strict"]) == 1
