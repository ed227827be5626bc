"""Which compliance answer a message needs, by rule (pure; used by :class:`bot.safety_guard.SafetyGuard`).

The compliance categories must be answered with their fixed wording every time, so the classifier is backed by
narrow patterns over the phrasings that leave no doubt (出租银行卡, 包装贷款, 跳过风险测评, 哪只基金好, 明天大盘
涨不涨). The patterns are written to stay clear of the business questions next to them — how to buy a fund, when
the market opens, what R1-R5 mean, how long an overdue record stays, a card left in a taxi (出租车) — and
``tests/bot/test_compliance_rules.py`` runs them over every training and held-out example of other intents.

Messages are matched in simplified characters with full-width forms and common typos folded (:func:`fold`), so
出租銀行卡, 徵信修復 and 對公帳戶 are caught too.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Pattern

from kb_index.normalize import fix_typos, simplified

# traditional -> simplified, for the characters the patterns below contain (matching only)
_FOLD = str.maketrans(
    "測評風險帳賬戶銀證徵貸漲會買賣嗎隻薦盤為麼錢騙詐幫別個這還給讓過賺虧債價級產財穩擔號電話務資護復養額費凍結"
    "轉進選勢後見點開關們對說問題場優專營動態經類規違處罰報網絡碼測試齊團體驗實際麗訊標準絕圍將鐵縣區鄉書學習導裝業績較係錄刪遞郵註冊",
    "测评风险账账户银证征贷涨会买卖吗只荐盘为么钱骗诈帮别个这还给让过赚亏债价级产财稳担号电话务资护复养额费冻结"
    "转进选势后见点开关们对说问题场优专营动态经类规违处罚报网络码测试齐团体验实际丽讯标准绝围将铁县区乡书学习导装业绩较系录删递邮注册",
)

_ANY = r"[^。！!？?\n]"  # within one clause or sentence
_GAP = r"[^。！!？?\n钱款]"  # ... and not about money taken from a card (卡里的钱借给朋友)


def _alt(words: str) -> str:
    """A non-capturing alternation of space-separated regex pieces."""
    return "(?:" + "|".join(words.split()) + ")"


def _gap(n: int, chars: str = _ANY) -> str:
    return f"{chars}{{0,{n}}}"


# named cards and accounts may be a few characters from the verb; a bare 卡 only right next to it
_NAMED = _alt("银行卡 储蓄卡 借记卡 信用卡 银行账户 对公账户 公司账户 个人账户 支付账户 账户 身份证 "
              "U盾 u盾 手机卡 电话卡 社保卡 存折 微信号 微信账号 支付宝账号 支付宝账户")
_CARD = "(?:" + _NAMED + "|卡)"
_RENT_OUT = r"出租(?!车|房|屋|司机)"  # 出租车 is a taxi: a card left in one is a loss, not a rental
_HELPED = r"(?:帮|替)" + _alt("人 别人 他人 他 她 朋友 老板 网友 陌生人 公司")

# a payment to the customer for it (给我五百, 每个月多给三百块辛苦费, 好处费)
_REWARD = ("(?:" + _alt("给我 付我 给你 多给 返我 每人 每个人 补贴 补我") + _gap(6)
           + r"[\d一二两三四五六七八九十百千万几]+" + _alt("块 元 快 百 千 万") + "|"
           + _alt("辛苦费 好处费 报酬 酬劳 佣金 租金 抽成 提成") + ")")

# not handed to the family (工资卡交给家里管理, 交给我老婆保管)
_FAMILY_NOT = "(?!我|家|老婆|老公|爱人|爸|妈|父|母|孩子|儿子|女儿|媳妇|丈夫|妻子)"

CARD_ACCOUNT_RENTAL: tuple[Pattern[str], ...] = (
    re.compile(_alt(_RENT_OUT + r" 出借(?!人) 出售 收购 租借 转借 转卖 倒卖 高价收 回收 有偿出借 有偿出租")
               + _gap(6, _GAP) + "?" + _NAMED),
    re.compile(_alt(_RENT_OUT + " 出借 出售 收购 买卖 倒卖 租 卖") + "卡"),
    re.compile(_CARD + _gap(4, _GAP) + "?"
               + _alt("借给 租给 卖给 " + _RENT_OUT + " 出借 出售 租出去 借出去 给别人用 给他人用 借他 借她 借别人")),
    re.compile(_CARD + _alt("能 可以 可不可以 能不能") + "?" + _alt("卖掉 卖了 卖吗 能卖 卖钱 换钱")),
    re.compile(r"(?<![出买])(?:卖|租)(?![出车房屋])" + _gap(2) + _NAMED),
    re.compile(r"(?:借|租)(?:我|你|他|她)的?" + _CARD),
    re.compile(_alt("高价收 专业收 长期收 大量收 回收 收二手 有人收") + "(?:二手)?" + _NAMED),
    re.compile(_alt("跑分 帮信罪 断卡 卡农 收款再转 收钱再转")),
    re.compile(_HELPED + _gap(4)
               + _alt("刷流水 刷银行流水 走账 走帐 过(?:一下|个)?账 过帐 代收代付 转账拿提成 拿提成")),
    re.compile(_alt("有人 找我 让我 叫我") + _gap(4) + "刷(?:银行)?流水"),
    re.compile(r"帮\w{0,2}" + _alt("刷 做 走") + _alt("个 点 一下 下 一点") + "?" + _alt("流水 账")),
    # money received for someone and passed straight on (帮他收点钱，进来就马上转走)
    re.compile("帮" + _gap(3) + "收" + _gap(3) + _alt("钱 款") + _gap(14)
               + _alt("转走 转出去 再转 转给他 转给她 转回")),
    # a rent paid for cards, accounts, ID or phone cards (每个月给我两千块租金)
    re.compile(_NAMED + _gap(40) + _alt("租金 月租 日租 租用费 租卡费")),
    re.compile(_alt("租金 月租 日租") + _gap(20) + _NAMED),
    # someone else using the customer's ID, U盾 or card to register or open something (熟人想拿我的身份证去注册网店)
    re.compile(_alt("熟人 朋友 别人 他人 有人 同事 亲戚 网友 老乡 中介 对方 老板") + _gap(6) + _alt("拿 用 借")
               + "我的?" + _gap(4) + _NAMED + _gap(10) + _alt("注册 开户 开店 开网店 办卡 办个 开个")),
    # handing over the card together with its password (寄给他用, 卡和密码都给他)
    re.compile(_CARD + _alt("和 跟 连同 加上") + "(?:取款|交易)?密码" + _gap(4) + _alt("给 交给 寄给 发给")),
    # handing cards or U盾 to someone outside the family to keep or use (把U盾和卡都交给老板保管)
    re.compile(_NAMED + _gap(6, _GAP) + _alt("交给 给了 寄给 放在")
               + _alt("老板 别人 他人 朋友 陌生人 公司 中介 网友 对方") + _gap(4) + _alt("保管 使用 用 操作 拿着")),
    # cards, phone cards and ID mailed to strangers (把银行卡、手机卡还有身份证照片寄给他们)
    re.compile(_NAMED + _gap(16, _GAP) + _alt("寄给 快递给 邮给") + _alt("他们 对方 公司 中介 陌生人 网友 老板")),
    re.compile(_alt("老板 中介 对方 陌生人 网友 招聘") + _gap(12) + _NAMED + _gap(6, _GAP) + _alt("交给 给了 寄给")
               + _gap(3) + _alt("保管 使用 用 操作 拿着")),
    # cards, accounts or U盾 handed over or mailed for a regular payment (把手机卡和银行卡寄过去，一个月给一千五)
    re.compile(_NAMED + _gap(20) + _alt("寄过去 寄给 快递过去 快递给 邮过去 邮给 交给 交由 给他保管 给她保管 给他用 "
                                        "给她用 借给 拿去用") + _gap(20)
               + _alt("一个月 每个月 每月 一月 每天 一天 每周 一周") + _alt("给 付 发 能拿 能赚 有") + "我?"
               + r"[\d一二两三四五六七八九十百千万几]"),
    # the customer's face or identity lent to open an account for someone (借他刷一下我的脸，帮他开个二类户)
    re.compile(r"(?<!出)借(?!记|款|钱|贷)" + _gap(6) + "脸"),
    re.compile(_alt("帮 替 给") + _alt("他 她 人 别人 对方 老板") + _gap(8) + _alt("开 办 注册") + _gap(3)
               + _alt("二类户 三类户 一类户 电子账户 账户 户 卡") + _gap(16) + _REWARD),
    # collecting someone's payments on one's own card, to pass them on (用我的卡帮他代收学费，收完再转给他)
    re.compile("用" + _gap(8) + _CARD + _gap(6) + _alt("帮 替") + _gap(4) + "收"),
    re.compile("代收" + _gap(20) + _alt("转给他 转给她 转给对方 转给老板 转回给 再转 转走 转出去")),
    # cards and U盾 handed over to be kept for a fee (连同U盾一起交给他保管 … 每个月多给三百块辛苦费)
    re.compile(_CARD + _gap(16) + "交给" + _FAMILY_NOT + _gap(6) + _alt("保管 管理 统一管 管着 拿着") + r"[\s\S]{0,160}"
               + _REWARD),
    # an account opened and handed to someone to use (办一个存折给他存钱取钱用)
    re.compile(_NAMED + _gap(3) + _alt("给他 给她 给对方 给别人") + _gap(8) + "用"),
    # someone's payments run through the customer's card for a cut (帮她走几笔货款，每一笔给我抽成)
    re.compile("走" + _gap(3) + _alt("货款 款 账 帐 流水") + _gap(16) + _REWARD),
    # receiving money for others and passing it on for a commission (代收货款, 转到指定账户拿佣金)
    re.compile(_alt("代收货款 代收款项 代收资金 帮人收款 帮忙收款 帮公司收款 帮平台收款")),
    re.compile("指定" + _alt("账户 账号 的卡 银行卡") + _gap(24) + _alt("佣金 提成 报酬 好处费 手续费给我")),
    re.compile(_alt("佣金 提成 报酬 好处费") + _gap(24) + "转" + _gap(4) + "指定" + _alt("账户 账号 的卡 银行卡")),
)

_FEES = _alt("保证金 保正金 手续费 解冻费 解冻金 验资 押金 会员费 服务费 工本费")
_LOAN = _alt("贷款 放款 下款 借款 提额 额度 网贷")
LOAN_SCAM: tuple[Pattern[str], ...] = (
    re.compile("包装" + _gap(4) + _alt("贷款 资料 流水 征信")),
    re.compile(_alt("贷款包装 包过 包下款 包放款 保下款 百分百下款 无视征信")),
    re.compile("不看征信" + _gap(4) + _alt("秒批 下款 放款 贷") + "|黑户" + _gap(4) + _alt("贷 下款 借到")),
    re.compile(_alt("征信修复 修复征信 洗白征信 征信洗白 征信铲单 铲单")),
    re.compile(_alt("花钱 交钱 付钱") + _gap(8) + _alt("修复 消除 洗白 删除 抹掉")),
    re.compile(_alt("洗白 抹掉") + _gap(6) + _alt("征信 逾期 记录")),
    re.compile(_alt("找人 有人 公司 中介 花钱 交钱 付钱") + _gap(14) + _alt("修复 消掉 清除 抹掉 洗白 删掉")),
    re.compile(_alt("验资款 解冻金")),
    re.compile(_LOAN + _gap(12) + _alt("先 提前") + "?" + _alt("交 付 转") + _gap(4) + _FEES),
    re.compile(_alt("先 提前") + _alt("交 付 转") + _gap(6) + _FEES + _gap(8) + _alt("放款 下款 贷款 提额 借款")),
    re.compile(_alt("做假 假的? 伪造") + _gap(4) + _alt("流水 收入证明") + _gap(8) + "贷"),
    re.compile("刷流水" + _gap(8) + _alt("贷 借钱 借款") + "|" + _alt("贷 借钱 借款") + _gap(16) + "刷流水"),
    # dressing up statements for a bigger loan (帮我把流水做漂亮点多贷三十万)
    re.compile("流水" + _gap(4) + _alt("做漂亮 做好看 做高 做大 美化 做得好看 弄好看 弄漂亮")),
    # credit record "deleted" through connections (找关系把逾期记录删掉)
    re.compile(_alt("找关系 托关系 走关系 内部关系") + _gap(14) + _alt("征信 逾期 记录 删 消 修复 洗白 下款 放款")),
    # a true overdue record "disputed away" by someone for a fee (替我向人行提征信异议，把逾期撤掉，收费一千五)
    re.compile(_alt("替我 帮我 代我 代办 有人 中介 公司") + _gap(12) + "征信" + _gap(24)
               + _alt("撤掉 撤销 删掉 删除 消除 去掉 消掉 抹掉") + _gap(24)
               + _alt(r"收费 费用 服务费 手续费 交钱 给钱 [\d一二两三四五六七八九十百千万]+(?:块|元|千|百|伍|万)")),
    # lending that skips the credit check (不查征信、当天就能拿到钱)
    re.compile(_alt("不查征信 不看征信 不上征信 无需征信 不用征信") + _gap(12)
               + _alt("拿到钱 到账 放款 下款 借到 秒批 路子 渠道")),
    # a purchase demanded before the loan can be drawn (要我先买一张会员卡才能提现)
    re.compile(_alt("先 提前") + _alt("买 充 充值 办") + _gap(6) + _alt("会员 会员卡 VIP vip 保险 理财")
               + _gap(8) + _alt("才能 才可以 才给") + _gap(2) + _alt("提现 放款 下款 到账 借款")),
)

_ASSESSMENT = "(?:风险)?" + _alt("测评 评估 问卷")
_HIGH = _alt("进取 激进 成长 C4 C5 c4 c5")
SUITABILITY_MISMATCH: tuple[Pattern[str], ...] = (
    re.compile(_alt("跳过 绕过 不做 免做 不用做 不测 没时间做 来不及做 懒得做 先不做") + _gap(4) + _ASSESSMENT),
    # answering it untruthfully (年收入往高了填, 投资经验多填几年)
    re.compile(_ASSESSMENT + _gap(12) + _alt("往高了?填 往高了?写 往高了?选 往高了?答 填高 写高 选高 答高 "
                                             "多填 虚报 瞎填 乱填 填假")),
    re.compile(_alt("代做 代测 代填 替我做 帮我做 帮她做 帮他做 帮忙做 帮我测 帮我填 别人帮忙做 别人做")
               + _gap(4) + _ASSESSMENT),
    re.compile("帮我" + _alt("爸 妈 爸妈 父母") + _gap(2) + "做" + _gap(4) + _ASSESSMENT),
    # someone else taking it for the customer (让我老婆用我的手机替我把风险测评做了)
    re.compile(_alt("别人 家人 客户经理 理财经理 朋友 老公 老婆 儿子 女儿 孩子 同事") + _gap(10)
               + _alt("替我 帮我 代我") + _gap(4) + _ASSESSMENT),
    re.compile(_alt("测评 评估") + _gap(4) + _alt("让 叫 找") + "?"
               + _alt("别人 家人 客户经理 朋友 老公 老婆 儿子 女儿") + _gap(2) + _alt("代做 帮忙 帮我做 做")),
    re.compile(_alt("测评 评估 问卷") + _gap(8) + _alt("跳过 绕过 代做 代填 代测 替我做 帮我做 帮她做 帮他做 "
                                                     "可以不做 能不做 能不能不做 可不可以不做 可以免做 能免做")),
    re.compile(_alt("保守 谨慎 稳健 C1 C2 c1 c2") + "型?" + _gap(10) + _alt("买 购买") + _gap(6)
               + _alt("R4 R5 r4 r5 高风险 股票型 激进 进取")),
    re.compile(_alt("风险 等级 承受能力 测评") + _gap(6) + _alt("不匹配 超出 超过") + _gap(12)
               + _alt("能 可以 还能 强行 强制") + _gap(2) + _alt("买 购买 卖给我 办")),
    re.compile("不匹配" + _gap(6) + _alt("买 购买")),
    re.compile(_alt("测评 测成 评估") + _gap(10) + _alt("改成 改为 升到 调高 弄高 提高 测成 变成") + _gap(2)
               + "(?:" + _HIGH + "|高)"),
    re.compile(_alt("升到 提升到 改成 测个 测成 测出") + _gap(2) + "(?:" + _HIGH + "|高等级|高级别)"),
    re.compile(_alt("测评 评估 测试") + _gap(10) + _alt("改高 调高 弄高 测高 提高等级 改到高")),
    # the answers of a questionnaire or knowledge test handed over to tick (把题目的标准答案发我，我照着勾)
    re.compile(_alt("测评 测试 问卷 题目 考试") + _gap(16) + "答案" + _gap(10) + _alt("发我 给我 告诉我 照着 抄")),
    # a record or an income made up for a permission or a status (补一份模拟成交记录, 年收入填成一百万算专业投资者)
    re.compile(_alt("补 造 伪造 编 做假") + _gap(4) + _alt("模拟成交记录 模拟交易记录 模拟交易 交易经验")),
    re.compile(_alt("收入 资产 年收入") + _gap(4) + _alt("填成 写成 报成") + r"[\d一二两三四五六七八九十百千万]"),
    # answering the questionnaire to reach a level rather than truthfully
    re.compile(_alt("测评 评估 问卷 题目") + _gap(10) + _alt("怎么选 怎么答 怎么填 选什么 选哪个 答什么") + _gap(4)
               + _alt("才能 能 可以") + _gap(3) + _alt("多买 买更多 买高风险 买R4 买R5 等级高 评级高 高一点")),
)

# 一天最多能涨百分之多少 asks the price-limit rule (涨跌幅限制), not for a prediction
_LIMIT_RULE = r"(?<!最多)(?<!最高)(?!能涨(?:百分之|多少|几))"
_INVEST = _alt("股票 个股 股价 大盘 股市 A股 a股 港股 美股 指数 基金 ETF etf 板块 行情 这只 这支 "
               "那只 创业板 科创板 黄金 金价 可转债 牛市 熊市 白马股 龙头股 概念股 概念 "
               "[券银医科军酒]\\w{0,2}股(?![龄东权份息本价市])")
_PREDICT = _alt("涨不涨 跌不跌 会大?涨 会大?跌 会不会大涨 会不会大跌 " + _LIMIT_RULE
                + "能涨 还能涨 还会跌 还要跌 涨吗 跌吗 会不会涨 "
                "会不会跌 为什么跌 为啥跌 为什么涨 为啥涨 为什么大跌 为啥大跌 怎么又跌 咋又跌 还能追 能追吗 "
                "见底 抄底 后市 "
                "走势如何 值不值得买 值得买吗 值得长期持有 要不要割 要不要卖 要不要补仓 该不该买 该不该卖 "
                "该不该换 要不要换 值不值得换 还能冲 能冲吗 能不能冲 冲不冲 "
                "后面怎么看 后续怎么看 后期怎么看 接下来怎么看 未来怎么看 前景如何 前景怎么样 后面会怎样")
INVESTMENT_ADVICE: tuple[Pattern[str], ...] = (
    re.compile(_alt("荐股 牛股") + "|推荐" + _gap(6) + _alt("股票 只股 支股 个股 基金 ETF etf 板块")),
    re.compile(_alt("股票 基金 ETF etf 板块") + _gap(3) + "推荐" + _alt("一下 几 一 个 吗 么 呢 $")),
    re.compile(_INVEST + _gap(10) + "?" + _PREDICT),
    re.compile(r"哪(?:一)?(?:只|支|个|款)?" + _alt("股票 股 基金 ETF etf 板块 指数基金 可转债") + _gap(6)
               + _alt("好 值得 收益高 收益最高 能涨 赚钱 划算 靠谱 稳")),
    re.compile(_alt("买 选 定投") + _alt("哪只 哪支 哪个 哪些 什么") + _alt("股票 股 基金 ETF etf 板块 指数")
               + _alt("好 呢 吗 比较好 合适 划算 赚钱 $")),
    re.compile(_alt("还能追吗 能不能追 还能上车吗 要不要割肉 该不该割肉 割肉还是 抄底 内幕消息 内部消息 "
                    "目标价 利好吗 利空吗 是利好 是利空 牛市来了 熊市来了 行情怎么样 走势怎么样 后市怎么样")),
    re.compile(_INVEST + _gap(6) + _alt("为什么 为啥 咋 怎么又 怎么老是 怎么一直") + _gap(4) + _alt("跌 涨 绿 红")),
    re.compile(_alt("股(?![龄东权份息本价市]) 板块 涨停 这只 这支") + _gap(4)
               + _alt("还能买吗 还能买不 现在能买吗 能不能买 还有机会吗")),
    re.compile(_alt("适合 要不要 该不该 能不能 可以") + _alt("加仓 减仓 补仓 割肉 清仓 止损 抄底 上车")),
    re.compile(_INVEST + _gap(12) + _alt("买 选") + "哪" + _alt("个 只 支 一个") + _alt("好 比较好 划算")),
    re.compile(_alt("买 选 挑 定投") + "哪" + _alt("只 支")),
    # which (few) of them are worth buying or building a position in (哪几只专精特新的票值得先建仓)
    re.compile("哪" + _alt("几 一") + "?" + _alt("只 支 个 款") + _gap(12) + _alt("股票 股 票 基金 ETF etf 可转债")
               + _gap(6) + _alt("值得 能涨 赚钱 划算 靠谱 建仓 上车 可以买 能买")),
    re.compile(_alt("值得先? 可以 能不能 适合") + "建仓"),
    # whether now is the moment to add or buy (融资加仓那几只龙头，这个位置合不合适)
    re.compile(_alt("加仓 建仓 上车 抄底 买入 满仓") + _gap(20) + _alt("合不合适 合适吗 合适不 行不行 可以吗 怎么样")),
    # which one will rise more (沪深300和中证500哪个以后涨得多)
    re.compile("哪" + _alt("个 只 支 一个") + _gap(6) + _alt("涨得多 涨得快 会涨 能涨 涨幅大")),
    # an allocation made for the customer (你直接帮我排好：多少放存单、多少放债基、多少买银行股)
    re.compile(_alt("帮我 替我 给我") + _gap(4) + _alt("配置 分配 排好 搭配") + _gap(20)
               + _alt("股 基金 债基 理财 存单")),
    # one holding switched for another (把腾讯换成美团，该不该换) or a direction asked for (给指个方向)
    re.compile("换成" + _gap(14) + _alt("该不该换 要不要换 值不值得换 该不该卖 要不要卖")),
    re.compile(_INVEST + _gap(16) + _alt("指个方向 指条路 指点一下 给个方向")),
    re.compile(_alt("帮我 给我 替我") + _alt("挑 选 推荐") + "一?" + _alt("只 支 个 款") + _gap(10)
               + _alt("基金 股票 ETF etf 指数 板块")),
    # comparing named funds, stocks or sectors for which to buy (医药基金跟消费基金入手哪个划算)
    re.compile(_alt("基金 股票 ETF etf 板块 股(?![龄东权份息本价市])") + _gap(14) + "哪"
               + _alt("个 只 支 一个 一只 种") + _gap(4) + _alt("划算 好 值得 收益高 赚得多 更赚钱 涨得多 能涨")),
    re.compile(_alt("分析 判断 点评 诊断") + _gap(6) + _alt("股票 个股 这只股 基金 板块 大盘")),
    re.compile(_alt("上市公司 这家公司 该公司") + _gap(12)
               + _alt("股票还能拿 股票还能买 股票怎么办 怎么看 前景 值不值")),
)

GUARANTEED_RETURN: tuple[Pattern[str], ...] = (
    re.compile(_alt("保本 保收益 保息 保底收益 稳赚 只赚不赔 只赚不亏 保证收益 保证不亏 稳拿 稳稳到手 稳到手 稳稳拿 "
                    "兜底 刚兑 "
                    "100%不亏 百分百不亏 有没有保底 能不能保底 能保底 保底吗 保底的")),
    re.compile(_alt("收益 本金 利息 收益率 年化 回报") + _gap(6) + _alt("保证 承诺 保障 一定能拿 稳拿")),
    re.compile(_alt("保证 承诺") + _gap(6) + _alt("收益 本金 不亏 年化 回报")),
    re.compile(_alt("保证 承诺") + _gap(12) + _alt("不破发 不会破发 不跌破")),
    # certainty of a gain from a product or a strategy (定投坚持三年肯定能赚钱吧)
    re.compile(_alt("理财 基金 定投 产品 股票") + _gap(12)
               + _alt("肯定能赚 一定能赚 肯定赚 一定赚 保证赚 稳稳赚 肯定不会亏 一定不会亏")),
    re.compile(_alt("亏了 亏损 亏本") + _gap(6) + _alt("赔 兜底")),
    # reading a performance benchmark as the return one will get (业绩比较基准4%就是到手4%吧)
    re.compile("业绩(?:比较)?基准" + _gap(16) + _alt("就是 等于 一定 肯定 稳 保证 到手 能拿到 拿得到 少不了")),
    # whether a wealth product (any risk level) can lose: 理财非存款, no level promises the principal
    re.compile(_alt("理财 基金 产品 R[1-5] r[1-5]") + _gap(20)
               + _alt("肯定不亏 一定不亏 不会亏 会不会亏 会亏本 亏本吗 亏钱吗 会亏吗 可能亏 肯定不会少")),
)
# a deposit is principal-protected (deposit insurance): 大额存单保本吗 is a deposit question, not this category;
# a complaint about a promise, or a scam told as a story, has its own answer
_NOT_GUARANTEED = re.compile(_alt("投诉 骗 老师 群里 平台充值"))
_DEPOSIT = re.compile(_alt("存款 存单 定期 活期"))
_WEALTH = re.compile(_alt("理财 基金 产品"))

RULES: tuple[tuple[str, tuple[Pattern[str], ...]], ...] = (
    ("card_account_rental", CARD_ACCOUNT_RENTAL),
    ("loan_scam", LOAN_SCAM),
    ("suitability_mismatch", SUITABILITY_MISMATCH),
    # a guarantee asked for in so many words (这只基金有没有保底) is answered as one, even about a named fund
    ("guaranteed_return", GUARANTEED_RETURN[:1]),
    ("investment_advice", INVESTMENT_ADVICE),
    ("guaranteed_return", GUARANTEED_RETURN[1:]),  # the first pattern was tried above
)
COMPLIANCE_INTENTS = frozenset(name for name, _ in RULES)


@lru_cache(maxsize=64)
def fold(text: str) -> str:
    """The text as the patterns see it: full-width forms folded (NFKC), in simplified characters (業績比較基準寫的是
    3.5%，那就等於… is 业绩比较基准写的是3.5%，那就等于…), common typos fixed (帐户 -> 账户; kb_index.normalize's
    table), and the traditional characters the patterns use folded by the table above where no converter is
    installed. Cached: the safety guard's rules and the compliance patterns read the same message."""
    return fix_typos(simplified(text)).translate(_FOLD)


