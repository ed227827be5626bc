/* The supervisor's 监控 tab: the queue (each skill group one queue with its own positions, listed group by
 * group; waits of 20 minutes and more in red), every agent (load above capacity in amber) and the live
 * conversations — a click listens in (viewer.js) — polled every 3 s while the tab is open (a 401 or 403 stops
 * the polling). */

import { clear, elements, formatTime, h } from '../shared/dom.js';
import { ROLE_LABELS } from '../shared/session.js';
import { formatDuration, reasonLabel, shortId, snippet, STATE_LABELS, STATUS_LABELS } from './labels.js';
import { api, session, toast } from './page.js';
import { showQueueLength } from './queue.js';
import * as viewer from './viewer.js';

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
  renderQueue(queue);
  fillTable(el.svAgents, agents, 5, '暂无坐席', (a) => [
    (a.display_name || a.username) + '（' + a.username + '）', ROLE_LABELS[a.role] || a.role,
    STATUS_LABELS[a.status] || a.status,
    (a.load || 0) + ' / ' + (a.capacity != null ? a.capacity : '–') + (a.over_capacity ? ' 超出上限' : ''),
    (a.skills || []).join('、') || '—'], (a, tr) => { if (a.over_capacity) tr.classList.add('over-capacity'); });
  fillTable(el.svLive, live, 8, '暂无进行中的会话', (c) => [
    '#' + shortId(c.id), c.customer_id || '访客', c.agent || '—', c.skill_group || '未分组',
    (STATE_LABELS[c.state] || c.state) + (c.customer_left ? '（客户已离开）' : ''), reasonLabel(c.handoff_reason),
    formatTime(c.assigned_at) || '—', c.last_message ? snippet(c.last_message.text, 30) : '—'], listenable);
}

/* Each skill group is a queue of its own: a header row per group, then its customers by position. */
function renderQueue(queue) {
  clear(el.svQueue);
  if (!queue.length) {
    fillTable(el.svQueue, [], 5, '当前无排队', () => []);
    return;
  }
  const groups = new Map();
  queue.forEach((q) => {
    const group = q.skill_group || '未分组';
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(q);
  });
  groups.forEach((items, group) => {
    const head = h('tr', 'group-row');
    const td = h('td', '', group + '（' + items.length + ' 人排队）');
    td.colSpan = 5;
    head.appendChild(td);
    el.svQueue.appendChild(head);
    items.sort((a, b) => (a.position || 0) - (b.position || 0)).forEach((q) => {
      const tr = h('tr', 'queue-row' + (q.long_wait ? ' long-wait' : ''));
      tr.dataset.id = q.conversation_id;
      [q.position, '#' + shortId(q.conversation_id) + (q.customer_online === false ? '（客户暂离）' : ''),
        formatDuration(q.waiting_s) + (q.long_wait ? ' ⚠' : ''), group, reasonLabel(q.handoff_reason)]
        .forEach((cell) => tr.appendChild(h('td', '', cell === undefined || cell === null ? '—' : cell)));
      el.svQueue.appendChild(tr);
    });
  });
}

/* A live chat's row opens it read-only, with whisper and 接管. */
function listenable(c, tr) {
  tr.classList.add('live-row');
  tr.dataset.id = c.id;
  tr.tabIndex = 0;
  tr.title = '旁听该会话';
  const open = () => viewer.open('旁听 · 会话 #' + shortId(c.id), '/agent/conversations/' + encodeURIComponent(c.id),
    true);
  tr.addEventListener('click', open);
  tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
}

function fillTable(tbody, rows, columns, emptyText, toCells, decorate) {
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
    if (decorate) decorate(row, tr);
    tbody.appendChild(tr);
  });
}
