from __future__ import annotations

import numpy as np
import pytest

from kb_index.normalize import fold_in_place, normalise_query
from kb_index.policy import Action, Scored, Thresholds, decide
from kb_index.ranking import (
    AnswerSignal,
    Candidate,
    best_question_per_entry,
    brute_force_top_k,
    fuse,
    rerank_with_answers,
    verbatim_first,
    zscores,
)


@pytest.mark.parametrize(
    "raw, normalised",
    [
        ("手机银行登陆不上", "手机银行登录不上"),
        ("转帐限额多少？", "转账限额多少"),
        ("银行卡挂是", "银行卡挂失"),
        ("ＡＴＭ吞卡了！！", "atm吞卡了"),
        ("網上銀行怎麼開通", "网上银行怎么开通"),
        ("  信用咔   年废  ", "信用卡 年费"),
        ("", ""),
    ],
)
def test_normalise_query(raw: str, normalised: str) -> None:
    assert normalise_query(raw) == normalised


@pytest.mark.parametrize(("raw", "folded"), [
    ("想在手機上開個股票帳戶", "想在手机上开个股票账户"),  # traditional, and 帳戶 (also a typo of 账户)
    ("转帐限额 ６２１７，登陆不了", "转账限额 6217,登录不了"),  # typos and full-width forms, same length
    ("㈠卡號", "㈠卡号"),  # NFKC would expand ㈠ to (一): each character converted alone, ㈠ kept
    ("", ""),
])
def test_fold_in_place_keeps_every_offset(raw: str, folded: str) -> None:
    assert fold_in_place(raw) == folded and len(folded) == len(raw)


def test_entries_score_by_their_best_question() -> None:
    question_entry = np.array([0, 0, 1, 2, 2])
    found = best_question_per_entry([1, 3, 0, 4, -1], [0.9, 0.8, 0.7, 0.95, 0.0], question_entry)
    assert [(c.entry, c.question, round(c.score, 2)) for c in found] == [(2, 4, 0.95), (0, 1, 0.9)]


def test_brute_force_top_k() -> None:
    vectors = np.eye(4, dtype=np.float32)
    scores, idx = brute_force_top_k(np.array([0.1, 0.9, 0.3, 0.0], dtype=np.float32), vectors, 2)
    assert idx.tolist() == [[1, 2]] and np.allclose(scores, [[0.9, 0.3]])


def test_fusion_standardises_each_scorer() -> None:
    a = np.array([0.9, 0.8, 0.1])
    b = np.array([10.0, 30.0, 20.0])
    assert np.allclose(zscores(np.array([2.0, 2.0])), [0.0, 0.0])
    fused = fuse([a, b], [1.0, 1.0])
    assert fused.argmax() == 1  # good on both beats best on one
    with pytest.raises(ValueError):
        fuse([a], [1.0, 2.0])


THRESHOLDS = Thresholds(answer=0.8, suggest=0.6)


def _scored(*scores: float) -> list[Scored]:
    return [Scored(f"e{i}", f"问题{i}", s) for i, s in enumerate(scores)]


def test_answer_rerank_orders_by_question_plus_weighted_answer_score() -> None:
    found = [Candidate(0, 10, 0.95), Candidate(1, 11, 0.94), Candidate(2, 12, 0.80)]
    reranked = rerank_with_answers(found, [0.50, 0.60, 0.99], weight=0.2)
    # 0.95+0.10=1.05 < 0.94+0.12=1.06; 0.80+0.198=0.998 stays last
    assert [c.entry for c in reranked] == [1, 0, 2]
    assert [c.score for c in reranked] == [0.94, 0.95, 0.80]  # the confidence stays the question score
    assert [c.entry for c in rerank_with_answers(found, [0.5, 0.6, 0.99], weight=0.0)] == [0, 1, 2]


def test_answer_rerank_ties_fall_back_to_question_score_then_entry() -> None:
    found = [Candidate(5, 1, 0.90), Candidate(3, 2, 0.90), Candidate(4, 3, 0.95)]
    # fused: 5 -> 1.00, 3 -> 1.00, 4 -> 1.00 (0.95 + 0.05): 4 first by question score, then 3 before 5
    reranked = rerank_with_answers(found, [0.5, 0.5, 0.25], weight=0.2)
    assert [c.entry for c in reranked] == [4, 3, 5]


def test_answer_rerank_and_signal_reject_bad_arguments() -> None:
    with pytest.raises(ValueError, match="one answer score per candidate"):
        rerank_with_answers([Candidate(0, 0, 1.0)], [], 0.2)
    with pytest.raises(ValueError, match="weight >= 0 and chars >= 1"):
        AnswerSignal(-0.1, 32)
    with pytest.raises(ValueError, match="weight >= 0 and chars >= 1"):
        AnswerSignal(0.2, 0)
    assert AnswerSignal(0.2, 32).active and not AnswerSignal(0.0, 32).active


