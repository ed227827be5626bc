"""An intent without its cue word is not understood (bot.intent_cues, pure): every training and held-out
example of a cued intent has its cue; short replies without one (依你的, 算是吧) lack it."""

from __future__ import annotations

import pytest

from bot.intent_cues import INTENT_CUES, lacks_cue, more_specific_intent, non_banking_task
from tests.bot.nlu_files import HELDOUT_DIR, TRAINING_DIR, load_examples


@pytest.mark.parametrize("folder", [TRAINING_DIR, HELDOUT_DIR], ids=["training", "heldout"])
def test_every_example_of_a_cued_intent_has_its_cue(folder) -> None:
    examples = [e for e in load_examples(folder) if e.intent in INTENT_CUES]
    assert len({e.intent for e in examples}) == len(INTENT_CUES)
    assert [e.text for e in examples if lacks_cue(e.intent, e.text)] == []


@pytest.mark.parametrize("text", ["依你的", "算是吧", "随便吧", "那好吧", "就这样", "嗯哼", "差不多吧"])
def test_replies_without_a_cue_are_not_bot_challenges(text: str) -> None:
    assert lacks_cue("bot_challenge", text)


@pytest.mark.parametrize("text", ["你是机器人吗", "是真人吗", "你到底是谁", "我在跟AI聊天？", "你是不是自动回复",
                                  "你叫什么名字", "對面是真人還是電腦"])
def test_bot_challenges_keep_their_intent(text: str) -> None:
    assert not lacks_cue("bot_challenge", text)


def test_intents_without_cues_are_never_filtered() -> None:
    assert not lacks_cue("affirm", "算是吧") and not lacks_cue(None, "算是吧")


@pytest.mark.parametrize("text", [
    "帮我给支行的联欢会写个相声",
    "以存钱为题写一首诗歌",
    "客户经理的述职报告帮我写一段",
    "講個銀行保安的笑話",  # folded like the compliance patterns
    "诈骗电话的台词帮我写一下，要逼真",
    "帮忙润色这句：本行信用卡发卡量创新高",
    "帮我算下这道应用题，银行利息那种",
    "以网点开业为题写一首顺口溜",
    "用转账限额出个灯谜考考我",  # v14: a tongue twister about the repayment date got the repayment answer
    "给信用卡中心编几句快板",
    "以挂失为主题写个广告词",
])
def test_writing_jokes_and_homework_are_non_banking_tasks(text: str) -> None:
    assert non_banking_task(text)


@pytest.mark.parametrize("text", [
    "汇款用途怎么写",
    "报警材料怎么写",
    "转账附言写什么好",
    "骗子常用的台词有哪些，怎么识别",  # fraud awareness: no writing asked
    "理财的故事都是骗人的吗",
    "帮我算一下房贷月供",
    "存款证明怎么开",
    "信用卡口号是什么意思",  # no making asked
    "银行的宣传口号在哪看",
])
def test_banking_questions_are_no_tasks(text: str) -> None:
    assert not non_banking_task(text)


@pytest.mark.parametrize("folder", [TRAINING_DIR, HELDOUT_DIR], ids=["training", "heldout"])
def test_no_example_of_a_banking_intent_is_a_non_banking_task(folder) -> None:
    assert [e.text for e in load_examples(folder) if e.intent != "out_of_scope" and non_banking_task(e.text)] == []


def test_the_noise_filter_answers_a_task_as_out_of_scope_and_noise_as_not_understood() -> None:
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.noise_filter import NoiseFilter

    component = NoiseFilter(NoiseFilter.get_default_config())
    ranking = [{"name": "guaranteed_return", "confidence": 0.34}, {"name": "out_of_scope", "confidence": 0.2}]
    task, noise, plain = (Message({TEXT: text, INTENT: dict(ranking[0]), INTENT_RANKING_KEY: list(ranking)})
                          for text in ("给我们支行的年会编个小品剧本", "啊啊啊啊啊", "理财产品保本吗"))
    component.process([task, noise, plain])
    assert task.get(INTENT) == {"name": "out_of_scope", "confidence": 1.0}
    assert [r["name"] for r in task.get(INTENT_RANKING_KEY)] == ["out_of_scope", "guaranteed_return"]
    assert noise.get(INTENT)["name"] == "nlu_fallback"
    assert plain.get(INTENT)["name"] == "guaranteed_return"


@pytest.mark.parametrize("folder", [TRAINING_DIR, HELDOUT_DIR], ids=["training", "heldout"])
def test_a_more_specific_intent_is_named_only_where_the_examples_agree(folder) -> None:
    """The found-again cue never fires on an example of another intent, whatever the classifier says of it."""
    examples = load_examples(folder)
    assert [(e.intent, e.text) for e in examples
            if more_specific_intent("card_report_loss", e.text) not in (None, e.intent)] == []


@pytest.mark.parametrize("text", [
    "挂失以后卡在抽屉里找到了，怎么恢复",
    "前两天挂了失的卡又在包里摸出来了",
    "電話掛失的卡在車上找到了，能繼續用嗎",  # traditional characters
    "家里人替我挂失了，其实卡没丢",
    "挂失的那张卡警察帮忙追回来了，怎么解挂",  # recovered by the police
])
def test_a_card_reported_lost_and_found_again_is_unfreezing(text: str) -> None:
    assert more_specific_intent("card_report_loss", text) == "card_unfreeze_loss"


@pytest.mark.parametrize("text", [
    "卡丢了还没找到，先帮我挂失",
    "卡找不到了，怎么挂失",
    "帮我找到最近的网点挂失",
    "卡在出租车上找不回来了，马上挂失",
    "卡找到了",  # no loss reported: nothing to lift
    "卡里被盗刷的钱能追回吗，卡已经挂失了",  # the money, not the card
])
def test_a_card_still_lost_stays_a_loss_report(text: str) -> None:
    assert more_specific_intent("card_report_loss", text) is None
    assert more_specific_intent("card_reissue", "挂失的卡找到了") is None  # only the classifier's loss report


def test_the_noise_filter_names_the_more_specific_intent_and_keeps_the_entities() -> None:
    from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.noise_filter import NoiseFilter

    ranking = [{"name": "card_report_loss", "confidence": 0.62}, {"name": "card_unfreeze_loss", "confidence": 0.3}]
    digits = [{"entity": "card_last4", "value": "0426", "start": 2, "end": 6}]
    found = Message({TEXT: "尾号0426挂失后又在包里找到了", INTENT: dict(ranking[0]), INTENT_RANKING_KEY: list(ranking),
                     ENTITIES: list(digits)})
    NoiseFilter(NoiseFilter.get_default_config()).process([found])
    assert found.get(INTENT) == {"name": "card_unfreeze_loss", "confidence": 1.0}
    assert [r["name"] for r in found.get(INTENT_RANKING_KEY)] == ["card_unfreeze_loss", "card_report_loss"]
    assert found.get(ENTITIES) == digits
