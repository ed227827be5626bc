"""FAISS index: oracle against numpy brute force, versioned files, checksum, incremental rebuild."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from kb_index.encoders import unit_rows
from kb_index.entry import NO_ANSWER, KbEntry
from kb_index.index import KbIndex, KbIndexError, answer_snippet, build, current_version, make_faiss_index
from kb_index.ranking import AnswerSignal, brute_force_top_k
from tests.kb_index.fakes import HashingEncoder, WideHashingEncoder

RNG = np.random.default_rng(7)


def test_flat_index_equals_brute_force() -> None:
    vectors = unit_rows(RNG.normal(size=(2000, 48)))
    queries = unit_rows(RNG.normal(size=(50, 48)))
    index = make_faiss_index(vectors, "flat")
    scores, ids = index.search(queries, 10)
    oracle_scores, oracle_ids = brute_force_top_k(queries, vectors, 10)
    assert np.array_equal(ids, oracle_ids)
    assert np.allclose(scores, oracle_scores, atol=1e-5)


@pytest.mark.parametrize("index_type", ["hnsw", "ivf"])
def test_approximate_indexes_recall_the_brute_force_top_10(index_type: str) -> None:
    centres = unit_rows(RNG.normal(size=(40, 48)))
    vectors = unit_rows(centres[RNG.integers(0, 40, 5000)] + 0.3 * RNG.normal(size=(5000, 48)))
    queries = unit_rows(centres[RNG.integers(0, 40, 100)] + 0.3 * RNG.normal(size=(100, 48)))
    _, ids = make_faiss_index(vectors, index_type).search(queries, 10)
    _, oracle = brute_force_top_k(queries, vectors, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids.tolist(), oracle.tolist(), strict=True)])
    assert recall >= 0.9


ENTRIES = [
    KbEntry("card-1", "银行卡丢了怎么挂失", "立即挂失", similar=("卡丢了", "卡不见了怎么办")),
    KbEntry("hours-1", "网点几点营业", "工作日9点", similar=("几点开门",)),
    KbEntry("fee-1", "跨行转账收费吗", "手机银行免费", similar=("转账手续费",)),
]


def test_build_writes_a_verified_version_and_search_finds_entries(tmp_path: Path) -> None:
    encoder = HashingEncoder()
    manifest = build(ENTRIES, encoder, tmp_path)
    assert current_version(tmp_path) == manifest.version
    assert (manifest.entries, manifest.questions, manifest.dims, manifest.encoder) == (3, 7, 64, "hash64")
    index = KbIndex.load_current(tmp_path)
    best = index.search(encoder.encode_queries(["卡丢了"])[0], k=3)
    assert index.entries[best[0].entry].id == "card-1" and best[0].score == pytest.approx(1.0)
    assert len({c.entry for c in best}) == len(best)  # one candidate per entry


def test_incremental_rebuild_encodes_only_changed_questions(tmp_path: Path) -> None:
    build(ENTRIES, HashingEncoder(), tmp_path)
    edited = [dataclasses.replace(ENTRIES[0], similar=("卡丢了", "钱包丢了里面有卡")), *ENTRIES[1:]]
    encoder = HashingEncoder()
    manifest = build(edited, encoder, tmp_path)
    assert encoder.encoded == ["钱包丢了里面有卡"] and manifest.encoded_questions == 1


@pytest.mark.parametrize("damage", ["truncate", "delete", "manifest"])
def test_corrupt_index_fails_with_the_file_named(tmp_path: Path, damage: str) -> None:
    manifest = build(ENTRIES, HashingEncoder(), tmp_path)
    version_dir = tmp_path / "versions" / manifest.version
    if damage == "truncate":
        data = (version_dir / "index.faiss").read_bytes()
        (version_dir / "index.faiss").write_bytes(data[: len(data) // 2])
        expected = "index.faiss: checksum does not match"
    elif damage == "delete":
        (version_dir / "questions.json").unlink()
        expected = "questions.json: index file missing"
    else:
        (version_dir / "manifest.json").write_text("{", encoding="utf-8")
        expected = "manifest.json: missing or unreadable manifest"
    with pytest.raises(KbIndexError, match=expected):
        KbIndex.load_current(tmp_path)


def test_no_index_built_yet(tmp_path: Path) -> None:
    with pytest.raises(KbIndexError, match="no KB index has been built"):
        KbIndex.load_current(tmp_path)


def test_old_versions_are_pruned(tmp_path: Path) -> None:
    for _ in range(7):
        build(ENTRIES, HashingEncoder(), tmp_path)
    assert len(list((tmp_path / "versions").iterdir())) == 5
    json.loads((tmp_path / "versions" / current_version(tmp_path) / "manifest.json").read_text())


ANSWERS = AnswerSignal(weight=0.3, chars=32)
# near-duplicate questions with different answers, as in real bank KBs (手机银行 vs 电话银行 查询公积金)
TWINS = [
    KbEntry("gjj-tel", "怎么查询公积金", "拨打电话银行热线，按语音提示选择公积金查询。", similar=("公积金查询方法",)),
    KbEntry("gjj-app", "怎么查询公积金", "登录手机银行，在首页点击公积金查询。", similar=("公积金怎么查",)),
    *ENTRIES,
]


def _brute_force_entries(index: KbIndex, query: np.ndarray, weight: float, k: int) -> list[int]:
    """The oracle: every question scored, max per entry, plus weight x answer cosine, best k entries."""
    vectors = index.faiss.reconstruct_n(0, index.faiss.ntotal)
    question_scores = vectors @ query
    best = np.full(len(index.entries), -np.inf)
    np.maximum.at(best, index.question_entry, question_scores)
    fused = best + (weight * (index.answer_vectors @ query) if index.answer_vectors is not None else 0.0)
    return [int(e) for e in np.argsort(-fused, kind="stable")[:k]]


@pytest.mark.parametrize("query", ["怎么查询公积金", "手机银行查公积金", "电话银行公积金查询", "卡丢了", "几点开门",
                                   "转账要手续费吗", "公积金"])
def test_answer_aware_search_equals_numpy_brute_force(tmp_path: Path, query: str) -> None:
    encoder = HashingEncoder()
    build(TWINS, encoder, tmp_path, answers=ANSWERS)
    index = KbIndex.load_current(tmp_path)
    vector = encoder.encode_queries([query])[0]
    found = index.search(vector, k=4, fetch=index.faiss.ntotal)
    assert [c.entry for c in found] == _brute_force_entries(index, vector, ANSWERS.weight, 4)


def test_answers_separate_near_duplicate_questions(tmp_path: Path) -> None:
    encoder = WideHashingEncoder()
    build(TWINS, encoder, tmp_path, answers=ANSWERS)
    with_answers = KbIndex.load_current(tmp_path)
    for query, expected in (("手机银行怎么查询公积金", "gjj-app"), ("电话银行怎么查询公积金", "gjj-tel")):
        top = with_answers.search(encoder.encode_queries([query])[0], k=2)
        assert with_answers.entries[top[0].entry].id == expected, query
        # the confidence the answer policy reads is still the question cosine
        assert top[0].score == pytest.approx(float(encoder.encode_queries([query])[0]
                                                   @ encoder.encode_queries(["怎么查询公积金"])[0]), abs=1e-5)


def test_answer_vectors_are_cached_and_checked(tmp_path: Path) -> None:
    first = build(TWINS, HashingEncoder(), tmp_path, answers=ANSWERS)
    assert (first.answer_weight, first.answer_chars, first.encoded_answers) == (0.3, 32, len(TWINS))
    edited = [dataclasses.replace(TWINS[0], answer="请拨打客服热线95500查询公积金。"), *TWINS[1:]]
    encoder = HashingEncoder()
    again = build(edited, encoder, tmp_path, answers=ANSWERS)
    assert encoder.encoded_answers == [answer_snippet(edited[0], 32)] and again.encoded_answers == 1
    assert encoder.encoded == []  # no question changed
    answers_file = tmp_path / "versions" / again.version / "answers.npy"
    np.save(answers_file, np.zeros((2, 64), np.float32))
    with pytest.raises(KbIndexError, match="answers.npy: checksum does not match"):
        KbIndex.load_current(tmp_path)
    answers_file.unlink()
    with pytest.raises(KbIndexError, match="answers.npy: index file missing"):
        KbIndex.load_current(tmp_path)


def test_answer_text_is_the_normalised_start_of_the_answer() -> None:
    entry = KbEntry("x", "登陆不了怎么办", "請先確認帳號：ABC", similar=())
    assert answer_snippet(entry, 6) == "请先确认账号"
    assert answer_snippet(dataclasses.replace(entry, answer=""), 6) == "登录不了怎么办"


def test_a_kb_without_answers_or_a_zero_weight_builds_question_only(tmp_path: Path) -> None:
    bare = [dataclasses.replace(e, answer=NO_ANSWER) for e in ENTRIES]  # an evaluation set without answers
    for entries, signal in ((bare, ANSWERS), (ENTRIES, AnswerSignal(0.0, 32))):
        manifest = build(entries, HashingEncoder(), tmp_path, answers=signal)
        assert manifest.answer_weight == 0 and manifest.encoded_answers == 0
        assert not (tmp_path / "versions" / manifest.version / "answers.npy").exists()
        assert KbIndex.load_current(tmp_path).answer_vectors is None
