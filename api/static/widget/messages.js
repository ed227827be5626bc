/* The message list (#messages): each message rendered once by its id and kept in id order, the optimistic
 * bubble of a message still in flight, and the retry notice when no conversation could be created. */

import { formatTime, h, insertInOrder, nearBottom, sortedById } from '../shared/dom.js';
import { appendButtons, expireChips } from './buttons.js';

const FROM_KINDS = ['customer', 'bot', 'agent', 'system'];

const box = document.getElementById('messages');
const rendered = new Set();   // message ids shown
let lastId = 0;
let onReply = () => {};

/* hooks.onReply(): a message from the bot, an agent or the system was shown (the typing dots go). */
export function init(hooks) {
  onReply = hooks.onReply;
}

/* The newest message id shown: what to fetch after when the socket was away. */
export function lastMessageId() { return lastId; }

export function isNearBottom() { return nearBottom(box, 80); }

export function scrollToBottom() { box.scrollTop = box.scrollHeight; }

export function reset() {
  rendered.clear();
  lastId = 0;
  box.textContent = '';
}

/* The customer moved on (their message id), or the conversation changed hands: every button shown before
 * goes inert, as the server has marked it. */
export function expireBefore(id) {
  box.querySelectorAll('.msg[data-id]').forEach((row) => {
    if (Number(row.dataset.id) < id) expireChips(row);
  });
}

/* The server refused a click on this button (its step is over). */
export function expirePayload(payload) {
  box.querySelectorAll('.chip').forEach((chip) => {
    if (chip.dataset.payload === payload) expireChips(chip.closest('.msg') || chip.parentNode);
  });
}

export function addMessages(list) {
  if (!Array.isArray(list)) return;
  sortedById(list).forEach((m) => addMessage(m, false));
}

/* viaSocket: a customer message pushed by the socket may overtake the HTTP answer that
 * owns the optimistic bubble; it then replaces the oldest one. */
export function addMessage(m, viaSocket) {
  if (!m || m.id === undefined || m.id === null) return;
  const id = Number(m.id);
  if (!isFinite(id) || rendered.has(id)) return;
  const stick = isNearBottom() || m.from === 'customer';
  if (m.from !== 'customer') onReply();
  else if (viaSocket) removeOldestPending();
  rendered.add(id);
  insertInOrder(box, renderMessage(m, id), id);
  if (id > lastId) lastId = id;
  if (stick) scrollToBottom();
}

function renderMessage(m, id) {
  const from = FROM_KINDS.indexOf(m.from) !== -1 ? m.from : 'bot';
  const row = h('div', 'msg from-' + from);
  row.dataset.id = String(id);
  if (from === 'system') {
    row.appendChild(h('div', 'system-text', m.text || ''));
    appendButtons(row, m.buttons, m.buttons_expired);
    return row;
  }
  if (from === 'bot' || from === 'agent') {
    const avatar = h('div', 'avatar', from === 'agent' ? '人' : '智');
    avatar.setAttribute('aria-hidden', 'true');
    row.appendChild(avatar);
  }
  const body = h('div', 'msg-body');
  if (from === 'agent') body.appendChild(h('div', 'msg-sender', m.agent_name || '人工客服'));
  if (m.text) body.appendChild(h('div', 'bubble', m.text));
  appendButtons(body, m.buttons, m.buttons_expired);
  const time = formatTime(m.created_at, true);
  if (time) body.appendChild(h('div', 'msg-time', time));
  row.appendChild(body);
  return row;
}

/* Optimistic customer bubble while the request is in flight; it carries no data-id and is
 * replaced by the server's own copy of the message (rendered by id). */
export function addPending(text) {
  const row = h('div', 'msg-pending from-customer');
  row.setAttribute('aria-hidden', 'true');
  const body = h('div', 'msg-body');
  body.appendChild(h('div', 'bubble', text));
  row.appendChild(body);
  box.appendChild(row);
  scrollToBottom();
  return row;
}

function removeOldestPending() {
  const first = box.querySelector('.msg-pending');
  if (first) first.remove();
}

export function showRetryNotice(onRetry) {
  removeRetryNotice();
  const notice = h('div', 'notice');
  notice.id = 'retry-notice';
  notice.appendChild(h('p', 'notice-text', '暂时无法连接客服，请检查网络后重试'));
  const btn = h('button', 'notice-btn', '重试');
  btn.type = 'button';
  btn.addEventListener('click', onRetry);
  notice.appendChild(btn);
  box.appendChild(notice);
}

export function removeRetryNotice() {
  const old = document.getElementById('retry-notice');
  if (old) old.remove();
}
