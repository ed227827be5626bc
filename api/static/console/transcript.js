/* A conversation's transcript: each message once, in id order, kept at the bottom while the agent reads the end
 * of it. The selected conversation's (#transcript) is the default one; makeTranscript(box) makes another, for a
 * conversation shown read-only (a 留言's conversation, a supervisor listening in). A supervisor's whisper is
 * marked as such: the customer never sees it. */

import { byId, clear, formatTime, h, insertInOrder, nearBottom, sortedById } from '../shared/dom.js';
import { FROM_LABELS } from './labels.js';

function renderMessage(m, id) {
  const from = FROM_LABELS[m.from] ? m.from : 'bot';
  const row = h('div', 'msg from-' + from);
  row.dataset.id = String(id);
  const meta = h('div', 'msg-meta');
  let who = FROM_LABELS[from];
  if (from === 'agent') who = m.agent_name || FROM_LABELS.agent;
  if (from === 'whisper') who = FROM_LABELS.whisper + '（' + (m.agent_name || '班长') + '，仅坐席可见）';
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

export function makeTranscript(box) {
  const shown = new Set();

  function appendMessage(m) {
    if (!m || m.id === undefined || m.id === null) return;
    const id = Number(m.id);
    if (!isFinite(id) || shown.has(id)) return;
    shown.add(id);
    const stick = nearBottom(box, 80) || m.from === 'agent';
    insertInOrder(box, renderMessage(m, id), id);
    if (stick) box.scrollTop = box.scrollHeight;
  }

  return {
    reset() {
      shown.clear();
      clear(box);
    },
    appendMessages(list) {
      if (!Array.isArray(list)) return;
      sortedById(list).forEach(appendMessage);
    },
    appendMessage
  };
}

const selected = makeTranscript(byId('transcript'));
export const reset = selected.reset;
export const appendMessages = selected.appendMessages;
export const appendMessage = selected.appendMessage;
