/* How the console names things: handoff reasons, states, senders, short conversation ids, durations. */

import { pad2 } from '../shared/dom.js';

const REASON_LABELS = {
  customer_request: '客户要求',
  repeated_fallback: '多次未识别',
  negative_feedback: '回答没帮助',
  complaint: '投诉',
  fraud_risk: '疑似诈骗',
  bot_request: '机器人转接'
};
/* What the bot's slots hold, as an agent reads them. */
export const SLOT_LABELS = {
  card_type: '卡种', card_last4: '卡号后四位', city: '城市', business: '业务', channel: '渠道', amount: '金额'
};
export const STATUS_LABELS = { online: '在线', away: '离开', offline: '离线' };
export const STATE_LABELS = { bot: '机器人', queued: '排队中', agent: '人工服务中', closed: '已结束' };
export const FROM_LABELS = { customer: '客户', bot: '机器人', agent: '坐席', system: '系统', whisper: '悄悄话' };
export const DISPOSITION_LABELS = { resolved: '已解决', unresolved: '未解决', callback: '需回电', complaint: '投诉' };

export function reasonLabel(reason) {
  if (!reason) return '—';
  return REASON_LABELS[reason] || String(reason);
}

/* Conversation ids are long opaque strings; show a short prefix (full id in the tooltip). */
export function shortId(id) {
  const s = String(id);
  return s.length > 10 ? s.slice(0, 8) : s;
}

export function customerLabel(c) {
  return c.customer_id ? '客户 ' + c.customer_id : '访客 #' + shortId(c.id);
}

export function snippet(text, max) {
  const t = String(text || '').replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max) + '…' : t;
}

export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  const m = Math.floor(s / 60);
  if (m >= 60) return Math.floor(m / 60) + '小时' + (m % 60) + '分';
  return m + '分' + pad2(s % 60) + '秒';
}

export function formatScore(s) {
  return typeof s === 'number' && isFinite(s) ? s.toFixed(2) : '—';
}
