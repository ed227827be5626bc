"""Is a message noise? (pure; used by :mod:`bot.noise_filter`).

A statistical classifier has to put every message somewhere, and short noise — 啊啊啊啊, asdfgh, 😂😂, ？？？ —
lands on the short intents (affirm, deny, inform), which the dialogue then acknowledges as if the customer had
agreed to something. These rules recognise the kinds of noise customers actually send so the NLU can say
"not understood" (nlu_fallback) instead. They are deliberately narrow: anything with a digit (a card's last
four digits inside a form), a yes/no word (嗯, 对对对, 好好好, 不不不) or ordinary words is not noise.
"""

from __future__ import annotations

import re
import unicodedata

# interjections and laughter: a message made only of these says nothing a bank can act on ...
INTERJECTIONS = frozenset("啊阿哦噢喔呃额嗯恩哈呵嘿嘻呜哇啦呀唔咦哎唉嗷嘤哟呦哒咩喵嘎噫")  # not 嗨/咯 (哈咯 = hello)
# ... except plain acknowledgements (嗯, 嗯嗯, 哦哦), which the dialogue may use as a yes where it asked something
ACKNOWLEDGEMENTS = frozenset("嗯恩哦噢喔")
# characters that make a repeated message a real yes/no/thanks/bye (对对对, 好好好, 不不不, 谢谢谢谢, 拜拜拜)
YES_NO_CHARS = frozenset("对好是行可中成要嗯恩不没否谢拜再")
KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
KEYBOARD_COLUMNS = ("qaz", "wsx", "edc", "rfv", "tgb", "yhn", "ujm")
# Latin words customers really type to a Chinese bank bot (yes/no/greetings/thanks; product acronyms)
KNOWN_LATIN = frozenset({
    "ok", "okk", "okay", "yes", "yep", "yeah", "yup", "no", "nope", "nah", "hi", "hey", "hello", "bye", "byebye",
    "thx", "thanks", "thank", "tks", "ty", "u", "pls", "please", "help", "app", "atm", "etf", "lof", "qdii", "cvv",
    "pin", "vip", "id", "sos",
})
_LATIN_WORD = re.compile(r"[a-z]+")
_REPEATED_UNIT = re.compile(r"([a-z]{1,3})\1{2,}")  # uiuiui, lalala, xyzxyzxyz
NUMBER_ROW = "1234567890"
# five consonants in a row (hjgfkdlsoe): pinyin has at most four (zhuangzhang: ngzh), English words almost never
_CONSONANT_RUN = re.compile(r"[^aeiouy]{5,}")


def _is_content(ch: str) -> bool:
    """Letters (Latin, CJK ...) and digits carry content; punctuation, symbols and emoji do not."""
    return unicodedata.category(ch)[0] in "LN"


def _keyboard_run(word: str, length: int = 4) -> bool:
    """``word`` has ``length`` consecutive keys of one keyboard row, either direction (asdf, lkjh, qwer)."""
    for row in KEYBOARD_ROWS:
        for seq in (row, row[::-1]):
            if any(seq[i:i + length] in word for i in range(len(seq) - length + 1)):
                return True
    return False


def _two_hand_mash(word: str) -> bool:
    """Two keyboard rows walked at once, a key of each in turn (pzoxicuvyb is poiuy and zxcvb, plokij)."""
    return len(word) >= 6 and _keyboard_run(word[0::2], 3) and _keyboard_run(word[1::2], 3)


def _column_walk(word: str) -> bool:
    """Keys walked down (or up) two keyboard columns (qazwsx, edcrfv, zaqxsw)."""
    return sum(word.count(col) + word.count(col[::-1]) for col in KEYBOARD_COLUMNS) >= 2


def _gibberish_latin(word: str) -> bool:
    if word in KNOWN_LATIN or len(word) < 4:
        return False
    repeated = _REPEATED_UNIT.fullmatch(word)
    return (_keyboard_run(word) or _two_hand_mash(word) or _column_walk(word)
            or not re.search(r"[aeiouy]", word) or _CONSONANT_RUN.search(word) is not None
            or re.search(r"(.)\1\1", word) is not None
            or (repeated is not None and repeated.group(1) not in KNOWN_LATIN))


def _number_row_run(digits: str, length: int = 3) -> bool:
    """``digits`` is a walk along the number row, either direction (123, 1234, 4321, 7890)."""
    return len(digits) >= length and any(digits in seq for seq in (NUMBER_ROW, NUMBER_ROW[::-1]))


def _keyboard_mash_with_digits(content: str) -> bool:
    """Letters and digits typed together along the keyboard (1a2s3d4f, qwer1234, 1q2w3e4r): the letters alone
    are keyboard noise and the digits alone walk the number row. A card's last four digits or an amount never
    look like this."""
    letters = "".join(ch for ch in content if ch.isalpha())
    digits = "".join(ch for ch in content if ch.isdigit())
    return len(letters) >= 3 and _number_row_run(digits) and (
        _keyboard_run(letters, 3) or _gibberish_latin(letters))


def _mashed_letters(content: str) -> bool:
    """Keyboard-mashed letters beside some digits (zmxncbv 0099): every Latin word is gibberish and one has five
    letters or more - a short one (abc123, SZ000001, ukey123) may be a code or a product."""
    words = _LATIN_WORD.findall(content)
    return bool(words) and max(len(w) for w in words) >= 5 and all(_gibberish_latin(w) for w in words)


def _repeats(text: str) -> bool:
    """The whole message is one character said three times or more (顶顶顶, 么么么么); a repeated word is not
    noise (人工人工人工 asks for a human)."""
    return len(text) >= 3 and len(set(text)) == 1


def noise_kind(text: str) -> str | None:
    """Why ``text`` is noise (``"empty"``, ``"symbols"``, ``"keyboard"``, ``"interjections"``, ``"repeated"``),
    or None when it may mean something."""
    folded = unicodedata.normalize("NFKC", text).lower()
    content = "".join(ch for ch in folded if _is_content(ch))
    if not folded.strip():
        return "empty"
    if not content:
        return "symbols"  # emoji, punctuation, kaomoji strokes only
    if any(ch.isdigit() for ch in content):
        if content.isascii() and (_keyboard_mash_with_digits(content) or _mashed_letters(content)):
            return "keyboard"
        return None  # 1234 may be the last four digits a form asked for
    if content.isascii():
        words = _LATIN_WORD.findall(content)
        return "keyboard" if words and all(_gibberish_latin(w) for w in words) else None
    if set(content) <= INTERJECTIONS:
        return None if set(content) <= ACKNOWLEDGEMENTS else "interjections"
    if _repeats(content) and not set(content) & YES_NO_CHARS:
        return "repeated"
    return None
