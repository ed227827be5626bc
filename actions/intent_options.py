"""An intent offered as one of the 您是不是想问 options (issue 13, honest fallbacks).

When the classifier is unsure of a message's intent, the bot/KB arbitration (actions/arbitrate.py) asks instead of
answering: the intent it guessed is offered as a question the customer can pick, beside the KB's closest
questions. Each option is a button whose payload is the intent itself (``/card_report_loss``: the intent with
full confidence, so the rules answer it as usual), and its place in the ``kb_suggestions`` slot is that payload,
so 第一个 typed or a plain 是的 picks it as they pick a KB entry (actions/kb_fallback.py).

The titles are phrased as a customer would ask (the staff pages' short names are api/static/shared/intent_names.js);
an intent without a title here is never offered (small talk, prompts, compliance and safety replies).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from rasa_sdk.events import FollowupAction

from common.forms import FORM_OF

INTENT_QUESTIONS: Mapping[str, str] = {
    "card_report_loss": "我要挂失银行卡",
    "card_unfreeze_loss": "卡找到了，怎么解除挂失？",
    "card_reissue": "银行卡坏了或丢了怎么补办？",
    "card_activate": "新卡怎么激活？",
    "card_swallowed": "ATM吞卡了怎么办？",
    "password_login_reset": "登录密码忘了怎么重置？",
    "password_transaction_reset": "银行卡交易密码忘了怎么办？",
    "password_payment_reset": "支付密码忘了怎么重置？",
    "password_unlock": "密码输错被锁了怎么解锁？",
    "securities_password_reset": "证券账户密码忘了怎么重置？",
    "account_open_materials": "开户需要带什么材料？",
    "account_close": "银行卡怎么销户？",
    "account_change_phone": "怎么修改预留手机号？",
    "account_balance": "怎么查余额和交易明细？",
    "credit_card_apply": "怎么申请信用卡？",
    "credit_card_repayment": "信用卡怎么还款？",
    "credit_card_limit": "信用卡额度怎么调整？",
    "credit_card_annual_fee": "信用卡年费怎么收、怎么免？",
    "credit_card_overdue": "信用卡逾期了怎么办？",
    "credit_card_installment": "信用卡怎么办理分期？",
    "deposit_rate": "存款利率是多少？",
    "wealth_risk_level": "理财产品的风险等级怎么看？",
    "risk_assessment": "怎么做风险测评？",
    "fund_purchase_redeem": "基金怎么申购、赎回？",
    "stock_account_open": "怎么开股票账户？",
    "stock_trading_hours": "股票交易时间是什么时候？",
    "stock_commission": "股票交易佣金怎么收？",
    "gem_board": "怎么开通创业板权限？",
    "star_market": "怎么开通科创板权限？",
    "bse_board": "怎么开通北交所权限？",
    "margin_trading": "怎么开通融资融券？",
    "ipo_subscription": "怎么申购新股？",
    "bank_securities_transfer": "银证转账怎么操作？",
    "video_witness": "视频见证怎么办理？",
    "branch_locator": "查找附近的网点",
    "business_hours": "网点营业时间是几点？",
    "transfer_limit_change": "我要调整转账限额",
    "transfer_limit": "转账限额是多少？",
    "transfer_fee": "转账手续费怎么收？",
    "transfer_wrong_account": "转错账了怎么办？",
    "transfer_interbank": "跨行转账怎么操作、多久到账？",
    "transfer_overseas": "怎么办理境外汇款？",
    "mobile_banking_register": "怎么注册、登录手机银行？",
    "online_banking_open": "怎么开通网上银行？",
    "ukey": "U盾怎么使用？",
    "sms_code_issue": "收不到短信验证码怎么办？",
    "loan_apply": "怎么申请贷款？",
    "loan_prepay": "贷款怎么提前还款？",
    "complaint": "我要投诉",
}
PREFIX = "/"  # an option in kb_suggestions that is an intent, not a KB entry id


def option_value(intent: str) -> str:
    return PREFIX + intent


def picked_intent(option: str | None) -> str | None:
    """The intent an option of the ``kb_suggestions`` slot names, or None for a KB entry id (pure)."""
    if option and option.startswith(PREFIX) and option[len(PREFIX):] in INTENT_QUESTIONS:
        return option[len(PREFIX):]
    return None


def intent_button(intent: str) -> Dict[str, str] | None:
    """The 您是不是想问 button for ``intent`` (None when it is never offered)."""
    title = INTENT_QUESTIONS.get(intent)
    return None if title is None else {"title": title, "payload": option_value(intent)}


def answer_picked(dispatcher: Any, intent: str, responses: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """Events (and messages) for an intent option picked by typing: its standard response, then its form."""
    response = f"utter_{intent}"
    if response in responses:
        dispatcher.utter_message(response=response)
    form = FORM_OF.get(intent)
    return [FollowupAction(form)] if form else []
