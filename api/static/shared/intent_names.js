/* Chinese display names of the bot's intents, for staff pages (the console's handoff context, the
 * workbench's intent list): staff read 挂失 faster than card_report_loss. The English name stays the key and
 * is shown beside it. A test checks that every intent in domain.yml has a name here; nlu_fallback is Rasa's. */

export const INTENT_NAMES = {
  card_report_loss: '银行卡挂失',
  card_unfreeze_loss: '解除挂失',
  card_reissue: '补办银行卡',
  card_activate: '卡片激活',
  card_swallowed: 'ATM吞卡',
  password_login_reset: '登录密码重置',
  password_transaction_reset: '交易密码重置',
  password_payment_reset: '支付密码重置',
  password_unlock: '密码解锁',
  securities_password_reset: '证券密码重置',
  account_open_materials: '开户所需材料',
  account_close: '销户',
  account_change_phone: '修改预留手机号',
  account_balance: '余额与明细查询',
  greet: '问候',
  goodbye: '再见',
  thanks: '感谢',
  bot_challenge: '是否机器人',
  affirm: '肯定',
  deny: '否定',
  inform: '提供信息',
  out_of_scope: '超出范围',
  fraud_alert: '疑似诈骗',
  share_sensitive_info: '发送敏感信息',
  credit_card_apply: '信用卡申请',
  credit_card_repayment: '信用卡还款',
  credit_card_limit: '信用卡额度',
  credit_card_annual_fee: '信用卡年费',
  credit_card_overdue: '信用卡逾期与征信',
  credit_card_installment: '信用卡分期',
  deposit_rate: '存款利率',
  wealth_risk_level: '理财风险等级',
  risk_assessment: '风险测评',
  fund_purchase_redeem: '基金申购赎回',
  stock_account_open: '股票开户',
  stock_trading_hours: '股票交易时间',
  stock_commission: '股票佣金',
  gem_board: '创业板开通',
  star_market: '科创板开通',
  bse_board: '北交所开通',
  margin_trading: '融资融券',
  ipo_subscription: '新股申购',
  bank_securities_transfer: '银证转账',
  video_witness: '视频见证',
  branch_locator: '网点查询',
  business_hours: '营业时间',
  complaint: '投诉',
  human_handoff: '转人工',
  transfer_limit_change: '转账限额调整',
  transfer_limit: '转账限额',
  transfer_fee: '转账手续费',
  transfer_wrong_account: '转错账',
  transfer_interbank: '跨行转账',
  transfer_overseas: '境外汇款',
  mobile_banking_register: '手机银行注册',
  online_banking_open: '网银开通',
  ukey: 'U盾',
  sms_code_issue: '收不到验证码',
  loan_apply: '贷款申请',
  loan_prepay: '提前还贷',
  kb_select: '选择推荐问题',
  kb_helpful: '回答有帮助',
  kb_unhelpful: '回答没帮助',
  investment_advice: '投资建议',
  guaranteed_return: '保本保收益',
  suitability_mismatch: '适当性不匹配',
  card_account_rental: '出租出借账户',
  loan_scam: '贷款诈骗',
  nlu_fallback: '未识别'
};

/* 挂失（card_report_loss）; an intent without a Chinese name shows its English one. */
export function intentLabel(name) {
  if (!name) return '—';
  const zh = INTENT_NAMES[name];
  return zh ? zh + '（' + name + '）' : String(name);
}

export function intentName(name) {
  return (name && INTENT_NAMES[name]) || name || '';
}
