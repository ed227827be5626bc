"""bot/novel_terms.py: the words of a message its intent was never trained on (the pure parts, hand-made oracles;
the component in the trained model is exercised through the running bot by tests/e2e/test_kb_arbitration.py)."""

from __future__ import annotations

from bot.novel_terms import content_words, novel_terms, vocabulary


def test_content_words_are_nouns_verbs_and_adjectives_of_two_or_more_characters() -> None:
    words = content_words("贷款需要哪些材料，ETF 123 多少")
    assert "贷款" in words and "材料" in words and "ETF" in words and "需要" in words
    assert "哪些" not in words and "多少" not in words and "123" not in words
    assert "免息" in content_words("信用卡最多能免息多少天") and "强平" in content_words("两融会被强平吗")
    assert "已经" not in content_words("已经还了") and "一次性" not in content_words("一次性结清")


def test_content_words_are_read_in_simplified_characters() -> None:
    assert content_words("銀行卡丟了怎麼掛失") == content_words("银行卡丢了怎么挂失")
    assert content_words("ＥＴＦ") == ["ETF"]


def test_vocabulary_counts_documents_not_occurrences() -> None:
    per_intent, df, n = vocabulary([("银行卡和银行卡", "a"), ("银行卡", "b"), ("信用卡", "b")])
    assert n == 3 and df["银行卡"] == 2 and df["信用卡"] == 1
    assert per_intent == {"a": {"银行卡"}, "b": {"银行卡", "信用卡"}}


def test_novel_terms_are_rare_words_the_intent_never_saw() -> None:
    per_intent = {"stock_account_open": {"股票", "账户"}, "card_report_loss": {"银行卡"}, "other": {"业务"}}
    df, n = {"股票": 2, "账户": 2, "银行卡": 1, "信用卡": 1, "业务": 200}, 205
    # 闲钱 and 逆回购 are in no example; 业务 is in most (common across intents), 股票 and 账户 are the intent's own
    assert novel_terms(["股票", "账户", "闲钱", "业务", "逆回购", "闲钱"], "stock_account_open", per_intent, df, n,
                       0.01) == ["闲钱", "逆回购"]
    # a word another intent knows is still new to this one, unless it is common across the training data
    assert novel_terms(["信用卡", "银行卡"], "stock_account_open", per_intent, df, n, 0.01) == ["信用卡", "银行卡"]
    assert novel_terms(["信用卡"], "stock_account_open", per_intent, df, n, 0.001) == []
    assert novel_terms(["银行卡"], "card_report_loss", per_intent, df, n, 0.01) == []
    # an intent without examples (a button payload's intent) has nothing to compare with
    assert novel_terms(["逆回购"], "nlu_fallback", per_intent, df, n, 0.01) == []


def test_the_detector_reports_how_close_the_message_comes_to_its_intents_nearest_example(tmp_path) -> None:
    """intent_support: Dice of character bigrams with the nearest training example of the predicted intent,
    stored with the model and read back (an older model without examples reports none)."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.constants import INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.novel_terms import INTENT_SUPPORT, NovelTermDetector

    storage = LocalModelStorage(tmp_path)
    resource = Resource("novel")
    detector = NovelTermDetector({"max_df": 0.003}, storage, resource)
    detector.train(TrainingData([Message({TEXT: "信用卡怎么还款", INTENT: "credit_card_repayment"}),
                                 Message({TEXT: "信用卡還款方式", INTENT: "credit_card_repayment"}),
                                 Message({TEXT: "银行卡丢了", INTENT: "card_report_loss"})]))
    loaded = NovelTermDetector.load({"max_df": 0.003}, storage, resource, None)
    for component in (detector, loaded):
        message = Message({TEXT: "信用卡怎么还款呢", INTENT: {"name": "credit_card_repayment", "confidence": 0.9}})
        component.process([message])
        # 信用 用卡 卡怎 怎么 么还 还款 shared with the first example (6 of 6 and 7): 12 / 13
        assert message.get(INTENT_SUPPORT) == round(12 / 13, 4)
        unknown = Message({TEXT: "随便", INTENT: {"name": "greet", "confidence": 0.9}})
        component.process([unknown])
        assert unknown.get(INTENT_SUPPORT) is None  # an intent without examples: nothing to compare
