"""The learned re-ranker: leave-one-out without leakage, better-or-equal ranking than today's scoring on a
synthetic KB of near-duplicate entries, shipped checksummed with the index, deterministic, and today's scoring
for a KB too small to learn from."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from kb_index.entry import KbEntry
from kb_index.features import FEATURES, KbFeatureData, candidate_features, loo_candidates
from kb_index.index import KbIndex, KbIndexError, answer_for_features, build, question_table
from kb_index.lexical import Bm25, char_ngrams, word_tokens
from kb_index.normalize import normalise_query
from kb_index.ranking import AnswerSignal
from kb_index.reranker import FIRST_RELEASE, RerankerConfig, training_queries, training_questions
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


@pytest.mark.parametrize("held_out", [(0,), (0, 3)])
def test_bm25_with_held_out_documents_equals_bm25_without_them(held_out: tuple[int, ...]) -> None:
    docs = [word_tokens(t) for t in ("手机银行查询公积金", "电话银行查询公积金", "信用卡挂失", "手机银行转账限额",
                                     "查询公积金余额")]
    query = word_tokens("手机银行怎么查公积金")
    kept = [i for i in range(len(docs)) if i not in held_out]
    without = Bm25([docs[i] for i in kept])
    assert np.allclose(Bm25(docs).scores(query, kept, held_out=held_out), without.scores(query, range(len(kept))))
    assert not np.allclose(Bm25(docs).scores(query, kept), without.scores(query, range(len(kept))))


@pytest.mark.parametrize("kept_others", [None, 1])
def test_a_leave_one_out_query_sees_the_kb_exactly_as_if_its_questions_were_not_in_it(
        kept_others: int | None) -> None:
    """Features of a held-out question equal the features computed on a KB rebuilt without the removed
    questions (the query's own, and with ``kept_others`` 1 all but one of its entry's other questions); no
    removed question is ever a candidate. Fails if a removed question leaks into any feature."""
    encoder = HashingEncoder()
    entries, _ = synthetic_kb()
    first = entries[0]
    first = KbEntry(first.id, first.question, first.answer, similar=(*first.similar, "我想问问手机银行公积金怎么查"))
    entries = [first, *entries[1:]]
    data, texts = feature_data(entries, encoder)
    query_id = 1  # the second question of the first entry (which has 3 or more)
    assert data.entry_questions[0].size >= 3
    removed = (1,) if kept_others is None else tuple(int(q) for q in data.entry_questions[0] if q != 0)
    query, vector = texts[query_id], encoder.encode_queries([texts[query_id]])[0]
    loo = loo_candidates(data, vector, removed)
    assert not set(removed) & {c.question for c in loo}
    assert data.question_entry[query_id] in [c.entry for c in loo]  # its entry still competes, by what is left
    reduced_entry = KbEntry(first.id, first.question, first.answer,
                            similar=tuple(q for i, q in enumerate(first.similar, start=1) if i not in removed))
    reduced, reduced_texts = feature_data([reduced_entry, *entries[1:]], encoder)
    assert reduced_texts == [t for i, t in enumerate(texts) if i not in removed]
    oracle = loo_candidates(reduced, vector)
    renumber = {i: i - sum(r < i for r in removed) for i in range(len(texts)) if i not in removed}
    assert [(c.entry, renumber[c.question], round(c.score, 6)) for c in loo] == \
        [(c.entry, c.question, round(c.score, 6)) for c in oracle]
    features = candidate_features(data, query, vector, loo, held_out=removed)
    oracle_features = candidate_features(reduced, query, vector, oracle)
    assert np.allclose(features, oracle_features, equal_nan=True)
    leaked = candidate_features(data, query, vector, loo)  # the same query with its questions left in the KB
    assert not np.allclose(leaked, oracle_features, equal_nan=True)


def test_only_questions_of_multi_question_entries_are_training_queries_and_small_kbs_get_none() -> None:
    entries, _ = synthetic_kb()
    data, _ = feature_data(entries + [KbEntry("single", "只有一个问题的条目", "答案")], HashingEncoder())
    held_out = training_questions(data, CONFIG)
    assert len(held_out) == sum(len(e.questions) for e in entries)
    assert all(data.entry_questions[data.question_entry[q]].size > 1 for q in held_out)
    small, _ = feature_data(entries[:3], HashingEncoder())
    assert training_questions(small, CONFIG) == []


def test_a_training_querys_entry_keeps_all_or_as_many_questions_as_a_typical_kb_entry() -> None:
    """By default the entry a training query came from keeps all its other questions; "sampled" keeps as many
    as a typical KB entry has (on a KB of mostly single-question entries mostly one), an int that many; the
    query's own question is always removed."""
    entries, _ = synthetic_kb()
    singles = [KbEntry(f"s{i}", f"单独的问题{i}号", f"答案{i}") for i in range(400)]
    data, _ = feature_data(entries + singles, HashingEncoder())
    others = {q: data.entry_questions[data.question_entry[q]].size - 1 for q in training_questions(data, CONFIG)}
    sampled = training_queries(data, dataclasses.replace(CONFIG, keep_others="sampled"))
    assert [q for q, _ in sampled] == sorted(others)
    assert all(q in removed for q, removed in sampled)
    kept = [others[q] - (len(removed) - 1) for q, removed in sampled]
    assert min(kept) == 1 and sum(k == 1 for k in kept) >= 0.8 * len(kept)
    every = training_queries(data, CONFIG)  # the default: the entry keeps all its other questions
    assert every == [(q, (q,)) for q in sorted(others)]
    one = training_queries(data, dataclasses.replace(CONFIG, keep_others=1, variants=2))
    assert all(others[q] - (len(removed) - 1) == 1 for q, removed in one)
    assert len(one) == sum(min(2, n) for n in others.values())  # a copy per kept question, up to 2
    assert len(set(one)) == len(one)
    # a KB whose entries all have several questions: its entries keep several too
    data, _ = feature_data(entries, HashingEncoder())
    kept = [data.entry_questions[data.question_entry[q]].size - len(removed) for q, removed in
            training_queries(data, dataclasses.replace(CONFIG, keep_others="sampled"))]
    assert sum(k > 1 for k in kept) >= 0.4 * len(kept)


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


