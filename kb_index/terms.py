"""Key business terms (pure): which channel, card type, currency, loan product, customer type, security tool or
product a text names, and whether a query and a KB entry agree on them.

Near-duplicate KB entries differ in exactly these words (手机银行 vs 电话银行 查询公积金, 信用卡 vs 借记卡 挂失,
美元 vs 港币 汇款), and sentence encoders barely tell them apart: the cosine of 手机银行怎么查公积金 and
电话银行怎么查公积金 is close to 1. The re-ranker gets one agreement feature per group instead.

Texts are compared in their normalised form (``kb_index.normalize``: lower case, simplified). Surface forms
are matched longest first across all groups, so 网银盾 is a security tool and not the channel 网银.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Mapping

# group -> canonical label -> surface forms (normalised text)
TERM_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "channel": {
        "手机银行": ("手机银行", "手机app", "掌上银行", "手机客户端", "手机网银", "app"),
        "网上银行": ("网上银行", "网银", "个人网银", "企业网银", "网站", "官网"),
        "电话银行": ("电话银行", "客服电话", "客服热线", "热线"),
        "短信银行": ("短信银行",),
        "微信银行": ("微信银行", "微信公众号", "微信"),
        "柜台": ("柜台", "柜面", "网点", "营业厅", "营业网点"),
        "自助设备": ("atm", "自助设备", "自助终端", "取款机", "存款机", "柜员机", "自助"),
    },
    "card": {
        "信用卡": ("信用卡", "贷记卡"),
        "准贷记卡": ("准贷记卡",),
        "借记卡": ("借记卡", "储蓄卡"),
        "存折": ("存折",),
    },
    "currency": {
        "人民币": ("人民币",),
        "美元": ("美元", "美金"),
        "欧元": ("欧元",),
        "日元": ("日元",),
        "港币": ("港币", "港元"),
        "英镑": ("英镑",),
        "澳元": ("澳元",),
        "外币": ("外币", "外汇"),
    },
    "loan": {
        "住房贷款": ("住房贷款", "房贷", "个人住房", "按揭", "房屋贷款"),
        "公积金贷款": ("公积金贷款",),
        "汽车贷款": ("汽车贷款", "车贷", "购车贷款"),
        "消费贷款": ("消费贷款", "消费贷"),
        "经营贷款": ("经营贷款", "经营贷", "经营性贷款"),
        "助学贷款": ("助学贷款", "助学贷"),
        "快贷": ("快贷",),
        "质押贷款": ("质押贷款",),
    },
    "customer": {
        "个人": ("个人",),
        "企业": ("企业", "对公", "公司"),
    },
    "security": {
        "网银盾": ("网银盾", "u盾", "usbkey"),
        "动态口令": ("动态口令", "口令卡"),
        "短信验证码": ("短信验证码", "验证码"),
    },
    "product": {
        "理财": ("理财",),
        "基金": ("基金",),
        "贵金属": ("贵金属", "黄金", "白银"),
        "保险": ("保险",),
        "国债": ("国债",),
        "股票": ("股票", "证券", "第三方存管", "银证"),
        "定期": ("定期",),
        "活期": ("活期",),
    },
}
GROUPS = tuple(TERM_GROUPS)

Labels = Mapping[str, frozenset[str]]  # group -> labels named


@lru_cache(maxsize=1)
def _matcher() -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    surface: dict[str, tuple[str, str]] = {}
    for group, labels in TERM_GROUPS.items():
        for label, forms in labels.items():
            for form in forms:
                surface[form] = (group, label)
    pattern = re.compile("|".join(map(re.escape, sorted(surface, key=len, reverse=True))))
    return pattern, surface


def term_labels(text: str) -> dict[str, frozenset[str]]:
    """The labels ``text`` names, by group (groups it names nothing of are absent)."""
    pattern, surface = _matcher()
    found: dict[str, set[str]] = {}
    for match in pattern.finditer(text):
        group, label = surface[match.group()]
        found.setdefault(group, set()).add(label)
    return {group: frozenset(labels) for group, labels in found.items()}


def agreement(query: Labels, candidate: Labels) -> dict[str, int]:
    """Per group: +1 when both name a label in common, -1 when both name labels but none in common (a
    conflict: 手机银行 asked, 电话银行 answered), 0 when either names none."""
    out = {}
    for group in GROUPS:
        mine, theirs = query.get(group, frozenset()), candidate.get(group, frozenset())
        out[group] = 0 if not mine or not theirs else (1 if mine & theirs else -1)
    return out
