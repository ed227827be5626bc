"""The learned re-ranker: leave-one-out without leakage, better-or-equal ranking than today's scoring on a
synthetic KB of near-duplicate entries, shipped checksummed with the index, deterministic, and today's scoring
for a KB too small to learn from."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from kb_index.entry import KbEntry
from kb_index.features import KbFeatureData, candidate_features, loo_candidates
from kb_index.index import KbIndex, KbIndexError, answer_for_features, build, question_table
from kb_index.lexical import Bm25, char_ngrams, word_tokens
from kb_index.normalize import normalise_query
from kb_index.ranking import AnswerSignal
from kb_index.reranker import RerankerConfig, training_questions
from tests.kb_index.fakes import HashingEncoder, synthetic_kb

CONFIG = RerankerConfig(min_entries=5, min_queries=20, rounds=60, seeds=(0, 1), num_threads=1,
                        params={"learning_rate": 0.1, "num_leaves": 7, "min_data_in_leaf": 10})
ANSWERS = AnswerSignal(0.2, 32)


def feature_data(entries: list[KbEntry], encoder: HashingEncoder) -> tuple[KbFeatureData, list[str]]:
    table = question_table(entries)
    texts = [t for _, t in table]
    return KbFeatureData.build(texts, np.array([e for e, _ in table]), encoder.encode_queries(texts),
                               [answer_for_features(e) for e in entries],
                               encoder.encode_queries([answer_for_features(e) for e in entries])), texts


def test_bm25_with_a_held_out_document_equals_bm25_without_it() -> None:
    docs = [word_tokens(t) for t in ("手机银行查询公积金", "电话银行查询公积金", "信用卡挂失", "手机银行转账限额")]
    query = word_tokens("手机银行怎么查公积金")
    without = Bm25([d for i, d in enumerate(docs) if i != 0])
    assert np.allclose(Bm25(docs).scores(query, [1, 2, 3], held_out=0), without.scores(query, [0, 1, 2]))
    assert not np.allclose(Bm25(docs).scores(query, [1, 2, 3]), without.scores(query, [0, 1, 2]))


def test_a_leave_one_out_query_sees_the_kb_exactly_as_if_its_question_were_not_in_it() -> None:
    """Features of a held-out question equal the features computed on a KB rebuilt without that question; the
    held-out question is never a candidate. Fails if the held-out question leaks into any feature."""
    encoder = HashingEncoder()
    entries, _ = synthetic_kb()
    data, texts = feature_data(entries, encoder)
    held_out = 1  # the second question of the first entry
    query, vector = texts[held_out], encoder.encode_queries([texts[held_out]])[0]
    loo = loo_candidates(data, vector, held_out)
    assert held_out not in [c.question for c in loo]
    assert data.question_entry[held_out] in [c.entry for c in loo]  # its entry still competes, by its others
    first = entries[0]
    removed = [KbEntry(first.id, first.question, first.answer,
                       similar=tuple(q for q in first.similar if normalise_query(q) != query)), *entries[1:]]
    reduced, reduced_texts = feature_data(removed, encoder)
    assert reduced_texts == texts[:held_out] + texts[held_out + 1:]
    oracle = loo_candidates(reduced, vector, held_out=None)
    renumber = {i: i - (i > held_out) for i in range(len(texts))}
    assert [(c.entry, renumber[c.question], round(c.score, 6)) for c in loo] == \
        [(c.entry, c.question, round(c.score, 6)) for c in oracle]
    features = candidate_features(data, query, vector, loo, held_out=held_out)
    oracle_features = candidate_features(reduced, query, vector, oracle)
    assert np.allclose(features, oracle_features, equal_nan=True)
    leaked = candidate_features(data, query, vector, loo)  # the same query with its question left in the KB
    assert not np.allclose(leaked, oracle_features, equal_nan=True)


def test_only_questions_of_multi_question_entries_are_training_queries_and_small_kbs_get_none() -> None:
    entries, _ = synthetic_kb()
    data, _ = feature_data(entries + [KbEntry("single", "只有一个问题的条目", "答案")], HashingEncoder())
    held_out = training_questions(data, CONFIG)
    assert len(held_out) == sum(len(e.questions) for e in entries)
    assert all(data.entry_questions[data.question_entry[q]].size > 1 for q in held_out)
    small, _ = feature_data(entries[:3], HashingEncoder())
    assert training_questions(small, CONFIG) == []


def top1(index: KbIndex, queries: list[tuple[str, str]], encoder: HashingEncoder) -> float:
    right = 0
    for text, gold in queries:
        query = normalise_query(text)
        found = index.search(encoder.encode_queries([query])[0], k=3, text=query)
        right += index.entries[found[0].entry].id == gold
    return right / len(queries)


@pytest.fixture(scope="module")
def reranked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    kb_dir = tmp_path_factory.mktemp("reranked")
    build(synthetic_kb()[0], HashingEncoder(), kb_dir, answers=ANSWERS, reranker=CONFIG)
    return kb_dir


def test_the_reranker_ranks_new_paraphrases_at_least_as_well_as_todays_scoring(reranked: Path,
                                                                               tmp_path: Path) -> None:
    encoder = HashingEncoder()
    entries, queries = synthetic_kb()
    build(entries, encoder, tmp_path, answers=ANSWERS)  # today's default: question cosine + 0.2 x answer
    baseline = top1(KbIndex.load_current(tmp_path), queries, encoder)
    learned = top1(KbIndex.load_current(reranked), queries, encoder)
    assert learned >= baseline
    assert learned >= 0.9


def test_candidates_carry_calibrated_probabilities(reranked: Path) -> None:
    index = KbIndex.load_current(reranked)
    encoder = HashingEncoder()
    query = normalise_query("我想用电话银行查询公积金")
    found = index.search(encoder.encode_queries([query])[0], k=5, text=query)
    probabilities = [c.confidence for c in found]
    assert all(p is not None and 0 <= p <= 1 for p in probabilities)
    assert probabilities[0] == max(probabilities)  # type: ignore[type-var]
    with pytest.raises(ValueError, match="query text"):
        index.search(encoder.encode_queries([query])[0], k=5)
    report = index.reranker.report if index.reranker else {}
    assert report["queries"] == index.manifest.reranker_queries > 0
    assert report["out_of_fold"]["top1"] >= report["out_of_fold_baseline"]["top1"]


def test_the_reranker_ships_checksummed_and_a_damaged_one_is_refused(reranked: Path) -> None:
    index = KbIndex.load_current(reranked)
    assert "reranker.json" in index.manifest.file_checksums
    damaged = reranked / "versions" / "damaged"
    damaged.mkdir()
    for path in index.directory.iterdir():
        (damaged / path.name).write_bytes(path.read_bytes())
    model = json.loads((damaged / "reranker.json").read_text(encoding="utf-8"))
    model["calibration"]["intercept"] += 1.0
    (damaged / "reranker.json").write_text(json.dumps(model), encoding="utf-8")
    with pytest.raises(KbIndexError, match="reranker.json"):
        KbIndex(damaged)


def test_training_is_deterministic(reranked: Path, tmp_path: Path) -> None:
    build(synthetic_kb()[0], HashingEncoder(), tmp_path, answers=ANSWERS, reranker=CONFIG)
    again = KbIndex.load_current(tmp_path).directory / "reranker.json"
    first = KbIndex.load_current(reranked).directory / "reranker.json"
    strip = lambda path: {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items()  # noqa: E731
                          if k != "report"}
    assert strip(again) == strip(first)


def test_a_kb_with_too_few_multi_question_entries_keeps_todays_scoring(tmp_path: Path) -> None:
    entries, _ = synthetic_kb()
    manifest = build(entries[:3], HashingEncoder(), tmp_path, answers=ANSWERS, reranker=CONFIG)
    assert manifest.reranker_queries == 0 and "no re-ranker" in manifest.reranker_note
    assert "reranker.json" not in manifest.file_checksums
    index = KbIndex.load_current(tmp_path)
    query = normalise_query(entries[0].question)
    found = index.search(HashingEncoder().encode_queries([query])[0], k=3, text=query)
    assert index.reranker is None and found[0].confidence is None and found[0].entry == 0


def test_char_ngrams_and_words() -> None:
    assert char_ngrams("网银 盾") == ["网", "银", "盾", "网银", "银盾"]
    assert word_tokens("手机银行怎么查公积金？") == ["手机银行", "怎么", "查", "公积金"]


def test_a_small_edit_reuses_the_last_model_and_a_large_one_retrains(tmp_path: Path) -> None:
    entries, _ = synthetic_kb()
    first = build(entries, HashingEncoder(), tmp_path, answers=ANSWERS, reranker=CONFIG)
    edited = [KbEntry(entries[0].id, entries[0].question, entries[0].answer, similar=(*entries[0].similar, "新问法")),
              *entries[1:]]
    again = build(edited, HashingEncoder(), tmp_path, answers=ANSWERS, reranker=CONFIG)
    assert f"version {first.version} reused (1 questions changed" in again.reranker_note
    assert again.reranker_queries == first.reranker_queries
    assert KbIndex.load_current(tmp_path).reranker is not None
    halved = build(entries[:16], HashingEncoder(), tmp_path, answers=ANSWERS, reranker=CONFIG)
    assert "out-of-fold" in halved.reranker_note and halved.reranker_queries < first.reranker_queries


def test_a_kb_question_typed_verbatim_is_its_entry_with_confidence_one(reranked: Path) -> None:
    index = KbIndex.load_current(reranked)
    encoder = HashingEncoder()
    for entry in (3, 17, 30):
        query = normalise_query(index.entries[entry].similar[0])
        found = index.search(encoder.encode_queries([query])[0], k=3, text=query)
        assert (found[0].entry, found[0].confidence) == (entry, 1.0)


def test_an_index_whose_reranker_has_other_features_answers_with_todays_scoring(reranked: Path,
                                                                                tmp_path: Path) -> None:
    """An index built by older code (other features) is served without its re-ranker, not refused."""
    old = tmp_path / "versions" / "old"
    old.mkdir(parents=True)
    for path in KbIndex.load_current(reranked).directory.iterdir():
        (old / path.name).write_bytes(path.read_bytes())
    model = json.loads((old / "reranker.json").read_text(encoding="utf-8"))
    model["features"] = model["features"][:-1]
    (old / "reranker.json").write_text(json.dumps(model), encoding="utf-8")
    manifest = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256((old / "reranker.json").read_bytes()).hexdigest()
    manifest["file_checksums"]["reranker.json"] = digest
    manifest["checksum"] = hashlib.sha256(b"".join(
        (old / name).read_bytes() for name in ("index.faiss", "questions.json", "entries.json", "answers.npy",
                                               "reranker.json"))).hexdigest()
    (old / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    index = KbIndex(old)
    query = normalise_query("我想用电话银行查询公积金")
    found = index.search(HashingEncoder().encode_queries([query])[0], k=3, text=query)
    assert index.reranker is None and found and found[0].confidence is None
