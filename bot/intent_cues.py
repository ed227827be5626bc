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

from kb_index.normalize import simplified

INTENT_CUES: Mapping[str, Pattern[str]] = {
    "bot_challenge": re.compile(
        r"人|机|程序|[Aa][Ii]|智能|[Bb][Oo][Tt]|谁|客服|自动|真|電腦|电脑|软件|軟件|系统|系統|模型|GPT|gpt|算法|名字"
        r"|介绍|介紹|你是|妳是|您是|助手|虚拟|虛擬|活的"),
}


def lacks_cue(intent: str | None, text: str) -> bool:
    """Whether ``intent`` needs a cue word (:data:`INTENT_CUES`) that ``text`` does not contain."""
    cue = INTENT_CUES.get(intent or "")
    return cue is not None and cue.search(text or "") is None


# Writing, homework and entertainment requests that merely mention a bank (给我们银行的年会编个小品剧本, 骗子的台词
# 怎么写才像真的, 帮我润色一句, 讲个跟柜员有关的笑话, 小明在银行存100元的数学题): tasks this service cannot do,
# whatever banking word they carry. A composition needs both the creative object and the asking to make one.
_WORKS = ("剧本 小品 台词 笑话 段子 相声 诗歌 打油诗 藏头诗 顺口溜 绕口令 快板 谜语 灯谜 歇后语 对联 作文 文案 "
          "广告词 口号 演讲稿 歌词 故事 脱口秀 年终总结 工作总结 述职报告 数学题 应用题 作业题 一首诗 首诗")
_WORK = "(?:" + "|".join(_WORKS.split()) + ")"
_MAKE = "(?:编|写|创作|润色|改写|续写|讲|来|出)"
NON_BANKING_TASK: Pattern[str] = re.compile(
    _MAKE + r"[^。！？?!\n]{0,14}?" + _WORK                      # 编个小品剧本, 讲个…笑话, 写一首关于…的打油诗
    + "|" + _WORK + r"[^。！？?!\n]{0,8}?(?:怎么写|怎么编|帮我写|写一下|写一段|算一下|怎么算|怎么做)"  # 台词怎么写
    + r"|(?:帮我|帮忙|给我)(?:润色|改写|翻译|算下?)(?:一下)?(?:这|一)?句"       # 帮我润色一句
    + r"|(?:帮我|帮忙|给我)算[^。！？?!\n]{0,6}(?:数学题|作业|应用题)"
)


def non_banking_task(text: str) -> bool:
    """Whether ``text`` asks for a piece of writing, a joke or homework (:data:`NON_BANKING_TASK`), read in
    simplified characters, full-width folded."""
    return NON_BANKING_TASK.search(simplified(text)) is not None


# A card reported lost and then found again (挂失的那张卡在沙发缝里翻出来了): the classifier, led by 挂失, says
# card_report_loss, but the customer wants the loss lifted. A loss report named together with the card found
# again - a finding verb after the card, or in the perfective (找到了, 摸出来了), never negated (没找到, 找不到) -
# is card_unfreeze_loss. Checked against every training and held-out example (tests/bot/test_intent_cues.py).
_FOUND = ["找到", "找着", "找回来", "翻出来", "摸出来", "捞出来", "翻到", "摸到", "捡到", "捡回来"]
# recovered by someone else (警察帮忙追回来了): only done, since 卡里的钱能追回吗 asks about the money
_RECOVERED = ["追回来", "追回", "拿回来"]
_FOUND_AGAIN: Pattern[str] = re.compile(
    r"(?:卡|它)[^。！？?!\n]{0,8}?(?<![没不])(?:" + "|".join(_FOUND) + ")"
    + r"|(?<![没不])(?:" + "|".join(f + "了" for f in _FOUND + _RECOVERED) + ")"
    + r"|卡(?:其实)?没丢"
)
_LOSS_REPORTED: Pattern[str] = re.compile(r"挂失|挂了|挂掉|止付")
# {the classifier's intent: (the intent a message names more specifically, the cues it must all contain)}
SPECIFIC_INTENTS: Mapping[str, tuple[str, tuple[Pattern[str], ...]]] = {
    "card_report_loss": ("card_unfreeze_loss", (_LOSS_REPORTED, _FOUND_AGAIN)),
}


def more_specific_intent(intent: str | None, text: str) -> str | None:
    """The intent ``text`` asks more specifically than ``intent`` (a lost card found again: card_unfreeze_loss), or
    None; read in simplified characters, full-width folded."""
    specific, cues = SPECIFIC_INTENTS.get(intent or "", (None, ()))
    if specific is None:
        return None
    folded = simplified(text)
    return specific if all(cue.search(folded) for cue in cues) else None
