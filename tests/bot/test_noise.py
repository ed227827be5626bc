"""Noise is recognised (bot.noise, pure), and only noise: yes/no words, digits, greetings and words are not."""

from __future__ import annotations

import pytest

from bot.noise import noise_kind
from tests.bot.nlu_files import HELDOUT_DIR, TRAINING_DIR, load_examples


@pytest.mark.parametrize(
    "text, kind",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("😂😂😂", "symbols"),
        ("👍", "symbols"),
        ("？？？", "symbols"),
        ("。。。。", "symbols"),
        ("(╯°□°）╯", "symbols"),
        ("asdfgh", "keyboard"),
        ("ASDFGH", "keyboard"),
        ("qwerty", "keyboard"),
        ("lkjhg", "keyboard"),
        ("sdkfjsl", "keyboard"),
        ("jjjjjj", "keyboard"),
        ("asdf asdf", "keyboard"),
        ("啊啊啊啊", "interjections"),
        ("哈哈哈哈哈", "interjections"),
        ("嗯嗯啊啊哦哦", "interjections"),
        ("呃呃呃", "interjections"),
        ("啊？", "interjections"),
        ("顶顶顶", "repeated"),
        ("么么么么", "repeated"),
        ("uiuiuiuiui", "keyboard"),  # a short unit said again and again
        ("lalala", "keyboard"),
        ("1a2s3d4f", "keyboard"),  # letters and digits typed along the keyboard
        ("qwer1234", "keyboard"),
        ("1q2w3e4r", "keyboard"),
        ("hjgfkdlsoe", "keyboard"),  # five consonants and more in a row: no pinyin, no English word
        ("xcvbnkjhda", "keyboard"),
        ("qpwlmnbv 5521", "keyboard"),  # mashed letters beside a few digits
        ("pzoxicuvyb", "keyboard"),  # two hands on two rows, a key of each in turn (poiuy + zxcvb; v8)
        ("plokij", "keyboard"),
        ("qazwsx", "keyboard"),  # walked down the keyboard's columns
        ("zaqxsw", "keyboard"),
    ],
)
def test_noise_is_recognised(text: str, kind: str) -> None:
    assert noise_kind(text) == kind


@pytest.mark.parametrize(
    "text",
    ["嗯", "嗯嗯", "哦哦", "对对对", "好好好", "不不不", "是是是", "谢谢谢谢", "拜拜拜", "人工人工人工", "1234", "1111",
     "尾号6789", "ok", "OK", "yes", "no", "hi", "hello", "thx", "ATM", "ETF", "password", "哈咯", "嗨", "嗯哼",
     "信用卡", "挂失", "啊我的卡丢了", "asdf我的卡呢", "666",
     "nonono", "okokok", "byebyebye", "uiui", "abc123", "a1b2c3", "ukey123", "R5", "尾号1234", "2000元",
     "zhuangzhang", "chuangshang", "SZ000001", "code 8843",
     "cvv 123", "app 2.0", "guashi", "mima wangle", "strength", "transfer", "construction",
     "wechat", "alipay", "paypal", "mastercard", "unionpay", "xinyongka", "huankuan", "iphone"],
)
def test_meaningful_short_messages_are_not_noise(text: str) -> None:
    assert noise_kind(text) is None


def test_no_training_or_heldout_example_of_a_real_intent_is_noise() -> None:
    """Laughter filed as out_of_scope may be noise (both are 'not understood'); nothing else may."""
    noisy = [(ex.intent, ex.text) for ex in load_examples(TRAINING_DIR) + load_examples(HELDOUT_DIR)
             if noise_kind(ex.text) and ex.intent != "out_of_scope"]
    assert not noisy
