/* The conversations assigned to this agent (left column): the list, unread counts (also in the page title)
 * and which one is selected. What selecting shows belongs to chat.js, which registers its hooks here. */

import { clear, elements, formatTime, h } from '../shared/dom.js';
import { customerLabel, reasonLabel, snippet, STATE_LABELS } from './labels.js';
import { api, toast } from './page.js';

const BASE_TITLE = '坐席工作台';

const el = elements(['conv-list', 'conv-count', 'conv-empty']);
let convs = new Map();       // id -> ConversationSummary
const unread = new Map();    // id -> count
let selectedId = null;
let hooks = null;

/* hooks.open(id): the agent picked a conversation; hooks.refresh(): the selected one may have changed;
 * hooks.deselect(): the selected one is gone. */
export function init(selectionHooks) {
  hooks = selectionHooks;
  el.convList.addEventListener('click', (e) => {
    const item = e.target.closest('.conv-item');
    if (item) hooks.open(item.dataset.id);
  });
  el.convList.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    const item = e.target.closest('.conv-item');
    if (!item) return;
    e.preventDefault();
    hooks.open(item.dataset.id);
  });
}

export function load() {
  return api('GET', '/agent/conversations').then((list) => {
    const fresh = new Map();
    (Array.isArray(list) ? list : []).forEach((c) => fresh.set(String(c.id), c));
    convs = fresh;
    unread.forEach((_, id) => { if (!convs.has(id)) unread.delete(id); });
    render();
    if (selectedId !== null) {
      if (convs.has(selectedId)) hooks.refresh();
      else hooks.deselect();
    }
  }, toast.error);
}

export function reset() {
  convs.clear();
  unread.clear();
}

export function has(id) { return convs.has(String(id)); }
export function get(id) { return convs.get(String(id)); }
export function selected() { return selectedId; }

/* Selects id (null: none) and marks it read; true when the selection changed. */
export function choose(id) {
  const changed = selectedId !== id;
  selectedId = id;
  if (id !== null) {
    unread.set(id, 0);
    render();
  }
  return changed;
}

/* Keeps a fuller copy of a summary without redrawing the list. */
export function remember(id, summary) { convs.set(String(id), summary); }

export function upsert(c) {
  if (!c || c.id === undefined || c.id === null) return;
  convs.set(String(c.id), c);
  render();
}

export function remove(id) {
  id = String(id);
  convs.delete(id);
  unread.delete(id);
  if (selectedId === id) hooks.deselect();
  render();
}

/* minimum: a newly assigned conversation counts as at least one unread. */
export function addUnread(id, minimum) {
  const count = unread.get(id) || 0;
  unread.set(id, minimum ? Math.max(minimum, count) : count + 1);
}

/* The customer's socket opened or closed (the presence dot), or they ended the chat. */
export function setCustomer(id, changes) {
  const c = convs.get(String(id));
  if (!c) return;
  Object.assign(c, changes);
  render();
}

export function updateLastMessage(id, msg) {
  const c = convs.get(String(id));
  if (!c || !msg) return;
  c.last_message = msg;
  render();
}

function sorted() {
  return Array.from(convs.values()).sort((a, b) => {
    const ta = Date.parse(a.assigned_at || a.queued_at || '') || 0;
    const tb = Date.parse(b.assigned_at || b.queued_at || '') || 0;
    return ta - tb || Number(a.id) - Number(b.id);
  });
}

export function render() {
  clear(el.convList);
  const list = sorted();
  list.forEach((c) => el.convList.appendChild(renderItem(c)));
  el.convEmpty.hidden = list.length > 0;
  el.convCount.textContent = list.length ? '（' + list.length + '）' : '';
  let total = 0;
  unread.forEach((n) => { total += n; });
  document.title = total > 0 ? '(' + total + ') ' + BASE_TITLE : BASE_TITLE;
}

/* Green while the customer's widget is connected, grey otherwise. */
export function presenceDot(c) {
  const online = !!c.customer_online && !c.customer_left;
  const dot = h('span', 'presence' + (online ? ' online' : ''));
  const label = c.customer_left ? '客户已离开' : online ? '客户在线' : '客户离线';
  dot.setAttribute('role', 'img');
  dot.setAttribute('aria-label', label);
  dot.title = label;
  return dot;
}

function renderItem(c) {
  const id = String(c.id);
  const item = h('li', 'conv-item');
  item.dataset.id = id;
  item.title = '会话 ' + id;
  item.tabIndex = 0;
  item.setAttribute('role', 'button');
  const isSelected = id === selectedId;
  if (isSelected) item.classList.add('selected');
  item.setAttribute('aria-current', isSelected ? 'true' : 'false');

  const top = h('div', 'conv-item-top');
  const name = h('span', 'conv-item-name');
  name.appendChild(presenceDot(c));
  name.appendChild(document.createTextNode(customerLabel(c)));
  top.appendChild(name);
  if (c.customer_left) item.classList.add('left');
  const count = unread.get(id) || 0;
  if (count > 0) {
    const badge = h('span', 'unread-badge', count > 99 ? '99+' : count);
    badge.setAttribute('aria-label', count + ' 条未读');
    top.appendChild(badge);
  }
  item.appendChild(top);

  const tags = h('div', 'conv-item-tags');
  tags.appendChild(h('span', 'tag tag-skill', c.skill_group || '未分组'));
  tags.appendChild(h('span', 'tag tag-reason reason-' + (c.handoff_reason || 'none'), reasonLabel(c.handoff_reason)));
  if (c.state && c.state !== 'agent') tags.appendChild(h('span', 'tag', STATE_LABELS[c.state] || c.state));
  if (c.customer_left) tags.appendChild(h('span', 'tag tag-left', '客户已离开'));
  item.appendChild(tags);

  const last = c.last_message;
  const line = h('div', 'conv-item-last');
  line.appendChild(h('span', 'conv-item-text', last ? snippet(last.text, 40) : '（暂无消息）'));
  if (last && last.created_at) line.appendChild(h('span', 'conv-item-time', formatTime(last.created_at)));
  item.appendChild(line);
  return item;
}
