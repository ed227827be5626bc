/* What the customer is told about the conversation around the messages: the queue, agent, closed and
 * connection banners, and the toast. */

import { elements } from '../shared/dom.js';
import { toaster } from '../shared/toast.js';
import * as surge from './surge.js';

const el = elements(['queue-banner', 'queue-text', 'agent-banner', 'closed-banner', 'conn-banner',
  'quick-replies', 'toast']);

export const toast = toaster(el.toast, { ms: 4000 });

/* conv: {state, agentName, queuePos, queueWait} */
export function renderBanners(conv) {
  const s = conv.state;
  surge.setState(s);
  el.queueBanner.hidden = s !== 'queued';
  if (s === 'queued') el.queueText.textContent = queueText(conv);
  el.agentBanner.hidden = s !== 'agent';
  if (s === 'agent') {
    el.agentBanner.textContent = conv.agentName ? '客服 ' + conv.agentName + ' 为您服务' : '人工客服为您服务';
  }
  el.closedBanner.hidden = s !== 'closed';
  const handoffBtn = el.quickReplies.querySelector('[data-handoff]');
  if (handoffBtn) handoffBtn.hidden = (s === 'queued' || s === 'agent');
}

/* queue_position is 1-based (1 = next in line), so the number of people ahead is position - 1,
 * the same figure the bridge's own queue notice uses. */
function queueText(conv) {
  if (typeof conv.queuePos !== 'number') return '正在为您转接人工客服，请稍候…';
  const ahead = Math.max(0, conv.queuePos - 1);
  const minutes = Math.max(1, Math.round((conv.queueWait || 0) / 60));
  return '正在为您转接人工客服，前面还有 ' + ahead + ' 位，预计等待约 ' + minutes + ' 分钟';
}

const CONN_TEXT = {
  offline: '网络已断开，请检查网络连接；恢复后将自动重连',
  reconnecting: '连接已断开，正在重连…'
};

/* mode: 'offline' (the device has no network), 'reconnecting' (the socket dropped), or false (connected). */
export function setConnBanner(mode) {
  const text = CONN_TEXT[mode];
  el.connBanner.hidden = !text;
  if (text) el.connBanner.textContent = text;
  el.connBanner.classList.toggle('offline', mode === 'offline');
}
