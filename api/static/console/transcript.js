/* The selected conversation's transcript (#transcript): each message once, in id order, kept at the bottom
 * while the agent reads the end of it. */

import { byId, clear, formatTime, h, insertInOrder, nearBottom, sortedById } from '../shared/dom.js';
import { FROM_LABELS } from './labels.js';

const box = byId('transcript');
const shown = new Set();

export function reset() {
  shown.clear();
  clear(box);
}

export function appendMessages(list) {
  if (!Array.isArray(list)) return;
  sortedById(list).forEach((m) => appendMessage(m));
}

export function appendMessage(m) {
  if (!m || m.id === undefined || m.id === null) return;
  const id = Number(m.id);
  if (!isFinite(id) || shown.has(id)) return;
  shown.add(id);
  const stick = nearBottom(box, 80) || m.from === 'agent';
  insertInOrder(box, renderMessage(m, id), id);
  if (stick) box.scrollTop = box.scrollHeight;
}

function renderMessage(m, id) {
  const from = FROM_LABELS[m.from] ? m.from : 'bot';
  const row = h('div', 'msg from-' + from);
  row.dataset.id = String(id);
  const meta = h('div', 'msg-meta');
  const who = from === 'agent' ? (m.agent_name || FROM_LABELS.agent) : FROM_LABELS[from];
  meta.appendChild(h('span', 'msg-who', who));
  meta.appendChild(h('span', 'msg-time', formatTime(m.created_at)));
  row.appendChild(meta);
  if (m.text) row.appendChild(h('div', 'bubble', m.text));
  if (Array.isArray(m.buttons) && m.buttons.length) {
    const btns = h('div', 'msg-buttons');
    btns.setAttribute('aria-label', '消息按钮');
    m.buttons.forEach((b) => btns.appendChild(h('span', 'msg-button', b.title || b.payload)));
    row.appendChild(btns);
  }
  return row;
}
