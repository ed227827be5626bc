"""kb_index.overlap: character-bigram Dice (pure), with oracle values."""

from __future__ import annotations

import pytest

from kb_index.overlap import best_dice, bigrams, dice


def test_bigrams_fold_width_case_and_punctuation() -> None:
    assert bigrams("ＡＴＭ转账，") == frozenset({"at", "tm", "m转", "转账"})
    assert bigrams("卡") == frozenset({"卡"})
    assert bigrams(" ，。") == frozenset()


@pytest.mark.parametrize("a, b, expected", [
    ("信用卡免息", "信用卡免息", 1.0),
    ("信用卡", "储蓄卡", 0.0),  # 信用 用卡 against 储蓄 蓄卡: no bigram in common
    ("手机银行", "网上银行", 2 * 1 / (3 + 3)),  # 银行 shared
    ("挂失", "解挂", 0.0),
    ("", "挂失", 0.0),
])
def test_dice_oracle(a: str, b: str, expected: float) -> None:
    assert dice(bigrams(a), bigrams(b)) == pytest.approx(expected)


def test_dice_counts_shared_bigrams_over_both_sizes() -> None:
    # 信用卡最长免息多少天: 9 bigrams; 信用卡最多能免息多少天: 10; shared 信用 用卡 卡最 免息 息多 多少 少天 = 7
    assert dice(bigrams("信用卡最长免息多少天"), bigrams("信用卡最多能免息多少天")) == pytest.approx(14 / 19)


def test_best_dice_takes_the_closest_sentence() -> None:
    sentences = [bigrams("信用卡怎么还款"), bigrams("信用卡最长免息多少天")]
    assert best_dice("信用卡最多能免息多少天", sentences) == pytest.approx(14 / 19)
    assert best_dice("信用卡最多能免息多少天", []) == 0.0