# a card lending the customer denies (我没把卡借给过别人, 从来没出租过账户): a frozen-card question, not a rental
_DENIED = re.compile(_alt("没 未 从不 不曾 绝不 (?<!会)不会"))
_CLAUSE = re.compile(r"[，,。；;！!？?]")


def _denied(folded: str, start: int) -> bool:
    """The clause before ``start`` (at most six characters of it) holds a denial."""
    return bool(_DENIED.search(_CLAUSE.split(folded[max(0, start - 6):start])[-1]))


def _rental(folded: str, pattern: Pattern[str]) -> bool:
    """``pattern`` matches somewhere not right after the customer's denial."""
    return any(not _denied(folded, m.start()) for m in pattern.finditer(folded))


def denies_lending(text: str) -> bool:
    """A card-rental phrase occurs only right after the customer's denial (我没把卡借给过别人): whoever says so asks
    about a frozen or limited card, and a classifier trained on rental requests must not warn them (pure)."""
    folded = fold(text)
    matched = [p for p in CARD_ACCOUNT_RENTAL if p.search(folded)]
    return bool(matched) and not any(_rental(folded, p) for p in matched)


def compliance_intent(text: str) -> str | None:
    """The compliance intent whose patterns ``text`` matches first (order of :data:`RULES`), or None."""
    folded = fold(text)
    for intent, patterns in RULES:
        if intent == "guaranteed_return" and (_NOT_GUARANTEED.search(folded)
                                              or (_DEPOSIT.search(folded) and not _WEALTH.search(folded))):
            continue
        if intent == "card_account_rental" and "贷" in folded and any(p.search(folded) for p in LOAN_SCAM):
            continue  # 帮我刷流水好办贷款 is loan packaging, not renting out a card
        if intent == "card_account_rental":
            if any(_rental(folded, p) for p in patterns):
                return intent
        elif any(p.search(folded) for p in patterns):
            return intent
    return None
