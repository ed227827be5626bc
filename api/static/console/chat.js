/* The selected conversation (centre column): opening one, its header (with the customer's presence dot),
 * transfer and close (with the 服务小结), the customer's typing notice, leaving, and messages that arrive for
 * it. A detail answer for a conversation no longer selected is dropped (selectSeq). */

import { elements, fadingFlag, formatTime } from '../shared/dom.js';
import * as agentStatus from './agent_status.js';
import * as conversations from './conversations.js';
import * as handoffContext from './handoff_context.js';
import * as kbSuggestions from './kb_suggestions.js';
import { customerLabel, reasonLabel, shortId, STATE_LABELS } from './labels.js';
import { api, convPath, toast } from './page.js';
import * as reply from './reply.js';
import * as transcript from './transcript.js';
import * as wrapup from './wrapup.js';

const CUSTOMER_TYPING_MS = 3000;

const el = elements(['no-selection', 'conv-pane', 'conv-title', 'conv-meta', 'transfer-group', 'transfer-agent',
  'transfer-submit', 'close-conv', 'customer-typing', 'conv-presence', 'conv-left', 'left-note', 'reply',
  'reply-send']);
let selectSeq = 0;

const customerTyping = fadingFlag(CUSTOMER_TYPING_MS, (on) => { el.customerTyping.hidden = !on; });

export function init() {
  conversations.init({ open: select, refresh: refreshSelected, deselect: clearSelection });
  reply.init();
  wrapup.init();
  el.transferSubmit.addEventListener('click', transferSelected);
  el.closeConv.addEventListener('click', closeSelected);
  clearSelection();
}

function select(id) {
  id = String(id);
  if (!conversations.has(id)) return;
  if (!conversations.choose(id)) return;
  transcript.reset();
  customerTyping.hide();
  reply.reset();
  el.transferGroup.value = '';
  el.transferAgent.value = '';
  el.noSelection.hidden = true;
  el.convPane.hidden = false;
  renderHeader(conversations.get(id));
  handoffContext.showNote('加载中…');
  kbSuggestions.showNote('加载中…');
  refreshSelected();
  reply.focus();
}

export function refreshSelected() {
  const id = conversations.selected();
  if (id === null) return Promise.resolve();
  const seq = ++selectSeq;
  return api('GET', convPath(id)).then((detail) => {
    if (seq !== selectSeq || id !== conversations.selected() || !detail) return;
    const summary = Object.assign({}, conversations.get(id) || {}, detail);
    delete summary.messages;
    delete summary.handoff;
    delete summary.context;
    delete summary.earlier;
    conversations.remember(id, summary);
    renderHeader(detail);
    handoffContext.render(detail);
    transcript.appendMessages(detail.messages);
    kbSuggestions.load();
  }, (err) => {
    if (seq !== selectSeq) return;
    toast.error(err);
    if (err.status === 404 || err.status === 403) conversations.remove(id);
  });
}

export function clearSelection() {
  conversations.choose(null);
  selectSeq++;
  transcript.reset();
  customerTyping.hide();
  el.convPane.hidden = true;
  el.noSelection.hidden = false;
  handoffContext.showNote('未选择会话');
  kbSuggestions.showNote('未选择会话');
}

function renderHeader(c) {
  if (!c) return;
  el.convTitle.textContent = customerLabel(c) + ' · 会话 #' + shortId(c.id);
  el.convTitle.title = '会话 ' + c.id;
  const dot = conversations.presenceDot(c);
  el.convPresence.className = dot.className;
  el.convPresence.title = dot.title;
  el.convPresence.setAttribute('aria-label', dot.title);
  el.convLeft.hidden = !c.customer_left;
  el.leftNote.hidden = !c.customer_left;
  el.reply.disabled = !!c.customer_left;
  el.transferSubmit.disabled = !!c.customer_left;
  if (c.customer_left) el.replySend.disabled = true;
  const parts = [
    '技能组：' + (c.skill_group || '未分组'),
    '原因：' + reasonLabel(c.handoff_reason),
    '状态：' + (STATE_LABELS[c.state] || c.state || '—')
  ];
  if (c.assigned_at) parts.push('接入：' + formatTime(c.assigned_at));
  el.convMeta.textContent = parts.join('　');
}

/* A message pushed by the agent socket for conversation id. */
export function receive(id, msg) {
  if (!msg) return;
  if (!conversations.has(id)) {
    conversations.load();
    return;
  }
  if (id === conversations.selected()) {
    if (msg.from === 'customer') {
      customerTyping.hide();
      kbSuggestions.scheduleRefresh();
    }
    transcript.appendMessage(msg);
  } else if (msg.from === 'customer') {
    conversations.addUnread(id);
  }
  conversations.updateLastMessage(id, msg);
}

/* The customer's widget opened or lost its socket. */
export function presenceChanged(id, online) {
  conversations.setCustomer(id, { customer_online: online });
  if (id === conversations.selected()) renderHeader(conversations.get(id));
}

/* The customer ended the chat: nothing more reaches them; the agent wraps up. */
export function customerLeft(id) {
  conversations.setCustomer(id, { customer_left: true, customer_online: false });
  if (id === conversations.selected()) renderHeader(conversations.get(id));
}

/* The customer of conversation id is typing (shown only for the selected one). */
export function customerIsTyping(id) {
  if (id === conversations.selected()) customerTyping.show();
}

/* ---------- transfer / close ---------- */

function transferSelected() {
  const id = conversations.selected();
  if (id === null) return;
  const group = el.transferGroup.value;
  const agent = el.transferAgent.value.trim();
  if (!group && !agent) {
    toast.show('请选择技能组或填写坐席用户名');
    return;
  }
  const body = {};
  if (group) body.skill_group = group;
  if (agent) body.agent = agent;
  el.transferSubmit.disabled = true;
  api('POST', convPath(id, '/transfer'), body).then((summary) => {
    toast.show('已转接' + (agent ? '给坐席 ' + agent : '到' + group + '技能组'), 'ok');
    if (summary && agentStatus.username() && summary.agent === agentStatus.username()) conversations.upsert(summary);
    else conversations.remove(id);
    agentStatus.load();
  }, toast.error).then(() => { el.transferSubmit.disabled = false; });
}

function closeSelected() {
  const id = conversations.selected();
  if (id === null) return;
  const c = conversations.get(id) || { id };
  wrapup.open(customerLabel(c) + ' · 会话 #' + shortId(id), (body) => api('POST', convPath(id, '/close'), body)
    .then(() => {
      toast.show(c.customer_left ? '会话已结束，服务小结已保存' : '会话已结束，已向客户发送满意度调查', 'ok');
      conversations.remove(id);
      agentStatus.load();
    }));
}
