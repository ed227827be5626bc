/* The handoff context panel (#context): why the bot handed over, the intent and confidence it had (with its
 * Chinese name), the slots the customer already gave (card type, last 4 digits …), the customer's turns before
 * the handoff with their intents, the KB lookups the bot made, and the customer's earlier conversations. */

import { byId, clear, formatTime, h, note } from '../shared/dom.js';
import { intentLabel } from '../shared/intent_names.js';
import { DISPOSITION_LABELS, formatScore, reasonLabel, SLOT_LABELS, STATE_LABELS } from './labels.js';

const DECISIONS = { answer: '直接回答', suggest: '推荐候选', fallback: '未命中' };

const panel = byId('context');

export function showNote(text) { note(panel, text); }

/* detail: the conversation detail (context, earlier, handoff_reason). */
export function render(detail) {
  clear(panel);
  const context = detail && detail.context;
  const dl = h('dl', 'kv');
  addKv(dl, '转人工原因', reasonLabel((context && context.reason) || (detail && detail.handoff_reason)));
  if (context) {
    addKv(dl, '识别意图', intentLabel(context.intent));
    addKv(dl, '置信度', formatConfidence(context.confidence));
  }
  panel.appendChild(dl);
  if (!context) panel.appendChild(h('p', 'empty', '无机器人转接上下文'));
  else {
    panel.appendChild(renderSlots(context.slots));
    panel.appendChild(renderTurns(context.turns));
    panel.appendChild(renderLookups(context.kb_lookups));
  }
  panel.appendChild(renderEarlier(detail && detail.earlier));
}

function block(title) {
  const wrap = h('div', 'context-block');
  wrap.appendChild(h('h4', 'block-title', title));
  return wrap;
}

function addKv(dl, key, value) {
  dl.appendChild(h('dt', '', key));
  dl.appendChild(h('dd', '', value));
}

function formatConfidence(c) {
  if (typeof c !== 'number' || !isFinite(c)) return '—';
  return (c <= 1 ? (c * 100).toFixed(1) : c.toFixed(1)) + '%';
}

function formatValue(v) {
  if (v === null || v === undefined || v === '') return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function renderSlots(slots) {
  const wrap = block('客户已提供');
  const keys = slots && typeof slots === 'object' ? Object.keys(slots) : [];
  if (!keys.length) {
    wrap.appendChild(h('p', 'empty', '无'));
    return wrap;
  }
  const dl = h('dl', 'kv slots');
  keys.forEach((k) => addKv(dl, SLOT_LABELS[k] || k, formatValue(slots[k])));
  wrap.appendChild(dl);
  return wrap;
}

function renderTurns(turns) {
  const wrap = block('转人工前的对话');
  const list = Array.isArray(turns) ? turns : [];
  if (!list.length) {
    wrap.appendChild(h('p', 'empty', '无'));
    return wrap;
  }
  const ul = h('ul', 'turn-list');
  list.forEach((t) => {
    const li = h('li', 'turn-item');
    li.appendChild(h('span', 'turn-text', t.text || '（空）'));
    li.appendChild(h('span', 'turn-intent', intentLabel(t.intent) + ' ' + formatConfidence(t.confidence)));
    ul.appendChild(li);
  });
  wrap.appendChild(ul);
  return wrap;
}

function renderLookups(lookups) {
  const wrap = block('知识库检索');
  const list = Array.isArray(lookups) ? lookups : [];
  if (!list.length) {
    wrap.appendChild(h('p', 'empty', '无'));
    return wrap;
  }
  const ul = h('ul', 'cand-list');
  list.forEach((k) => {
    const li = h('li', 'cand-item');
    li.appendChild(h('span', 'cand-q', k.query + ' → ' + (DECISIONS[k.action] || k.action) +
      (k.best_question ? '：' + k.best_question : '')));
    li.appendChild(h('span', 'score', formatScore(k.confidence !== null && k.confidence !== undefined
      ? k.confidence : k.best_score)));
    ul.appendChild(li);
  });
  wrap.appendChild(ul);
  return wrap;
}

function renderEarlier(earlier) {
  const wrap = block('历史会话');
  const list = Array.isArray(earlier) ? earlier : [];
  if (!list.length) {
    wrap.appendChild(h('p', 'empty', '无（或访客未登录）'));
    return wrap;
  }
  const ul = h('ul', 'earlier-list');
  list.forEach((e) => {
    const li = h('li', 'earlier-item');
    li.dataset.id = e.id;
    li.appendChild(h('span', 'earlier-when', formatTime(e.created_at)));
    li.appendChild(h('span', '', e.first_question || '（无提问）'));
    const tags = [STATE_LABELS[e.state] || e.state];
    if (e.handoff_reason) tags.push(reasonLabel(e.handoff_reason));
    if (e.disposition) tags.push('小结：' + (DISPOSITION_LABELS[e.disposition] || e.disposition));
    li.appendChild(h('div', 'muted small', tags.join(' · ') + (e.note ? ' · ' + e.note : '')));
    ul.appendChild(li);
  });
  wrap.appendChild(ul);
  return wrap;
}
