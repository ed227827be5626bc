"""The compliance patterns (bot.compliance_rules, pure) and how the safety guard applies them."""

from __future__ import annotations

import pytest

from bot.compliance_rules import COMPLIANCE_INTENTS, compliance_intent, fold
from bot.safety_guard import DEFAULT_FRAUD_TERMS, keeps_classifier_intent
from tests.bot.nlu_files import HELDOUT_DIR, TRAINING_DIR, load_examples, oos_heldout

# intents the guard never overrides (the classifier's safety call, a complaint, a request for a human)
KEEP = {"fraud_alert", "share_sensitive_info", "complaint", "human_handoff"}


@pytest.mark.parametrize(
    "text, intent",
    [
        ("出租银行卡犯法吗", "card_account_rental"),
        ("出租銀行卡犯法嗎", "card_account_rental"),
        ("我的身份证能借给朋友办卡吗", "card_account_rental"),
        ("U盾可以借给别人用吗", "card_account_rental"),
        ("有人高价收购电话卡", "card_account_rental"),
        ("帮人走账违法吗", "card_account_rental"),
        ("跑分是什么", "card_account_rental"),
        ("卖卡违法吗", "card_account_rental"),
        ("包装贷款靠谱吗", "loan_scam"),
        ("征信修复是真的吗", "loan_scam"),
        ("徵信修復是騙局嗎", "loan_scam"),
        ("贷款要先交保证金才能放款吗", "loan_scam"),
        ("帮我刷流水好办贷款", "loan_scam"),
        ("能不能跳过风险测评直接买", "suitability_mismatch"),
        ("风险测评能不能不做，直接买", "suitability_mismatch"),  # the NLU now reads 風險測評可以不做嗎 as simplified
        ("問卷可以免做嗎", "suitability_mismatch"),
        ("风险测评能帮我代做吗", "suitability_mismatch"),
        ("我是保守型能买R5吗", "suitability_mismatch"),
        ("哪只基金好", "investment_advice"),
        ("哪隻基金比較好", "investment_advice"),
        ("今天大盘为什么跌", "investment_advice"),
        ("这只股票明天能涨吗", "investment_advice"),
        ("荐股", "investment_advice"),
        ("医药板块接下来怎么看", "investment_advice"),
        ("黄金后期怎么看", "investment_advice"),
        ("帮我选一只能长期拿着的股票", "investment_advice"),
        ("朋友要借我的储蓄卡，我把卡和密码都交给他了", "card_account_rental"),
        ("测评问卷怎么填才能买R5", "suitability_mismatch"),
        ("评估题目选哪个能评级高一点", "suitability_mismatch"),
        ("这个理财保本吗", "guaranteed_return"),
        ("收益能保证吗", "guaranteed_return"),
        # whether a product of some risk level can lose (the R-level labelling settled, issue 13)
        ("R2的产品会不会亏", "guaranteed_return"),
        ("中低风险的基金肯定不亏吧", "guaranteed_return"),
        ("這個理財會虧本嗎", "guaranteed_return"),
        ("业绩比较基准4%就是到手4%吧", "guaranteed_return"),
        ("没时间做风险测评，先让我买了吧", "suitability_mismatch"),
        ("这只基金有没有保底", "guaranteed_return"),
        ("白酒基金和新能源基金入手哪个划算", "investment_advice"),
        ("券商股跟银行股哪只涨得多", "investment_advice"),
        ("让我儿子用他手机替我把风险测评做了", "suitability_mismatch"),
        ("问卷里的收入我往高了填行不行", "suitability_mismatch"),
        ("測評的投資經驗能多填幾年嗎", "suitability_mismatch"),
        ("業績比較基準3.5%一定能拿到嗎", "guaranteed_return"),
        ("创业板明天还能涨吗", "investment_advice"),
        # a guarantee asked about a named fund is answered as a guarantee; cards kept by a boss, 代收货款 for a cut
        ("那只医药基金一年最少能赚多少，有没有保底", "guaranteed_return"),
        ("老板让我把工资卡和U盾交给他保管，说发工资方便", "card_account_rental"),
        ("兼职帮人代收货款，用自己的卡收了再转出去", "card_account_rental"),
        ("收到的钱转到指定账户，每笔给我百分之一的提成", "card_account_rental"),
        # a compliance request slipped in after a service question (the seventh set's misses)
        ("手机银行怎么转账？另外军工股下周会不会大跌", "investment_advice"),
        ("定期利率多少？那个理财能保证年化5%吗", "guaranteed_return"),
        ("指数基金定投坚持五年一定能赚吧", "guaranteed_return"),
        ("风险测评的题目我想都往高了选，这样能买股票基金吗", "suitability_mismatch"),
        # the eighth set's misses, in other words (issue 13): 走账 for someone, a monthly rent for cards mailed away,
        # an acquaintance registering with the customer's ID, statements dressed up, a record deleted through
        # connections, credit-check-free cash, a purchase demanded before the loan is paid out, a fund's past
        # returns read as a promise
        ("表哥叫我帮他过几笔钱，钱一到就转回给他，帮着走个账而已", "card_account_rental"),
        ("帮网友收一笔货款，收到钱以后再转给他", "card_account_rental"),
        ("有个工作室要把我的储蓄卡和电话卡寄给他们，按月付租金", "card_account_rental"),
        ("同事想用我的身份证去开个网店，行不行", "card_account_rental"),
        ("中介说能把我的银行流水做好看一点，好多批点额度", "loan_scam"),
        ("有人说托关系能把征信上的逾期记录消掉", "loan_scam"),
        ("不看征信的网贷，半小时就能到账的那种有吗", "loan_scam"),
        ("贷款审批过了，客服说要先充值会员才能放款", "loan_scam"),
        ("那款理财前三年收益一直都是正的，今年买进去肯定不会亏吧", "guaranteed_return"),
        # eighth pass: cards or U盾 handed over for a regular payment; a benchmark read as a promise, further off
        ("招聘的说把身份证和电话卡快递过去，每个月给我两千五", "card_account_rental"),
        ("表哥让我办张卡连U盾一起交给他，每月给八百块", "card_account_rental"),
        ("產品頁面上業績比較基準標的是3.8%，到期就等於給我3.8%嗎", "guaranteed_return"),
        ("业绩比较基准写着百分之四点二，到期至少也能拿到这么多吧", "guaranteed_return"),
        # ninth pass: a face or identity lent to open an account for a fee, payments collected on one's card for
        # someone, cards kept by a boss for a monthly fee, a true record "disputed away", test answers handed over
        ("邻居想借我的人脸刷一下，说替他注册个账户", "card_account_rental"),
        ("网友说帮他开个电子账户就给我八百块", "card_account_rental"),
        ("表姐让我用我的储蓄卡帮她收一下货款", "card_account_rental"),
        ("他的卡不能用了，让我代收几笔房租然后再转给他", "card_account_rental"),
        ("工头让大家把银行卡和U盾都交给他保管。\n他说每月另给两百块好处费", "card_account_rental"),
        ("老乡把他的社保卡借他朋友用了", "card_account_rental"),
        ("中介说帮我把征信上那两次逾期申诉撤销掉，收三千", "loan_scam"),
        ("风险测评的题目有没有答案，发我一份照着填", "suitability_mismatch"),
        ("白酒板块哪一只股票值得长期拿", "investment_advice"),
        ("这个位置适合建仓吗", "investment_advice"),
        ("手里的白酒股想换成新能源，你看该不该换", "investment_advice"),
        ("人工智能概念还能冲吗", "investment_advice"),
        ("用我实名办的那张卡帮工作室收款，每天给我一百", "card_account_rental"),
        # ninth pass, from v13: handed to a company's finance office, an account opened for someone to use, a cut
        # for running payments, a moment to add, which one rises more, an allocation, a made-up record or income
        ("老板让员工把银行卡和手机卡交给会计统一管，每月补贴三百", "card_account_rental"),
        ("朋友让我开个账户给他收租金用", "card_account_rental"),
        ("同学想借我的卡走几笔账，每笔给我二十块", "card_account_rental"),
        ("券商股现在满仓进去合适吗", "investment_advice"),
        ("创业板ETF和科创50哪个明年涨得多", "investment_advice"),
        ("二十万闲钱你帮我配置一下，几成买股票几成买基金", "investment_advice"),
        ("这款理财半年稳稳到手三个点吧", "guaranteed_return"),
        ("期权开户差几次模拟交易，能帮我补一下模拟交易吗", "suitability_mismatch"),
        ("开户时把年收入写成五十万就能买私募了吧", "suitability_mismatch"),
        ("公司让每人办张卡连同密码交给出纳管理，每个月多给两百", "card_account_rental"),
        ("新股中签了，你们保证上市那天不会破发吧", "guaranteed_return"),
    ],
)
def test_compliance_phrasings(text: str, intent: str) -> None:
    assert compliance_intent(text) == intent