def test_disagreeing_on_a_business_term_lowers_a_candidates_score_and_never_raises_one(reranked: Path) -> None:
    """The same query and candidates, with the channel agreement of the candidates that name the query's
    channel turned into a conflict: none of them scores higher (monotone constraints), the model does read it
    (some score lower), and the other candidates' scores do not move."""
    index = KbIndex.load_current(reranked)
    assert index.reranker is not None and index.features is not None
    encoder = HashingEncoder()
    query = normalise_query("请问一下电话银行怎么查询公积金呢")
    vector = encoder.encode_queries([query])[0]
    candidates = loo_candidates(index.features, vector)
    features = candidate_features(index.features, query, vector, candidates)
    channel = [FEATURES.index("terms_q_channel"), FEATURES.index("terms_a_channel")]
    agreeing = np.flatnonzero((features[:, channel] > 0).all(axis=1))
    asked = next(i for i, c in enumerate(candidates) if index.entries[c.entry].id == "e20")  # 电话银行 查询公积金
    assert asked in agreeing
    conflicting = features.copy()
    conflicting[:, channel] = np.where(features[:, channel] > 0, -1.0, features[:, channel])
    for name in ("terms_conflicts", "terms_entry_conflicts"):
        conflicting[agreeing, FEATURES.index(name)] += 1
    before, after = index.reranker.scores(features), index.reranker.scores(conflicting)
    assert np.all(after <= before + 1e-12)
    assert np.any(after[agreeing] < before[agreeing])
    assert np.all(after[~np.isin(np.arange(len(candidates)), agreeing)] == before[~np.isin(np.arange(len(candidates)),
                                                                                        agreeing)])


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
    # the same KB with a model trained otherwise (here: retrained on all queries) is trained afresh, not reused
    refit = build(entries[:16], HashingEncoder(), tmp_path, answers=ANSWERS,
                  reranker=dataclasses.replace(CONFIG, serve="refit"))
    assert "out-of-fold" in refit.reranker_note and "reused" not in refit.reranker_note


def test_the_served_model_is_the_fold_boosters_or_a_refit_on_all_queries(reranked: Path, tmp_path: Path) -> None:
    """``serve="folds"`` ships the cross-fitting's boosters (folds x seeds), the very models whose out-of-fold
    scores the calibration was fitted on; ``"refit"`` ships ``seeds`` boosters trained again on all queries.
    Both record their design, and both rank a KB question's paraphrase with a probability."""
    served = KbIndex.load_current(reranked).reranker
    assert served is not None and CONFIG.serve == "folds"
    assert len(served.boosters) == CONFIG.folds * len(CONFIG.seeds)
    assert served.design is not None and served.design["serve"] == "folds"
    build(synthetic_kb()[0], HashingEncoder(), tmp_path, answers=ANSWERS,
          reranker=dataclasses.replace(CONFIG, serve="refit"))
    refit = KbIndex.load_current(tmp_path).reranker
    assert refit is not None and len(refit.boosters) == len(CONFIG.seeds) and refit.design is not None
    assert refit.design["serve"] == "refit"
    # the out-of-fold report (what thresholds are chosen on) does not depend on what is served
    assert refit.report["probabilities"] == served.report["probabilities"]


def test_a_kb_question_typed_verbatim_is_its_entry_with_confidence_one(reranked: Path) -> None:
    index = KbIndex.load_current(reranked)
    encoder = HashingEncoder()
    for entry in (3, 17, 30):
        query = normalise_query(index.entries[entry].similar[0])
        found = index.search(encoder.encode_queries([query])[0], k=3, text=query)
        assert (found[0].entry, found[0].confidence) == (entry, 1.0)


def test_a_reranker_reading_some_of_the_features_serves_with_those(tmp_path: Path) -> None:
    """The configuration names the features the model reads (the first release read fewer): it ships their
    names and serving hands it those columns."""
    config = dataclasses.replace(CONFIG, features=FIRST_RELEASE.features, keep_others="all", monotone=False)
    build(synthetic_kb()[0], HashingEncoder(), tmp_path, answers=ANSWERS, reranker=config)
    index = KbIndex.load_current(tmp_path)
    assert index.reranker is not None and index.reranker.features == FIRST_RELEASE.features
    assert len(FIRST_RELEASE.features) < len(FEATURES)
    encoder = HashingEncoder()
    query = normalise_query("我想用电话银行查询公积金")
    found = index.search(encoder.encode_queries([query])[0], k=3, text=query)
    assert index.entries[found[0].entry].id == "e20" and found[0].confidence is not None


def test_an_index_whose_reranker_has_other_features_answers_with_todays_scoring(reranked: Path,
                                                                                tmp_path: Path) -> None:
    """An index built by older code (other features) is served without its re-ranker, not refused."""
    old = tmp_path / "versions" / "old"
    old.mkdir(parents=True)
    for path in KbIndex.load_current(reranked).directory.iterdir():
        (old / path.name).write_bytes(path.read_bytes())
    model = json.loads((old / "reranker.json").read_text(encoding="utf-8"))
    model["features"] = [*model["features"][:-1], "a_retired_feature"]
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