def test_answer_above_the_answer_threshold() -> None:
    decision = decide(_scored(0.85, 0.7), THRESHOLDS)
    assert decision.action is Action.ANSWER and decision.best and decision.best.entry_id == "e0"


def test_suggest_up_to_three_between_the_thresholds() -> None:
    decision = decide(_scored(0.79, 0.75, 0.7, 0.65, 0.5), THRESHOLDS)
    assert decision.action is Action.SUGGEST
    assert [s.entry_id for s in decision.suggestions] == ["e0", "e1", "e2"]


def test_fallback_below_the_suggest_threshold_or_nothing_found() -> None:
    assert decide(_scored(0.59), THRESHOLDS).action is Action.FALLBACK
    assert decide([], THRESHOLDS).action is Action.FALLBACK


def test_edge_values_belong_to_the_higher_band() -> None:
    assert decide(_scored(0.8), THRESHOLDS).action is Action.ANSWER
    assert decide(_scored(0.6), THRESHOLDS).action is Action.SUGGEST
    with pytest.raises(ValueError):
        Thresholds(answer=0.5, suggest=0.6)


def test_char_tfidf_scorer_ranks_entries_by_their_best_question() -> None:
    from kb_index.lexical import CharTfidfScorer

    scorer = CharTfidfScorer(["银行卡挂失", "卡丢了怎么办", "股票开户", "股票几点开盘"], [0, 0, 1, 1])
    found = scorer.search("我的卡丢了", k=5)
    assert [c.entry for c in found] == [0, 1] and found[0].question == 1
    dense = scorer.scores("我的卡丢了")
    assert found[0].score == pytest.approx(float(dense.max()))
    with pytest.raises(ValueError):
        CharTfidfScorer([], [])


CALIBRATED = Thresholds(answer=0.8, suggest=0.6, answer_confidence=0.7, suggest_confidence=0.3,
                        suggestion_floor=0.1)


def calibrated(*rows: tuple[float, float]) -> list[Scored]:
    """Candidates in the re-ranker's order as (cosine, calibrated probability)."""
    return [Scored(f"e{i}", f"q{i}", cos, p) for i, (cos, p) in enumerate(rows)]


@pytest.mark.parametrize(
    "rows, action, suggested",
    [
        ([(0.85, 0.9), (0.84, 0.05)], Action.ANSWER, ()),
        ([(0.80, 0.7)], Action.ANSWER, ()),  # both at their thresholds
        ([(0.79, 0.95), (0.7, 0.02)], Action.SUGGEST, ("e0",)),  # sure, but under the answer cosine gate
        ([(0.85, 0.5), (0.9, 0.3), (0.7, 0.1), (0.7, 0.6)], Action.SUGGEST, ("e0", "e1", "e2")),  # 3 at most
        ([(0.85, 0.5), (0.59, 0.3), (0.7, 0.09)], Action.SUGGEST, ("e0",)),  # gate and floor per suggestion
        ([(0.95, 0.29), (0.95, 0.2)], Action.FALLBACK, ()),  # not sure enough of anything
        ([(0.59, 0.99)], Action.FALLBACK, ()),  # out of domain: under the suggest cosine gate
    ],
)
def test_calibrated_policy_reads_the_probability_with_the_cosine_as_gate(
        rows: list[tuple[float, float]], action: Action, suggested: tuple[str, ...]) -> None:
    decision = decide(calibrated(*rows), CALIBRATED)
    assert decision.action is action and decision.best is not None and decision.best.entry_id == "e0"
    assert tuple(s.entry_id for s in decision.suggestions) == suggested


def test_confidence_thresholds_must_be_ordered_probabilities() -> None:
    with pytest.raises(ValueError, match="probabilities"):
        Thresholds(answer=0.9, suggest=0.8, answer_confidence=0.3, suggest_confidence=0.5)
    with pytest.raises(ValueError, match="probabilities"):
        Thresholds(answer=0.9, suggest=0.8, answer_confidence=1.2)


def test_a_verbatim_question_of_one_entry_goes_first_with_confidence_one() -> None:
    found = [Candidate(2, 7, 0.97, 0.6), Candidate(5, 9, 1.0, 0.3), Candidate(1, 1, 0.9, 0.1)]
    assert [(c.entry, c.confidence) for c in verbatim_first(found, {5})] == [(5, 1.0), (2, 0.6), (1, 0.1)]
    assert verbatim_first(found, {5, 2}) == found  # the wording is filed under two entries: a conflict
    assert verbatim_first(found, set()) == found
