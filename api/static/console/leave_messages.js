/* The 留言 tab: messages customers left for a call back, with the open count on the tab; 处理完成 closes one. */

import { clear, elements, formatTime, h } from '../shared/dom.js';
import { shortId } from './labels.js';
import { api, toast } from './page.js';

const el = elements(['leave-list', 'leave-empty', 'leave-count', 'leave-refresh']);

export function init() {
  el.leaveRefresh.addEventListener('click', load);
}

export function load() {
  return api('GET', '/agent/leave-messages?status=open').then((list) => {
    clear(el.leaveList);
    (Array.isArray(list) ? list : []).forEach((m) => el.leaveList.appendChild(renderItem(m)));
    updateCount();
  }, toast.error);
}

export function reset() {
  clear(el.leaveList);
  el.leaveCount.hidden = true;
}

function updateCount() {
  const n = el.leaveList.querySelectorAll('.leave-item').length;
  el.leaveEmpty.hidden = n > 0;
  el.leaveCount.hidden = n === 0;
  el.leaveCount.textContent = String(n);
}

function renderItem(m) {
  const li = h('li', 'leave-item');
  li.dataset.id = m.id;
  const head = h('div', 'leave-head');
  head.appendChild(h('span', 'leave-who', m.customer_id ? '客户 ' + m.customer_id : '访客'));
  head.appendChild(h('span', 'leave-phone', '回拨号码：' + (m.callback_number || '未留')));
  if (m.conversation_id !== undefined && m.conversation_id !== null) {
    head.appendChild(h('span', 'muted', '会话 #' + shortId(m.conversation_id)));
  }
  head.appendChild(h('span', 'muted', formatTime(m.created_at)));
  li.appendChild(head);
  li.appendChild(h('div', 'leave-text', m.text || ''));
  const btn = h('button', 'btn btn-small btn-primary leave-close', '处理完成');
  btn.type = 'button';
  btn.addEventListener('click', () => closeMessage(m.id, li, btn));
  li.appendChild(btn);
  return li;
}

function closeMessage(id, li, btn) {
  btn.disabled = true;
  api('POST', '/agent/leave-messages/' + encodeURIComponent(id) + '/close').then(() => {
    li.remove();
    updateCount();
    toast.show('留言已处理', 'ok');
  }, (err) => {
    btn.disabled = false;
    toast.error(err);
  });
}
