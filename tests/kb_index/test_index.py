"""FAISS index: oracle against numpy brute force, versioned files, checksum, incremental rebuild."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from kb_index.encoders import unit_rows
from kb_index.entry import KbEntry
from kb_index.index import KbIndex, KbIndexError, build, current_version, make_faiss_index
from kb_index.ranking import brute_force_top_k
from tests.kb_index.fakes import HashingEncoder

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
