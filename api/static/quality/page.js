/* What every panel of the quality page shares: the signed-in member's session and API client, the toast, the
 * labels. Contract: /docs (tag quality). */

import { byId, pad2 } from '../shared/dom.js';
import { staffSession } from '../shared/session.js';
import { toaster } from '../shared/toast.js';

export const session = staffSession({ key: 'bankcs.quality.auth', base: '/api/v1' });
export const api = session.api;
export const toast = toaster(byId('toast'), { ms: 4000, okMs: 2500 });

export const STATUS_LABELS = { open: '待质检', submitted: '已提交', appealed: '申诉中', decided: '已裁决' };
export const SENDER_LABELS = { customer: '客户', bot: '机器人', agent: '坐席', system: '系统', whisper: '班长提示' };
export const DECISION_LABELS = { upheld: '申诉成立', rejected: '申诉驳回' };

export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '—';
  return (d.getMonth() + 1) + '月' + d.getDate() + '日 ' + pad2(d.getHours()) + ':' + pad2(d.getMinutes());
}

export function score(total) {
  return total === null || total === undefined ? '—' : String(total);
}
