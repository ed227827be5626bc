"""Answers that depend on form slots: card-loss steps, branch visit guidance, transfer-limit change steps.

Pure text builders take an :class:`Institution` (common.institution: the facts configured once in
``domain.yml`` slots) so no name, hotline or opening hours is written here.
"""

from __future__ import annotations

from common.institution import Institution


def card_loss_steps(card_type: str, last4: str, org: Institution) -> str:
    """Loss-reporting steps for the customer's 借记卡 or 信用卡 ending in ``last4``."""
    card = f"尾号{last4}的{card_type}"
    if card_type == "信用卡":
        return (
            f"您{card}的挂失办理步骤：\n"
            f"1. 立即在{org.app_name}「信用卡-卡片管理-挂失」办理，"
            f"或拨打{org.hotline}转信用卡服务挂失，挂失即时生效；\n"
            "2. 挂失后原卡无法使用，可同时申请补发新卡（卡号可能变化，绑定的自动还款、快捷支付需重新设置）；\n"
            "3. 如发现被盗刷，请尽快报警并保留交易记录，再联系我们申请争议处理。\n"
            "提示：任何人向您索要密码、验证码都是诈骗，请勿透露。"
        )
    return (
        f"您{card}的挂失办理步骤：\n"
        f"1. 立即在{org.app_name}「卡片管理-挂失」或拨打{org.hotline}办理口头/临时挂失，资金即时冻结；\n"
        "2. 临时挂失一般有效期为5天，请在有效期内本人携带身份证到任一网点办理正式挂失；\n"
        "3. 正式挂失后可在网点申请补卡，新卡通常7天后可领取，或当场换发新卡（以网点为准）。\n"
        "提示：任何人向您索要密码、验证码都是诈骗，请勿透露。"
    )


BUSINESS_NOTES = {
    "开户": "请本人携带有效身份证件原件，及本人实名登记的手机号",
    "销户": "请本人携带身份证和要注销的卡，账户内余额需先转出或取出",
    "挂失": "正式挂失需本人携带身份证办理",
    "补卡": "请本人携带身份证办理，部分网点可当场换发新卡",
    "大额取现": "取现5万元及以上建议提前1个工作日通过App或电话预约，并携带身份证和银行卡",
    "外汇兑换": "请携带身份证；个人每年便利化结售汇额度为等值5万美元，外币现钞建议提前预约",
    "修改预留手机号": "请本人携带身份证和银行卡，新手机号需为本人实名登记",
    "定期存款": "请携带身份证和银行卡，也可在App办理无需到网点",
    "大额存单": "请携带身份证和银行卡，也可在App购买，额度以当日发售为准",
    "贷款": "请携带身份证、收入证明等材料，建议先预约客户经理",
}
GENERIC_NOTE = "请本人携带有效身份证件原件和银行卡"


def branch_guidance(city: str, business: str | None, org: Institution) -> str:
    """How to find a branch in ``city`` and what to bring for ``business``."""
    note = BUSINESS_NOTES.get(business or "", GENERIC_NOTE)
    what = f"办理{business}" if business else "办理业务"
    return (
        f"为您查询{city}的网点：\n"
        f"1. 打开{org.app_name}「网点查询/网点预约」，定位{city}即可查看附近网点的地址、排队人数和导航；\n"
        f"2. {what}：{note}；\n"
        f"3. 网点营业时间：{org.branch_hours}（节假日以网点公告为准），建议先在App预约取号减少等待。\n"
        f"如需人工协助可拨打{org.hotline}。"
    )


CHANNEL_LIMIT_STEPS = {
    "手机银行": "登录{app}「我的-安全中心-转账限额设置」，按页面提示完成短信验证和人脸识别即可调整；"
    "超出自助可调上限的部分需携带身份证到网点办理",
    "网上银行": "登录个人网银「安全中心-限额管理」，使用U盾或短信验证完成设置；超出自助上限需到网点办理",
    "柜台": "本人携带身份证和银行卡到任一网点，填写限额调整申请即可，柜台转账本身不受电子渠道限额约束",
    "ATM": "ATM转账限额由监管规定，一般不可自助调整；大额转账建议使用{app}或到柜台办理",
}


def transfer_limit_guidance(channel: str, amount: int, org: Institution) -> str:
    """Steps to change the daily transfer limit of ``channel`` to ``amount`` yuan."""
    steps = CHANNEL_LIMIT_STEPS.get(channel, CHANNEL_LIMIT_STEPS["手机银行"]).format(app=org.app_name)
    return (
        f"将{channel}单日转账限额调整为{amount:,}元：{steps}。\n"
        "为保障资金安全，新设限额一般即时生效，具体可调范围以页面显示为准；"
        f"如有疑问可拨打{org.hotline}。"
    )
