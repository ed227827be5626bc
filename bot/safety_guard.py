"""Rasa NLU component that overrides the classifier for messages that must get a safety reply.

* A message carrying a secret (password, verification code, full card or ID number, CVV; see :mod:`common.pii`)
  becomes intent ``share_sensitive_info`` and loses its entities, so no slot ever holds the secret.
* A message naming a known fraud script (安全账户, 涉嫌洗钱, ...) becomes intent ``fraud_alert``; one about to pass
  a code or password to someone (把验证码截图发给室友) ``share_sensitive_info``.
* A message matching a compliance pattern (:mod:`bot.compliance_rules`: 出租银行卡, 包装贷款, 跳过风险测评,
  哪只基金好, 保本吗 ...) gets that compliance intent, unless the classifier already chose a safety or compliance
  intent, a complaint or a human (an investment scam told as a story stays ``fraud_alert``; 我要投诉 stays a
  complaint). The patterns back the classifier on the phrasings that leave no doubt, so these categories get
  their fixed answer every time, never a business answer or the KB's guess.

* A fraud the customer has already reported (已经报警了, 报过案, 打了96110) with no fraud script or compliance pattern
  named and no sign the scammer is still at it (还让我…, 又打来) is a service request (freeze the card, a stamped
  statement): the classifier's ``fraud_alert`` gives way to its next ordinary intent, with that intent's own
  confidence (so the KB arbitration weighs it), or to ``nlu_fallback`` (the KB fallback) when that intent is below
  the fallback threshold.
* A customer denying ever lending the card (我没把卡借给过别人，怎么被冻结了; no rental pattern matches but right
  after the denial) asks about a frozen or limited card: the classifier's ``card_account_rental`` gives way the
  same way (:func:`after_denial`).
It runs after the FallbackClassifier so a low-confidence message with a secret still gets the warning.

Whenever a rule matched (``"secret"``, ``"fraud"`` or the compliance pattern's intent), also when the classifier's
own call stands, the parse data carries it under ``safety_rule``: the bot/KB arbitration may weigh a safety or
compliance intent the *classifier alone* gave with little confidence against a confident KB answer (停牌了钱会不会
拿不回来 is a trading question, not a request for advice), never one a rule backs.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Sequence

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.compliance_rules import COMPLIANCE_INTENTS, compliance_intent, denies_lending, fold
from common.pii import contains_masked_secret, contains_secret

# Phrases of the scripts behind telecom fraud (电信诈骗) that customers repeat to the bot; any of them forces the
# anti-fraud warning. Override with `fraud_terms` in config.yml.
DEFAULT_FRAUD_TERMS = (
    "安全账户", "安全帐户", "涉嫌洗钱", "洗钱案", "涉嫌犯罪", "配合调查", "资金清查", "资金核查", "屏幕共享",
    "共享屏幕", "屏幕分享", "分享屏幕", "刷单", "百万保障", "注销校园贷", "解冻费", "公检法", "冒充客服", "假客服",
)


# intents a compliance pattern never overrides: the classifier's own safety/compliance call (but see MORE_SPECIFIC),
# or an explicit complaint or request for a human. The investment categories never replace fraud_alert (an
# investment scam told as a story, 老师带单稳赚, stays a fraud warning).
SAFETY_RULE = "safety_rule"  # the parse-data key: which rule matched (bot/kb_arbitration_policy.py reads it)
KEEP_INTENTS = frozenset({"share_sensitive_info", "complaint", "human_handoff"}) | COMPLIANCE_INTENTS
FRAUD_SUBKINDS = frozenset({"card_account_rental", "loan_scam"})
# a classifier's safety/compliance call gives way to a pattern with the more specific answer: renting out cards and
# loan scams are kinds of fraud (and a card handed over with its password is a rental, not only a secret shared); a
# guarantee asked about a product (这只基金有没有保底) gets the 不承诺保本 answer rather than the general no-advice one
MORE_SPECIFIC: dict[str, frozenset[str]] = {"fraud_alert": FRAUD_SUBKINDS,
                                            "share_sensitive_info": FRAUD_SUBKINDS,
                                            "investment_advice": frozenset({"guaranteed_return"})}


def keeps_classifier_intent(current: str | None, compliance: str) -> bool:
    """Whether the classifier's ``current`` intent stands against the compliance pattern's ``compliance``."""
    if current in MORE_SPECIFIC:
        return compliance not in MORE_SPECIFIC[current]
    return current in KEEP_INTENTS


# a fraud the customer has already reported (已经报警了, 报过案, 打了96110) asks what the bank can do now — freeze
# the card, a stamped statement of the transfer — not for the general warning: the classifier's fraud_alert gives
# way (no fraud script named: a rule still wins), see after_report
REPORTED = re.compile(r"已经?报(?:了|过)?(?:警|案)|报(?:了|过)(?:警|案)|报(?:警|案)了|已经?立案|立案了"
                      r"|打(?:了|过)(?:96110|110|反诈)")
STILL_GOING = re.compile(r"还(?:让|叫|说|在群|找|打|发|催)|又(?:让|叫|打|来|发|找|催)")  # the scammer is still at it
RELEASE_FLOOR = 0.25  # the FallbackClassifier's threshold (config.yml): below it an intent is not understood


def _released(ranking: Sequence[Dict[str, Any]], floor: float) -> Dict[str, Any]:
    """The best-ranked intent outside the safety, compliance, complaint and handoff ones (:data:`KEEP_INTENTS`,
    fraud_alert), with its own confidence, when that reaches ``floor``; otherwise
    ``nlu_fallback``, so the KB fallback answers or says it did not understand (pure)."""
    nxt = next((r for r in ranking if r.get("name") not in KEEP_INTENTS | {"fraud_alert"}), None)
    if nxt is not None and float(nxt.get("confidence") or 0.0) >= floor:
        return nxt
    return {"name": "nlu_fallback", "confidence": 1.0}


def after_report(current: str | None, text: str, ranking: Sequence[Dict[str, Any]],
                 floor: float = RELEASE_FLOOR) -> Dict[str, Any] | None:
    """What replaces the classifier's ``fraud_alert`` for a fraud already reported (:func:`_released`); None when
    the message is not that, or the scammer is still at it (还让我…, 又打来) (pure)."""
    if current != "fraud_alert" or not REPORTED.search(text) or STILL_GOING.search(text):
        return None
    return _released(ranking, floor)


def after_denial(current: str | None, text: str, ranking: Sequence[Dict[str, Any]],
                 floor: float = RELEASE_FLOOR) -> Dict[str, Any] | None:
    """What replaces the classifier's ``card_account_rental`` when the customer denies ever lending the card
    (我没把卡借给过别人，怎么被冻结了): :func:`_released`; None otherwise (pure)."""
    if current != "card_account_rental" or not denies_lending(text):
        return None
    return _released(ranking, floor)


_G = r"[^。！!？?\n]{0,%d}"
# The scripts themselves, in any wording (反诈 publicity's standard cases): a remote-control or meeting app the
# caller asks to install, a caller claiming to be the bank, the police or customer service, a link to "unfreeze"
# or "verify" that asks for card details, someone asking for the verification code. Matched on the normalised
# text (compliance_rules.fold: simplified characters, full-width forms, typos).
FRAUD_SCRIPTS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?:装|下载|下个|安装|打开)" + _G % 6 + r"(?:远程|会议软件|腾讯会议|zoom|ZOOM|向日葵|todesk|ToDesk)"
               + r"|远程(?:软件|控制|协助|桌面|操控|操作)"),
    re.compile(r"(?:(?:自称|冒充|假装)" + _G % 4 + r"|说是(?:你们)?)"
               + r"(?:银行|你们行|客服|警察|公安|民警|法院|检察|工作人员|银保监|金融监管|快递|电商|支付宝|微信)"),
    re.compile(r"(?:点|打开|进|登录)" + _G % 3 + r"链接" + _G % 16
               + r"(?:填|输入|提交|绑定|验证)" + _G % 4 + r"(?:银行卡|卡号|密码|验证码|身份证|信息)"),
    re.compile(r"(?:让|要|叫|问)我" + _G % 6 + r"(?:报|说|发|提供|告诉|念)" + _G % 4 + r"验证码"),
    # money sent to a wallet or account the stranger gives, for a same-day rebate (往他给的钱包转一万，当天返10%)
    re.compile(r"(?:往|向|到|转进|转到)(?:他|她|对方|推广员|客服|老师|群主)(?:给|发|提供|指定)的" + _G % 16
               + r"(?:返|回报|收益|利息)"),
    # an investment group's "inside allocation" that needs money paid in first (内部额度，中签率百分之百，先入金)
    re.compile(r"(?:投资群|炒股群|股票群|荐股群|理财群|内部额度|内部名额|百分之百中签|100%中签|稳中签)" + _G % 40
               + r"(?:入金|充值|转入|打款|先交|先转)"),
)


# A code, password or card security number about to be passed to someone (把付款验证码截图发给室友): the
# never-share-it answer (share_sensitive_info), when no fraud script names who is asking for it
SHARING: re.Pattern[str] = re.compile(
    r"(?:验证码|动态码|校验码|密码|CVV|cvv|安全码|(?:背面|背后)(?:的|那)?(?:三位数|三个数字?|三位))" + _G % 10
    + r"(?:发给|转发给|转给|告诉|念给|报给|截图给|拍给|给)"
    + r"(?:他|她|对方|别人|朋友|室友|同事|同学|客服|网友|那个人|卖家|买家|商家|中介|亲戚|老乡)")


SURE = 0.5  # a classifier's own fraud_alert at or above this stands against the "share" rule


def safety_rule(text: str, fraud_terms: Sequence[str]) -> str | None:
    """Which safety rule ``text`` triggers: ``"secret"``, ``"fraud"``, ``"share"`` or None. Secrets win over fraud
    terms and scripts, and those over a code about to be passed on; all are matched on the text as typed and
    normalised (traditional characters, full-width forms)."""
    if contains_secret(text) or contains_masked_secret(text):
        return "secret"
    folded = fold(text)
    if any(term in text or term in folded for term in fraud_terms) or any(p.search(folded) for p in FRAUD_SCRIPTS):
        return "fraud"
    if SHARING.search(folded):
        return "share"
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyGuard(GraphComponent):
    """Forces ``share_sensitive_info`` / ``fraud_alert`` for messages matching the safety rules."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "secret_intent": "share_sensitive_info",
            "fraud_intent": "fraud_alert",
            "fraud_terms": list(DEFAULT_FRAUD_TERMS),
        }

    def __init__(self, config: Dict[str, Any]) -> None:
        self._fraud_terms = tuple(config["fraud_terms"])
        self._intent_for = {"secret": config["secret_intent"], "fraud": config["fraud_intent"],
                            "share": config["secret_intent"]}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyGuard:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            rule = safety_rule(text, self._fraud_terms)
            compliance = compliance_intent(text)
            if rule or compliance:
                message.set(SAFETY_RULE, rule or compliance, add_to_output=True)
            classified = message.get(INTENT) or {}
            current = classified.get("name")
            if rule == "fraud" and (compliance in FRAUD_SUBKINDS or current in FRAUD_SUBKINDS):
                rule = None  # 放款前交解冻费 names a fraud term, and the loan-scam answer is the more specific one
            sure_fraud = current == "fraud_alert" and float(classified.get("confidence") or 0.0) >= SURE
            if rule == "share" and (compliance is not None or sure_fraud):
                # 卡和密码都交给他保管 is a card rental: a password passed on with the card is part of it; and a
                # scam the classifier is sure of (网上说能低价代还信用卡，要我把卡号和密码给他) keeps the fraud warning
                rule = None
            if rule is None:
                if compliance is None or keeps_classifier_intent(current, compliance):
                    ranking = message.get(INTENT_RANKING_KEY) or []
                    # a compliance pattern that matched (老师说稳赚, told after reporting it) keeps the warning
                    released = ((after_report(current, text, ranking) or after_denial(current, text, ranking))
                                if compliance is None else None)
                    if released is not None:
                        message.set(INTENT, released, add_to_output=True)
                        message.set(INTENT_RANKING_KEY, [released] + [r for r in ranking if r is not released],
                                    add_to_output=True)
                    continue
                name = compliance
            else:
                name = self._intent_for[rule]
            intent = {"name": name, "confidence": 1.0}
            ranking = [intent] + [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != name]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            if rule == "secret":
                message.set(ENTITIES, [], add_to_output=True)
        return messages
