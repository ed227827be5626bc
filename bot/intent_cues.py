"""Cue words an intent cannot do without (pure; used by :mod:`bot.noise_filter`).

Some intents are always asked with a word that names what is asked: whether one talks to a person or a program
(bot_challenge) names the bot, a person, a program or asks 你是谁. Short replies with none of them — 依你的, 算是吧
— are yes/no answers without a question, which the classifier puts on the nearest short intent; without its cue
the message is not understood (nlu_fallback) rather than answered with 我是智能客服. Checked against every
training and held-out example of these intents (tests/bot/test_intent_cues.py).
"""

from __future__ import annotations

import re
from typing import Mapping, Pattern

INTENT_CUES: Mapping[str, Pattern[str]] = {
    "bot_challenge": re.compile(
        r"人|机|程序|[Aa][Ii]|智能|[Bb][Oo][Tt]|谁|客服|自动|真|電腦|电脑|软件|軟件|系统|系統|模型|GPT|gpt|算法|名字"
        r"|介绍|介紹|你是|妳是|您是|助手|虚拟|虛擬|活的"),
}


def lacks_cue(intent: str | None, text: str) -> bool:
    """Whether ``intent`` needs a cue word (:data:`INTENT_CUES`) that ``text`` does not contain."""
    cue = INTENT_CUES.get(intent or "")
    return cue is not None and cue.search(text or "") is None
