/* The supervisor's 审计 tab: the audit log filtered by action, actor, target and days (GET
 * /supervisor/audit), newest first; a detail is shown as its JSON. Enter in any field searches. */

import { clear, elements, formatTime, h } from '../shared/dom.js';
import { api, toast } from './page.js';

const ACTION_LABELS = {
  login: '登录', login_failed: '登录失败', login_locked: '登录锁定', agent_settings: '坐席设置', transfer: '转接',
  close_conversation: '结束会话', take_over: '接管', whisper: '悄悄话', reveal_callback_number: '查看回拨号码',
  leave_message_outcome: '回拨结果', close_leave_message: '留言处理', sensitive_word: '敏感词',
  customer_deleted: '删除客户数据', agent_disconnected: '坐席掉线', retention_purge: '到期清理'
};

const el = elements(['audit-form', 'audit-action', 'audit-actor', 'audit-target', 'audit-since', 'audit-until',
  'audit-list']);
let seq = 0;

export function init() {
  el.auditForm.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  el.auditAction.addEventListener('change', load);
}

export function load() {
  const params = new URLSearchParams({ limit: '200' });
  [['action', el.auditAction], ['actor', el.auditActor], ['target', el.auditTarget], ['since', el.auditSince],
    ['until', el.auditUntil]].forEach(([key, input]) => {
    if (input.value.trim()) params.set(key, input.value.trim());
  });
  const mine = ++seq;
  return api('GET', '/supervisor/audit?' + params.toString()).then((list) => {
    if (mine === seq) render(Array.isArray(list) ? list : []);
  }, (err) => {
    if (mine === seq) toast.error(err);
  });
}

export function reset() {
  clear(el.auditList);
}

function render(list) {
  clear(el.auditList);
  if (!list.length) {
    const tr = h('tr', 'empty-row');
    const td = h('td', 'empty', '没有符合条件的记录');
    td.colSpan = 5;
    tr.appendChild(td);
    el.auditList.appendChild(tr);
    return;
  }
  list.forEach((a) => {
    const tr = h('tr', 'audit-row');
    tr.dataset.id = a.id;
    tr.appendChild(h('td', '', formatTime(a.at)));
    tr.appendChild(h('td', '', a.actor || '—'));
    tr.appendChild(h('td', '', (ACTION_LABELS[a.action] ? ACTION_LABELS[a.action] + ' · ' : '') + a.action));
    tr.appendChild(h('td', '', a.target || '—'));
    tr.appendChild(h('td', 'audit-detail', a.detail === null || a.detail === undefined ? '—'
      : JSON.stringify(a.detail, null, 1)));
    el.auditList.appendChild(tr);
  });
}
