"""Query normalisation before search (pure): full/half width, traditional -> simplified, common pinyin-IME
typos of banking words, spaces and trailing punctuation. Applied to KB questions and queries alike."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Callable

# frequent input-method typos in banking questions -> the intended word (longest first when applied)
TYPOS = {
    "登陆": "登录", "转帐": "转账", "帐户": "账户", "帐号": "账号", "对帐": "对账", "挂是": "挂失", "挂矢": "挂失",
    "密吗": "密码", "信用咔": "信用卡", "银行咔": "银行卡", "借计卡": "借记卡", "手机银航": "手机银行",
    "网眼": "网银", "验正码": "验证码", "效验码": "校验码", "余鹅": "余额", "利绿": "利率", "年废": "年费",
    "分其": "分期", "还宽": "还款", "环款": "还款", "代款": "贷款", "证劵": "证券", "证卷": "证券", "股标": "股票",
    "开乎": "开户", "消户": "销户", "注消": "注销", "激火": "激活", "屯卡": "吞卡", "吞咔": "吞卡", "理材": "理财",
    "基经": "基金", "手需费": "手续费", "手继费": "手续费", "跨竟": "跨境", "垮行": "跨行",
}
_TYPO_RE = re.compile("|".join(sorted(map(re.escape, TYPOS), key=len, reverse=True)))
_PUNCT = r"[\s,.!?;:，。！？；：、~～…·\"'“”‘’()（）\[\]【】]+"
_PUNCT_EDGES = re.compile(f"^{_PUNCT}|{_PUNCT}$")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _to_simplified() -> Callable[[str], str]:
    import zhconv

    return lambda text: zhconv.convert(text, "zh-cn")


def simplified(text: str) -> str:
    """``text`` full-width folded (NFKC) and in simplified characters, case kept: how the NLU's cue and
    training-example comparisons read a message (銀行卡丟了 is the 银行卡丢了 the training data knows)."""
    return _to_simplified()(unicodedata.normalize("NFKC", text or ""))


def fix_typos(text: str) -> str:
    """``text`` with the common input-method typos of banking words fixed (:data:`TYPOS`, longest first)."""
    return _TYPO_RE.sub(lambda m: TYPOS[m.group()], text)


def fold_in_place(text: str) -> str:
    """``text`` full-width folded, in simplified characters and with the common typos fixed, character for
    character: the same length, so an offset into the result is an offset into ``text`` (how the NLU tokenizer
    reads a message: 想在手機上開個股票帳戶 is the 想在手机上开个股票账户 its training data knows). Where the
    whole-text conversion would change the length, each character is converted alone."""
    whole = fix_typos(simplified(text))
    if len(whole) == len(text):
        return whole
    return "".join(one if len(one := simplified(char)) == 1 else char for char in text)


def normalise_query(text: str) -> str:
    """The form of ``text`` that queries and KB questions are compared in."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    simplified = _to_simplified()(folded)
    fixed = fix_typos(simplified)
    return _PUNCT_EDGES.sub("", _SPACES.sub(" ", fixed)).strip()
