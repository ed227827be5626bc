"""KB sources and import: clear errors naming file and row, nothing half-imported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from kb_index.entry import KbSourceError
from kb_index.importer import KbImportError, import_file, write_source
from kb_index.sources import load_file, load_folder

ROOT = Path(__file__).resolve().parents[2]
FAQ = ROOT / "kb_index" / "faq"


def test_starter_kb_has_300_entries_each_with_similar_questions() -> None:
    entries = load_folder(FAQ)
    assert len(entries) >= 300
    assert all(len(e.similar) >= 3 for e in entries), [e.id for e in entries if len(e.similar) < 3]
    assert len({e.id for e in entries}) == len(entries)


def test_starter_kb_uses_only_institution_placeholders() -> None:
    import re

    allowed = {"org_name", "hotline", "app_name", "branch_hours", "service_hours"}
    for entry in load_folder(FAQ):
        assert set(re.findall(r"\{(\w+)\}", entry.answer)) <= allowed, entry.id


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_tsv_grouped_by_id_becomes_entries_with_similar_questions(tmp_path: Path) -> None:
    rows = "id\tquestion\tanswer\nA1\t怎么挂失\t拨打热线\nA1\t卡丢了\t拨打热线\nA2\t几点开门\t9点\n"
    path = _write(tmp_path, "kb.tsv", rows)
    entries = import_file(path, dt.date(2026, 11, 24))
    assert [(e.id, e.question, e.similar) for e in entries] == [("A1", "怎么挂失", ("卡丢了",)), ("A2", "几点开门", ())]
    assert entries[0].updated_at == "2026-11-24"


def test_csv_one_row_per_entry_with_similar_column(tmp_path: Path) -> None:
    text = 'id,question,answer,similar,tags,valid_until\nB1,"怎么开户","带身份证","开个户|办卡要啥",开户,2027-01-01\n'
    (entry,) = import_file(_write(tmp_path, "kb.csv", text))
    assert entry.similar == ("开个户", "办卡要啥") and entry.tags == ("开户",)
    assert entry.valid_until == dt.date(2027, 1, 1)


def test_every_bad_row_is_reported_with_file_and_row(tmp_path: Path) -> None:
    text = ("id,question,answer,similar\nC1,问1,答1,\nC2,,答2,\nC3,问3,,\nC1,问4,答4,\n,问5,答5,\n"
            "C6,问6,答6,\n")
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(KbImportError) as err:
        import_file(path)
    problems = err.value.problems
    assert f"{path}: row 3: entry 'C2' has an empty question" in problems
    assert f"{path}: row 4: entry 'C3' has no answer" in problems
    assert f"{path}: row 5: duplicate id 'C1' (first at row 2)" in problems
    assert f"{path}: row 6: missing id" in problems
    assert len(problems) == 4


def test_grouped_rows_with_conflicting_answers_are_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "kb.tsv", "id\tquestion\tanswer\nD1\t问\t答A\nD1\t问2\t答B\n")
    with pytest.raises(KbImportError, match="row 3: duplicate id 'D1' with a different answer than row 2"):
        import_file(path)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("kb.csv", "question,answer\n问,答\n", r"row 1: missing column\(s\) id"),
        ("kb.json", "{}", "unsupported file type"),
        ("kb.csv", "", "empty file"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    with pytest.raises(KbSourceError, match=message):
        import_file(_write(tmp_path, name, content))


def test_invalid_utf8_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "kb.tsv"
    path.write_bytes(b"id\tquestion\tanswer\n" + b"\xff\xfe\n")
    with pytest.raises(KbSourceError, match=str(path)):
        import_file(path)


def test_xlsx_import(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "question", "answer", "similar"])
    sheet.append(["X1", "怎么查余额", "登录App查看", "余额在哪看|查下余额"])
    book.save(tmp_path / "kb.xlsx")
    (entry,) = import_file(tmp_path / "kb.xlsx")
    assert entry.similar == ("余额在哪看", "查下余额")


def test_write_source_round_trips_and_refuses_clashing_ids(tmp_path: Path) -> None:
    entries = import_file(_write(tmp_path, "kb.tsv", "id\tquestion\tanswer\nE1\t问\t答\nE1\t问二\t答\n"))
    target = tmp_path / "faq" / "imported.yml"
    write_source(entries, target, "imported")
    assert load_file(target) == entries
    before = target.read_text(encoding="utf-8")
    with pytest.raises(KbImportError, match="id 'E1' is already used"):
        write_source(entries, target, "imported", existing_ids={"E1"})
    assert target.read_text(encoding="utf-8") == before  # nothing half-written


def test_yaml_source_errors_name_file_and_entry(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.yml", yaml.safe_dump({"entries": [{"id": "x", "question": "问", "answer": "答"},
                                                                 {"id": "y", "question": "问"}]}))
    with pytest.raises(KbSourceError, match=f"{path}: entry 2: entry 'y' has no answer"):
        load_file(path)
    _write(tmp_path, "b.yml", yaml.safe_dump({"entries": [{"id": "x", "question": "问", "answer": "答"}]}))
    path.write_text(yaml.safe_dump({"entries": [{"id": "x", "question": "问", "answer": "答"}]}), encoding="utf-8")
    with pytest.raises(KbSourceError, match="duplicate id 'x'"):
        load_folder(tmp_path)


def test_evaluation_sets_without_answers_import_only_when_asked(tmp_path: Path) -> None:
    path = _write(tmp_path, "bq.tsv", "id\tquestion\tanswer\nq1\t不借了怎么取消\t\n")
    with pytest.raises(KbImportError, match="has no answer"):
        import_file(path)
    (entry,) = import_file(path, require_answer=False)
    assert entry.question == "不借了怎么取消" and entry.answer
