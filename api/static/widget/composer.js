/* The input box, its character counter and the quick replies above it. */

import { h, isSendKey, elements } from '../shared/dom.js';
import { MAX_LEN, notifyTyping, sendPayload, sendText } from './conversation.js';

const COUNTER_FROM = 800;
const INPUT_MAX_PX = 120;

const QUICK_REPLIES = [
  { title: '转人工', payload: '/human_handoff', handoff: true },
  { title: '挂失', text: '挂失' },
  { title: '转账限额', text: '转账限额' },
  { title: '网点营业时间', text: '网点营业时间' },
  { title: '留言', payload: '/leave_message' }
];

const el = elements(['input', 'send', 'composer', 'char-count', 'quick-replies']);
let onLeave = () => {};

/* hooks.onLeave(): the 留言 quick reply (opens the form). */
export function init(hooks) {
  onLeave = hooks.onLeave;
  el.input.maxLength = MAX_LEN;
  renderQuickReplies();
  el.quickReplies.addEventListener('click', (e) => {
    const btn = e.target.closest('button.quick-reply');
    if (btn) onQuickReply(btn);
  });
  el.composer.addEventListener('submit', (e) => {
    e.preventDefault();
    submitInput();
  });
  el.input.addEventListener('input', () => {
    onInputChanged();
    if (el.input.value.trim()) notifyTyping();
  });
  el.input.addEventListener('keydown', (e) => {
    if (!isSendKey(e)) return;
    e.preventDefault();
    submitInput();
  });
  onInputChanged();
}

function renderQuickReplies() {
  QUICK_REPLIES.forEach((q) => {
    const btn = h('button', 'quick-reply', q.title);
    btn.type = 'button';
    if (q.payload) btn.dataset.payload = q.payload;
    else btn.dataset.text = q.text;
    if (q.handoff) btn.dataset.handoff = '1';
    el.quickReplies.appendChild(btn);
  });
}

function onQuickReply(btn) {
  if (btn.dataset.payload === '/leave_message') onLeave();
  else if (btn.dataset.payload) sendPayload(btn.dataset.payload, btn.textContent);
  else sendText(btn.dataset.text);
}

function submitInput() {
  const text = el.input.value;
  if (!text.trim()) return;
  el.input.value = '';
  onInputChanged();
  sendText(text).then((ok) => {
    if (!ok && !el.input.value) {
      el.input.value = text;   // give the customer their words back
      onInputChanged();
    }
  });
}

function onInputChanged() {
  const len = el.input.value.length;
  el.send.disabled = el.input.value.trim().length === 0 || len > MAX_LEN;
  el.charCount.hidden = len < COUNTER_FROM;
  el.charCount.textContent = len + '/' + MAX_LEN;
  autoGrow();
}

function autoGrow() {
  const box = el.input;
  const borders = box.offsetHeight - box.clientHeight;
  box.style.height = 'auto';
  const wanted = box.scrollHeight + borders;
  box.style.height = Math.min(wanted, INPUT_MAX_PX) + 'px';
  box.style.overflowY = wanted > INPUT_MAX_PX ? 'auto' : 'hidden';
}
