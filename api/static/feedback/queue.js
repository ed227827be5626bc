/* The owner's queue (their team's items; a supervisor sees every team): overdue first, then by due time; one item
 * with its replies; take it, route it (supervisors), reply to the customer, close. Refreshed every 10 s. */

import { byId, clear, elements, h, note } from '../shared/dom.js';
import { api, toast, when } from './page.js';

const el = elements(['queue-list', 'queue-status', 'queue-overdue', 'queue-refresh', 'queue-team', 'item-detail',
  'item-id', 'item-status', 'item-source', 'item-category', 'item-team', 'item-assignee', 'item-due', 'item-text',
  'item-assign', 'item-route', 'item-route-team', 'item-route-submit', 'item-replies', 'reply-form', 'reply-text',
  'reply-via', 'reply-submit', 'item-close', 'owner-team-form', 'owner-username', 'owner-team']);
const VIA = { message: '已发到客户会话', callback_note: '已生成回电任务', none: '内部记录' };

let role = null;
let selected = null;
let timer = null;
let teamsLoaded = false;

export function setRole(r) { role = r; }

function query() {
  const params = new URLSearchParams();
  if (el.queueStatus.value) params.set('status', el.queueStatus.value);
  if (el.queueOverdue.checked) params.set('overdue', 'true');
  const q = params.toString();
  return '/feedback/items' + (q ? '?' + q : '');
}

function row(item) {
  const li = h('li', 'fb-row' + (item.overdue ? ' overdue' : '') + (item.id === selected ? ' selected' : ''));
  li.dataset.id = String(item.id);
  li.tabIndex = 0;
  const head = h('div', 'fb-row-head');
  head.appendChild(h('span', '', '#' + item.id));
  head.appendChild(h('span', '', item.category));
  head.appendChild(h('span', '', item.status_name));
  if (role === 'supervisor') head.appendChild(h('span', '', item.team));
  if (item.overdue) head.appendChild(h('span', 'fb-badge-overdue', '超时'));
  li.appendChild(head);
  li.appendChild(h('div', 'fb-row-text', item.text));
  li.addEventListener('click', () => open(item.id));
  li.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(item.id); });
  return li;
}

export function load() {
  return api('GET', query()).then((data) => {
    el.queueTeam.textContent = data.team ? '团队：' + data.team : '全部团队';
    clear(el.queueList);
    if (!data.items.length) note(el.queueList, '暂无意见');
    data.items.forEach((item) => el.queueList.appendChild(row(item)));
  }, toast.error);
}

function renderItem(item) {
  selected = item.id;
  el.itemDetail.hidden = false;
  el.itemId.textContent = String(item.id);
  el.itemStatus.textContent = item.status_name + (item.overdue ? ' · 超时' : '');
  el.itemSource.textContent = item.source_name + (item.score !== null ? '（' + item.score + '分）' : '');
  el.itemCategory.textContent = item.category + (item.keywords.length ? '（' + item.keywords.join('、') + '）' : '');
  el.itemTeam.textContent = item.team;
  el.itemAssignee.textContent = item.assignee || '未分派';
  el.itemDue.textContent = when(item.due_at);
  el.itemText.textContent = item.text;
  const closed = item.status === 'closed';
  el.itemAssign.hidden = role !== 'owner' || item.status !== 'open';
  el.itemRoute.hidden = role !== 'supervisor' || closed;
  el.replyForm.hidden = closed;
  el.itemClose.disabled = item.status !== 'replied';
  clear(el.itemReplies);
  if (!item.replies.length) note(el.itemReplies, '尚未答复');
  item.replies.forEach((r) => {
    el.itemReplies.appendChild(h('li', '', when(r.created_at) + ' ' + (r.author || '') + '（' + VIA[r.channel] +
      '）：' + r.text));
  });
  byId('queue-list').querySelectorAll('.fb-row').forEach((li) => {
    li.classList.toggle('selected', li.dataset.id === String(item.id));
  });
}

function open(id) {
  return api('GET', '/feedback/items/' + id).then(renderItem, toast.error);
}

function act(path, body, done) {
  if (selected === null) return Promise.resolve();
  return api('POST', '/feedback/items/' + selected + path, body || {}).then((item) => {
    renderItem(item);
    toast.show(done, 'ok');
    return load();
  }, toast.error);
}

/* Supervisors: the teams to route an item to, and to tie an owner to. */
function loadTeams() {
  el.ownerTeamForm.hidden = role !== 'supervisor';
  if (teamsLoaded || role !== 'supervisor') return;
  api('GET', '/feedback/config').then((config) => {
    teamsLoaded = true;
    [el.itemRouteTeam, el.ownerTeam].forEach((select) => {
      clear(select);
      config.teams.forEach((t) => select.appendChild(h('option', '', t)));
    });
  }, toast.error);
}

el.ownerTeamForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const username = el.ownerUsername.value.trim();
  if (!username) return;
  api('PUT', '/feedback/owners/' + encodeURIComponent(username) + '/team', { team: el.ownerTeam.value })
    .then((owner) => {
      toast.show(owner.display_name + ' 已设为' + owner.team + '的意见处理人', 'ok');
      el.ownerUsername.value = '';
    }, toast.error);
});

el.replyForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = el.replyText.value.trim();
  if (!text) { toast.show('请输入答复内容'); return; }
  el.replySubmit.disabled = true;
  act('/reply', { text, via: el.replyVia.value }, '已答复').then(() => {
    el.replySubmit.disabled = false;
    if (!el.replyForm.hidden) el.replyText.value = '';
  });
});
el.itemClose.addEventListener('click', () => act('/close', {}, '已关闭'));
el.itemAssign.addEventListener('click', () => act('/assign', {}, '已分派给我'));
el.itemRouteSubmit.addEventListener('click', () => act('/assign', { team: el.itemRouteTeam.value }, '已转派'));
el.queueStatus.addEventListener('change', load);
el.queueOverdue.addEventListener('change', load);
el.queueRefresh.addEventListener('click', load);

export function start() {
  loadTeams();
  load();
  clearInterval(timer);
  timer = setInterval(load, 10000);
}

export function stop() { clearInterval(timer); timer = null; }

export function reset() {
  selected = null;
  teamsLoaded = false;
  clear(el.queueList);
  el.itemDetail.hidden = true;
  el.replyText.value = '';
}
