"""An intent without its cue word is not understood (bot.intent_cues, pure): every training and held-out
example of a cued intent has its cue; short replies without one (依你的, 算是吧) lack it."""

from __future__ import annotations

import pytest

from bot.intent_cues import INTENT_CUES, lacks_cue
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
