/* The selected conversation (centre column): opening one, its header, transfer and close, the customer's
 * typing notice and messages that arrive for it. A detail answer for a conversation no longer selected is
 * dropped (selectSeq). */

import { elements, fadingFlag, formatTime } from '../shared/dom.js';
import * as agentStatus from './agent_status.js';
import * as conversations from './conversations.js';
import * as handoffContext from './handoff_context.js';
import * as kbSuggestions from './kb_suggestions.js';
import { customerLabel, reasonLabel, shortId, STATE_LABELS } from './labels.js';
import { api, convPath, toast } from './page.js';
import * as reply from './reply.js';
import * as transcript from './transcript.js';

const CUSTOMER_TYPING_MS = 3000;

const el = elements(['no-selection', 'conv-pane', 'conv-title', 'conv-meta', 'transfer-group', 'transfer-agent',
  'transfer-submit', 'close-conv', 'customer-typing']);
let selectSeq = 0;

const customerTyping = fadingFlag(CUSTOMER_TYPING_MS, (on) => { el.customerTyping.hidden = !on; });

export function init() {
  conversations.init({ open: select, refresh: refreshSelected, deselect: clearSelection });
  reply.init();
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
    conversations.remember(id, summary);
    renderHeader(detail);
    handoffContext.render(detail.handoff, detail);
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
  el.closeConv.disabled = true;
  api('POST', convPath(id, '/close')).then(() => {
    toast.show('会话已结束，已向客户发送满意度调查', 'ok');
    conversations.remove(id);
    agentStatus.load();
  }, toast.error).then(() => { el.closeConv.disabled = false; });
}
