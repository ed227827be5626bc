/* The handoff context panel (#context): why the bot handed over, the intent and confidence it had, the slots
 * it filled and the KB candidates it considered. */

import { byId, clear, h, note } from '../shared/dom.js';
import { formatScore, reasonLabel } from './labels.js';

const panel = byId('context');

export function showNote(text) { note(panel, text); }

export function render(handoff, summary) {
  clear(panel);
  const reason = (handoff && handoff.reason) || (summary && summary.handoff_reason);
  const dl = h('dl', 'kv');
  addKv(dl, '转人工原因', reasonLabel(reason));
  if (!handoff) {
    panel.appendChild(dl);
    panel.appendChild(h('p', 'empty', '无机器人转接上下文'));
    return;
  }
  addKv(dl, '识别意图', handoff.intent || '—');
  addKv(dl, '置信度', formatConfidence(handoff.confidence));
  panel.appendChild(dl);
  panel.appendChild(renderSlots(handoff.slots));
  panel.appendChild(renderKbCandidates(handoff.kb));
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
  const wrap = h('div', 'context-block');
  wrap.appendChild(h('h4', 'block-title', '槽位'));
  const keys = slots && typeof slots === 'object' ? Object.keys(slots) : [];
  if (!keys.length) {
    wrap.appendChild(h('p', 'empty', '无'));
    return wrap;
  }
  const dl = h('dl', 'kv');
  keys.forEach((k) => addKv(dl, k, formatValue(slots[k])));
  wrap.appendChild(dl);
  return wrap;
}

function renderKbCandidates(kb) {
  const wrap = h('div', 'context-block');
  wrap.appendChild(h('h4', 'block-title', '知识库候选'));
  if (kb && kb.query) wrap.appendChild(h('p', 'kb-query', '检索：' + kb.query));
  const cands = kb && Array.isArray(kb.candidates) ? kb.candidates : [];
  if (!cands.length) {
    wrap.appendChild(h('p', 'empty', '无'));
    return wrap;
  }
  const ul = h('ul', 'cand-list');
  cands.forEach((c) => {
    const li = h('li', 'cand-item');
    li.appendChild(h('span', 'cand-q', c.question || c.entry_id));
    li.appendChild(h('span', 'score', formatScore(c.score)));
    ul.appendChild(li);
  });
  wrap.appendChild(ul);
  return wrap;
}
