/* The supervisor's 监控 tab: the queue, every agent and the live conversations, polled every 3 s while the
 * tab is open (a 401 or 403 stops the polling). */

import { clear, elements, formatTime, h } from '../shared/dom.js';
import { ROLE_LABELS } from '../shared/session.js';
import { formatDuration, reasonLabel, shortId, snippet, STATE_LABELS, STATUS_LABELS } from './labels.js';
import { api, session, toast } from './page.js';
import { showQueueLength } from './queue.js';

const POLL_MS = 3000;

const el = elements(['sv-summary', 'sv-updated', 'sv-queue', 'sv-agents', 'sv-live']);
let timer = null;
let runs = 0;
let polling = 0;   // the current polling run; 0 = stopped (an answer for another run is dropped)

export function start() {
  stop();
  const auth = session.auth();
  if (!auth || auth.role !== 'supervisor') return;
  polling = ++runs;
  poll(polling);
}

export function stop() {
  clearTimeout(timer);
  timer = null;
  polling = 0;
}

function poll(run) {
  api('GET', '/supervisor/overview').then((data) => {
    if (run !== polling || !session.auth()) return;
    render(data || {});
    timer = setTimeout(() => poll(run), POLL_MS);
  }, (err) => {
    if (run !== polling || !session.auth()) return;
    toast.error(err);
    if (err.status !== 401 && err.status !== 403) timer = setTimeout(() => poll(run), POLL_MS);
  });
}

function render(data) {
  const queue = Array.isArray(data.queue) ? data.queue : [];
  const agents = Array.isArray(data.agents) ? data.agents : [];
  const live = Array.isArray(data.live) ? data.live : [];
  showQueueLength(queue.length);
  const online = agents.filter((a) => a.status === 'online').length;
  el.svSummary.textContent = '排队 ' + queue.length + ' · 在线坐席 ' + online + '/' + agents.length +
    ' · 进行中 ' + live.length + ' · 待处理留言 ' + (data.leave_messages_open || 0);
  el.svUpdated.textContent = '更新于 ' + formatTime(new Date().toISOString());
  fillTable(el.svQueue, queue, 5, '当前无排队', (q) => [
    q.position, '#' + shortId(q.conversation_id), formatDuration(q.waiting_s),
    q.skill_group || '未分组', reasonLabel(q.handoff_reason)]);
  fillTable(el.svAgents, agents, 5, '暂无坐席', (a) => [
    (a.display_name || a.username) + '（' + a.username + '）', ROLE_LABELS[a.role] || a.role,
    STATUS_LABELS[a.status] || a.status, (a.load || 0) + ' / ' + (a.capacity != null ? a.capacity : '–'),
    (a.skills || []).join('、') || '—']);
  fillTable(el.svLive, live, 8, '暂无进行中的会话', (c) => [
    '#' + shortId(c.id), c.customer_id || '访客', c.agent || '—', c.skill_group || '未分组',
    STATE_LABELS[c.state] || c.state, reasonLabel(c.handoff_reason), formatTime(c.assigned_at) || '—',
    c.last_message ? snippet(c.last_message.text, 30) : '—']);
}

function fillTable(tbody, rows, columns, emptyText, toCells) {
  clear(tbody);
  if (!rows.length) {
    const tr = h('tr', 'empty-row');
    const td = h('td', 'empty', emptyText);
    td.colSpan = columns;
    tr.appendChild(td);
    tbody.appendChild(tr);
    return;
  }
  rows.forEach((row) => {
    const tr = h('tr');
    toCells(row).forEach((cell) => {
      tr.appendChild(h('td', '', cell === undefined || cell === null ? '—' : cell));
    });
    tbody.appendChild(tr);
  });
}
