/* The reply box: Enter sends, Shift+Enter is a new line; the customer sees that the agent is typing; KB
 * answers and canned replies are inserted here. */

import { elements, isSendKey, throttle } from '../shared/dom.js';
import * as conversations from './conversations.js';
import { api, convPath, toast } from './page.js';
import * as transcript from './transcript.js';

const TYPING_THROTTLE_MS = 2000;

const el = elements(['reply-form', 'reply', 'reply-send']);

const sendTyping = throttle((id) => {
  api('POST', convPath(id, '/typing')).catch(() => { /* best effort */ });
}, TYPING_THROTTLE_MS);

export function init() {
  el.replyForm.addEventListener('submit', (e) => { e.preventDefault(); send(); });
  el.reply.addEventListener('input', onTyping);
  el.reply.addEventListener('keydown', (e) => {
    if (!isSendKey(e)) return;
    e.preventDefault();
    send();
  });
}

export function reset() {
  el.reply.value = '';
  onInput();
}

export function focus() { el.reply.focus(); }

/* Appends text on a line of its own and puts the cursor after it. */
export function insert(text) {
  if (conversations.selected() === null) {
    toast.show('请先选择一个会话');
    return;
  }
  const current = el.reply.value;
  el.reply.value = current.trim() ? current.replace(/\s+$/, '') + '\n' + text : text;
  onInput();
  el.reply.focus();
  el.reply.setSelectionRange(el.reply.value.length, el.reply.value.length);
}

function onInput() {
  el.replySend.disabled = el.reply.value.trim().length === 0;
}

function onTyping() {
  onInput();
  const id = conversations.selected();
  if (id === null || !el.reply.value.trim()) return;
  sendTyping(id);
}

function send() {
  const text = el.reply.value.trim();
  const id = conversations.selected();
  if (!text || id === null) return;
  el.replySend.disabled = true;
  api('POST', convPath(id, '/messages'), { text }).then((msg) => {
    if (el.reply.value.trim() === text) el.reply.value = '';
    if (id === conversations.selected()) transcript.appendMessage(msg);
    conversations.updateLastMessage(id, msg);
  }, toast.error).then(onInput);
}
