"""Answers that depend on form slots: card-loss steps, branch visit guidance, transfer-limit change steps.

Pure text builders take an :class:`Institution` (common.institution: the facts configured once in
``domain.yml`` slots) so no name, hotline or opening hours is written here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from actions.branches import Branch, BranchDirectory, branch_answer, canonical_business, find_branches
from common.institution import Institution


def card_loss_steps(card_type: str, last4: str, org: Institution) -> str:
    """The concise result once the card type and last 4 digits are known: the steps themselves were already
    given (utter_card_report_loss) before the form asked, so this confirms the card and says what to do now;
    the buttons (:func:`card_loss_buttons`) open the app's loss page or call the hotline."""
    card = f"尾号{last4}的{card_type}"
    if card_type == "信用卡":
        return (f"已确认：您要挂失{card}。请立即在{org.app_name}「信用卡-卡片管理-挂失」办理或拨打{org.hotline}，"
                "挂失即时生效；可同时申请补发新卡（绑定的自动还款、快捷支付需重新设置）。")
    return (f"已确认：您要挂失{card}。请立即在{org.app_name}「卡片管理-挂失」或拨打{org.hotline}办理临时挂失，"
            "资金即时冻结；5天内请本人携带身份证到任一网点办理正式挂失并补卡。")


def card_loss_buttons(org: Institution, app_url: str) -> list[dict[str, str]]:
    """Next actions after card loss: the app's loss page (an https deep link, when the bank configured one),
    a tel: button when the hotline holds a dialable number (never for a placeholder such as 95xxx), 补卡, 人工."""
    buttons = []
    if app_url.startswith("https://"):
        buttons.append({"title": f"打开{org.app_name}挂失", "payload": app_url})
    number = hotline_number(org.hotline)
    if number:
        buttons.append({"title": f"拨打{number}", "payload": f"tel:{number}"})
    return [*buttons, {"title": "补办新卡", "payload": "/card_reissue"},
            {"title": "转人工客服", "payload": "/human_handoff"}]


def hotline_number(hotline: str) -> str | None:
    """The dialable number in ``客服热线95588`` / ``400-820-8888``, or None (placeholders like 95xxx)."""
    match = re.search(r"(?<![0-9A-Za-z])(\+?[0-9][0-9-]{3,18}[0-9])(?![0-9A-Za-z])", hotline)
    return match.group(1) if match else None


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


def branch_guidance(city: str, business: str | None, org: Institution,
                    branches: tuple[Branch, ...] | None = None) -> str:
    """Up to three branches in ``city`` offering ``business`` from the bank's branch directory (actions/branches.py;
    the configured file when ``branches`` is None), with what to bring, or an honest none with the hotline."""
    directory = branch_directory().branches() if branches is None else branches
    note = BUSINESS_NOTES.get(canonical_business(business) or "", GENERIC_NOTE)
    return branch_answer(find_branches(directory, city, business), city, business, note, org)


@lru_cache(maxsize=1)
def branch_directory() -> BranchDirectory:
    """The process-wide branch directory (``BRANCHES_PATH``, default the demo file), re-read when it changes."""
    from actions.settings import settings

    return BranchDirectory(settings.branches_path)


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
