/* The 留言 tab: messages customers left for a call back — date, status, preferred time, attempts, the question
 * and the conversation behind it — with the open count on the tab. The callback number is masked; 显示号码
 * reveals it (the server audits every reveal) so the agent can call; 已回拨 closes the 留言, 未接通 counts an
 * attempt and keeps it open; 查看会话 opens its conversation read-only. */

import { clear, elements, formatTime, h } from '../shared/dom.js';
import { shortId } from './labels.js';
import { api, toast } from './page.js';
import * as viewer from './viewer.js';

const STATUS_TEXT = { open: '待处理', closed: '已处理' };
const OUTCOME_TEXT = { called_back: '已回拨', no_answer: '未接通' };

const el = elements(['leave-list', 'leave-empty', 'leave-count', 'leave-refresh', 'leave-status']);

export function init() {
  el.leaveRefresh.addEventListener('click', load);
  el.leaveStatus.addEventListener('change', load);
}

export function load() {
  const status = el.leaveStatus.value || 'open';
  return api('GET', '/agent/leave-messages?status=' + encodeURIComponent(status)).then((list) => {
    clear(el.leaveList);
    const items = Array.isArray(list) ? list : [];
    items.forEach((m) => el.leaveList.appendChild(renderItem(m)));
    el.leaveEmpty.hidden = items.length > 0;
    el.leaveEmpty.textContent = status === 'open' ? '暂无待处理留言' : '暂无留言';
    if (status === 'open') updateCount(items.length);
    else refreshCount();
  }, toast.error);
}

export function reset() {
  clear(el.leaveList);
  el.leaveCount.hidden = true;
}

function refreshCount() {
  api('GET', '/agent/leave-messages?status=open').then((list) => {
    updateCount(Array.isArray(list) ? list.length : 0);
  }, () => { /* the count is an aid */ });
}

function updateCount(n) {
  el.leaveCount.hidden = n === 0;
  el.leaveCount.textContent = String(n);
}

function statusLine(m) {
  const parts = [STATUS_TEXT[m.status] || m.status];
  if (m.outcome) parts.push(OUTCOME_TEXT[m.outcome] || m.outcome);
  if (m.attempts) parts.push('已尝试 ' + m.attempts + ' 次');
  if (m.outcome_at) parts.push('更新于 ' + formatTime(m.outcome_at));
  return parts.join(' · ');
}

function renderItem(m) {
  const li = h('li', 'leave-item' + (m.status === 'closed' ? ' closed' : ''));
  li.dataset.id = m.id;
  const head = h('div', 'leave-head');
  head.appendChild(h('span', 'leave-who', m.customer_id ? '客户 ' + m.customer_id : '访客'));
  const number = h('span', 'leave-phone leave-number', '回拨号码：' + (m.callback_number || '未留'));
  head.appendChild(number);
  head.appendChild(h('span', 'muted', '方便接听：' + (m.preferred_time || '未说明')));
  head.appendChild(h('span', 'muted leave-date', '留言时间：' + formatTime(m.created_at)));
  head.appendChild(h('span', 'tag leave-status', statusLine(m)));
  li.appendChild(head);
  li.appendChild(h('div', 'leave-text', m.text || ''));
  const actions = h('div', 'leave-actions');
  if (m.has_number) actions.appendChild(button('显示号码', 'leave-reveal', () => reveal(m, number)));
  actions.appendChild(button('查看会话 #' + shortId(m.conversation_id), 'leave-conversation', () => {
    viewer.open('留言的会话', '/agent/leave-messages/' + encodeURIComponent(m.id) + '/conversation', false);
  }));
  if (m.status === 'open') {
    actions.appendChild(button('已回拨', 'leave-called btn-primary', () => outcome(m, 'called_back')));
    actions.appendChild(button('未接通', 'leave-missed', () => outcome(m, 'no_answer')));
  }
  li.appendChild(actions);
  return li;
}

function button(text, className, onClick) {
  const b = h('button', 'btn btn-small ' + className, text);
  b.type = 'button';
  b.addEventListener('click', () => onClick(b));
  return b;
}

function reveal(m, numberNode) {
  api('POST', '/agent/leave-messages/' + encodeURIComponent(m.id) + '/reveal').then((r) => {
    numberNode.textContent = '回拨号码：' + r.callback_number;
    numberNode.classList.add('revealed');
    toast.show('号码已显示（本次查看已记录在审计日志）', 'ok');
  }, toast.error);
}

function outcome(m, value) {
  api('POST', '/agent/leave-messages/' + encodeURIComponent(m.id) + '/outcome', { outcome: value }).then(() => {
    toast.show(value === 'called_back' ? '已记录：已回拨，留言处理完成' : '已记录：未接通，留言保持待处理', 'ok');
    load();
  }, toast.error);
}
