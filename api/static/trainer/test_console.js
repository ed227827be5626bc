/* The 测试 tab: one customer sentence through the live pipeline — the reply the customer would get and why
 * (test_reply.js), masked text, tokens, the intent ranking, entities and the KB decision with its candidates. An
 * intent or KB entry opens in its own tab. */

import { clear, elements, h } from '../shared/dom.js';
import { intentName } from '../shared/intent_names.js';
import { button, setBusy } from './forms.js';
import { fixed, isNum, pct } from './format.js';
import * as intents from './intents.js';
import * as kb from './kb.js';
import { api, T, toast } from './page.js';
import { bar, cell, table } from './tables.js';
import * as tabs from './tabs.js';
import * as testReply from './test_reply.js';

const DECISION_LABELS = { answer: '直接回答', suggest: '推荐候选问题', fallback: '兜底（无法回答）' };

const el = elements(['test-form', 'test-input', 'test-send', 'test-result', 'test-masked', 'test-nlu-error',
  'test-tokens', 'test-intents', 'test-entities', 'test-kb']);
let seq = 0;   // only the latest sentence's result is shown

export function init() {
  el.testForm.addEventListener('submit', onTest);
}

export function focus() { el.testInput.focus(); }

export function reset() { el.testResult.hidden = true; }

function onTest(e) {
  e.preventDefault();
  const text = el.testInput.value.trim();
  if (!text) { el.testInput.focus(); return; }
  const mine = ++seq;
  setBusy(el.testSend, true, '测试中…');
  api('POST', T + '/test', { text }).then((res) => {
    if (mine === seq) render(res || {});
  }, (err) => {
    if (mine === seq) toast.error(err);
  }).then(() => { if (mine === seq) setBusy(el.testSend, false); });
}

function render(res) {
  el.testResult.hidden = false;
  el.testMasked.textContent = '脱敏后文本：' + (res.text || '');
  testReply.render(res.reply);
  el.testNluError.textContent = res.nlu_error || '';
  el.testNluError.hidden = !res.nlu_error;
  clear(el.testTokens);
  const tokens = Array.isArray(res.tokens) ? res.tokens : [];
  if (!tokens.length) el.testTokens.appendChild(h('span', 'muted', '（无）'));
  tokens.forEach((t) => el.testTokens.appendChild(h('span', 'chip token-chip', t)));
  renderIntents(res);
  renderEntities(Array.isArray(res.entities) ? res.entities : []);
  renderKb(res.kb || {});
}

function renderIntents(res) {
  clear(el.testIntents);
  let ranking = Array.isArray(res.intent_ranking) ? res.intent_ranking.slice() : [];
  const top = res.intent && res.intent.name;
  if (!ranking.length && res.intent) ranking = [res.intent];
  if (!ranking.length) {
    el.testIntents.appendChild(h('p', 'empty', '无意图结果'));
    return;
  }
  const t = table(['意图', ['置信度', 'col-bar'], ['', 'num']]);
  ranking.forEach((r) => {
    const tr = h('tr', r.name === top ? 'top' : null);
    const zh = intentName(r.name);
    const link = button(zh && zh !== r.name ? zh + '（' + r.name + '）' : r.name, 'btn-link test-intent-link',
      '打开该意图');
    link.addEventListener('click', () => { tabs.show('intents'); intents.select(r.name); });
    cell(tr, '').appendChild(link);
    cell(tr, '', 'middle').appendChild(bar(r.confidence, r.name === top));
    cell(tr, pct(r.confidence), 'num');
    t.tbody.appendChild(tr);
  });
  el.testIntents.appendChild(t.table);
}

function renderEntities(ents) {
  clear(el.testEntities);
  if (!ents.length) {
    el.testEntities.appendChild(h('p', 'empty', '未识别到实体'));
    return;
  }
  const t = table(['实体', '值', '位置']);
  ents.forEach((x) => {
    const tr = h('tr');
    cell(tr, x.entity);
    cell(tr, x.value);
    cell(tr, (x.start != null ? x.start : '?') + '–' + (x.end != null ? x.end : '?'), 'num');
    t.tbody.appendChild(tr);
  });
  el.testEntities.appendChild(t.table);
}

function renderKb(result) {
  clear(el.testKb);
  const decision = result.decision || 'fallback';
  el.testKb.appendChild(h('span', 'decision decision-' + decision, '决策：' + (DECISION_LABELS[decision] || decision)));
  const cands = Array.isArray(result.candidates) ? result.candidates : [];
  if (!cands.length) {
    el.testKb.appendChild(h('p', 'empty', '无候选条目'));
    return;
  }
  let maxScore = 1;
  cands.forEach((c) => { if (isNum(c.score) && c.score > maxScore) maxScore = c.score; });
  const t = table(['编号', '匹配问题', ['得分', 'col-bar'], ['', 'num']]);
  cands.forEach((c, i) => {
    const answered = i === 0 && decision === 'answer';
    const tr = h('tr', answered ? 'top' : null);
    const link = button(c.entry_id, 'btn-link test-kb-link', '在知识库中打开');
    link.addEventListener('click', () => { tabs.show('kb'); kb.open(c.entry_id); });
    cell(tr, '', 'kb-id').appendChild(link);
    cell(tr, c.question);
    cell(tr, '', 'middle').appendChild(bar(isNum(c.score) ? c.score / maxScore : 0, answered));
    cell(tr, fixed(c.score, 3), 'num');
    t.tbody.appendChild(tr);
  });
  el.testKb.appendChild(t.table);
}