@pytest.mark.parametrize(
    "text",
    [
        "信用卡落在出租车上了",  # a loss, not a rental
        "U盾落在出租车上了",
        "买卖股票的钱从哪张卡扣",
        "卡里的钱借给朋友了他不还",
        "信用卡消费多久过账",
        "融资融券的保证金比例是多少",
        "大额存单保本吗",  # a deposit: principal protected
        "当初说理财保本，现在亏了，我要投诉",
        "基金怎么买",
        "ETF在哪里买",
        "A股几点开盘",
        "基金怎么看收益",
        "风险测评在哪做",
        "R1到R5是什么意思",
        "逾期记录多久能消除",
        "我只有一年股龄能不能买创业板",
        "大额存单超过20万能买吗",
        "油价明天涨吗",
        "R3和R4有什么区别",
        "风险测评的题目怎么答",  # how to take it, not how to game it
        "银行卡和密码都忘了怎么办",
        "帮我选个离家近的网点",
        "基金亏钱了能赎回吗",  # a redemption question, not whether it can lose
        "定期存款会不会亏",  # a deposit
        "创业板的股票一天最多能涨百分之多少",  # the price-limit rule
        "主板股票最高能涨多少",
        "业绩比较基准是什么意思",
        "风险测评问卷填错了能改吗",
        "测评没时间了明天再做可以吗",
        "基金A类和C类哪个费用低",  # a fee fact, not which to buy
        "家人可以替我开户吗",
        "保底消费是什么意思",  # not about an investment return (no match wanted either way)
        "我把卡交给我妈保管了，她能帮我取钱吗",  # family keeping a card is not a rental
        "转账到指定账户需要手续费吗",
        "银行股的分红一般什么时候到账",
        "理财产品的年化收益率是怎么算的",
        # a card lending the customer denies: a frozen-card question (the eighth set)
        "我从来没把银行卡借给别人，怎么突然被限制交易了",
        "我未出租过账户，为什么被列入风险名单",
        "怎么打印银行流水",
        "帮我查一下这个月的流水",
        "公积金贷款不查征信吗",
        "新卡寄到家里要多久，每个月给我寄纸质账单吗",
        "工资卡交给我老婆保管，每个月给她三千生活费",
        "业绩比较基准是什么意思，和预期收益率有什么区别",
        # ninth pass: the services next to the new patterns
        "征信异议申请要收费吗",
        "有人用我的卡消费了，能撤销吗",
        "社保卡怎么激活金融功能",
        "刷脸登录手机银行安全吗",
        "借记卡能刷脸取款吗",
        "帮我爸开个手机银行要带什么",
        "风险测评做完在哪里看结果",
        "代收代付业务怎么签约",
        "旧卡换成新卡以后，自动扣款要不要重新绑",
        "外币现钞换成人民币要手续费吗",
        "大额存单和定期哪个利息高",
        "存折给他看一下能查到什么",
        "定投的基金怎么设置分红方式",
        "帮我安排一下理财经理回电话",
        "期权模拟交易在哪里做",
        "年收入填错了怎么改",
        "走账户转账要手续费吗",
        "工资卡交给家里管理，每月给我零花钱三百",  # the family keeping a card is no rental
        "新股上市首日会不会破发",
        # tenth pass: asking whether it is required is no request to skip it
        "买国债要不要做风险测评",
        "风险测评不做的话能买存款吗",
        "风险测评做一次能管多久",
    ],
)
def test_business_questions_next_to_the_categories_match_no_pattern(text: str) -> None:
    assert compliance_intent(text) is None


def test_no_pattern_fires_on_examples_of_other_intents() -> None:
    """Every training and held-out example of a business intent stays clear of the patterns."""
    fired = [(ex.intent, compliance_intent(ex.text), ex.text)
             for ex in load_examples(TRAINING_DIR) + load_examples(HELDOUT_DIR)
             if ex.intent not in COMPLIANCE_INTENTS | KEEP and compliance_intent(ex.text)
             and not any(term in ex.text for term in DEFAULT_FRAUD_TERMS)]
    assert not fired
    assert not [q for q in oos_heldout() if compliance_intent(q)]


def test_patterns_agree_with_the_labels_where_they_fire() -> None:
    """Where a compliance example matches a pattern, it is its own category's."""
    wrong = [(ex.intent, compliance_intent(ex.text), ex.text)
             for ex in load_examples(TRAINING_DIR) + load_examples(HELDOUT_DIR)
             if ex.intent in COMPLIANCE_INTENTS and compliance_intent(ex.text) not in (None, ex.intent)]
    assert not wrong


def test_traditional_characters_full_width_forms_and_typos_are_folded_for_matching_only() -> None:
    assert fold("銀行卡帳戶徵信") == "银行卡账户征信"
    assert fold("業績比較基準寫的是3.5％，那就等於") == "业绩比较基准写的是3.5%,那就等于"
    assert fold("对公帐户和Ｕ盾") == "对公账户和U盾"
    assert len(fold("出租銀行卡犯法嗎")) == len("出租銀行卡犯法嗎")


@pytest.mark.parametrize(
    "current, compliance, keeps",
    [
        ("fund_purchase_redeem", "investment_advice", False),
        ("affirm", "investment_advice", False),
        ("nlu_fallback", "loan_scam", False),
        ("complaint", "guaranteed_return", True),
        ("human_handoff", "investment_advice", True),
        ("share_sensitive_info", "card_account_rental", False),  # 卡和密码都交给他: the rental answer
        ("loan_scam", "card_account_rental", True),
        ("fraud_alert", "guaranteed_return", True),  # 老师带单稳赚: an investment scam stays a fraud warning
        ("fraud_alert", "loan_scam", False),  # the loan-scam answer is the more specific fraud answer
        ("fraud_alert", "card_account_rental", False),
        ("investment_advice", "guaranteed_return", False),  # 这只基金有没有保底: the guarantee answer
        ("guaranteed_return", "investment_advice", True),
        ("investment_advice", "suitability_mismatch", True),
    ],
)
def test_which_classifier_intents_stand(current: str, compliance: str, keeps: bool) -> None:
    assert keeps_classifier_intent(current, compliance) is keeps
