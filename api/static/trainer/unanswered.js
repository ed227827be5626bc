/* The 未解决问题 tab: customer questions the bot could not answer (fallbacks, low-confidence suggestions, 没帮助
 * feedback) grouped and counted, each resolved as an intent example, a KB similar question, a new KB entry,
 * or dismissed; the open count shows on the tab. */

import { clear, elements, h } from '../shared/dom.js';
import { button, hideFormError, setBusy, showFormError } from './forms.js';
import { formatFull, formatWhen } from './format.js';
import * as intents from './intents.js';
import { api, getList, T, toast } from './page.js';
import { cell, emptyRow } from './tables.js';
import { renderForm } from './unanswered_forms.js';

const KIND_LABELS = {
  fallback: '兜底回复',
  nlu_fallback: '兜底回复',
  low_confidence: '低置信度',
  suggest: '低置信推荐',
  suggestion: '低置信推荐',
  negative_feedback: '没帮助',
  not_helpful: '没帮助',
  unhelpful: '没帮助',
  feedback: '没帮助'
};
const ACTIONS = [
  ['add_example', '加为意图例句', 'btn btn-small ua-add-example'],
  ['add_similar', '加为知识库相似问', 'btn btn-small ua-add-similar'],
  ['create_entry', '新建知识条目', 'btn btn-small ua-create-entry'],
  ['dismiss', '忽略', 'btn btn-small btn-danger ua-dismiss']
];
const DONE = { add_example: '已加为意图例句', add_similar: '已加为相似问', create_entry: '已新建知识条目',
  dismiss: '已忽略' };

const el = elements(['unanswered-list', 'unanswered-count', 'unanswered-refresh']);
let groups = [];
let openForm = null;   // {group, action}: the resolve form open under a row

export function init() {
  el.unansweredList.addEventListener('click', onClick);
  el.unansweredRefresh.addEventListener('click', load);
}

export function load() {
  return getList('/unanswered', (list) => {
    groups = list;
    const total = groups.length;
    el.unansweredCount.textContent = total > 99 ? '99+' : String(total);
    el.unansweredCount.hidden = total === 0;
    if (openForm && !groups.some((g) => String(g.group) === openForm.group)) openForm = null;
    render();
  });
}

export function reset() {
  groups = [];
  openForm = null;
  clear(el.unansweredList);
  el.unansweredCount.hidden = true;
}

function findGroup(group) {
  return groups.find((g) => String(g.group) === String(group)) || null;
}

function kindClass(kind) {
  if (/feedback|helpful/.test(kind)) return 'tag tag-bad';
  if (/fallback/.test(kind)) return 'tag tag-warn';
  return 'tag tag-info';
}

function render() {
  clear(el.unansweredList);
  if (!groups.length) { emptyRow(el.unansweredList, 5, '暂无未解决问题'); return; }
  groups.forEach((g) => {
    const group = String(g.group);
    const tr = h('tr', 'unanswered-row');
    tr.dataset.group = group;
    const textTd = cell(tr, '');
    textTd.appendChild(h('div', 'ua-text', g.text));
    const samples = (Array.isArray(g.samples) ? g.samples : []).filter((s) => s !== g.text);
    if (samples.length) {
      const ul = h('ul', 'ua-samples');
      samples.slice(0, 3).forEach((s) => ul.appendChild(h('li', null, s)));
      if (samples.length > 3) ul.appendChild(h('li', null, '… 另有 ' + (samples.length - 3) + ' 种问法'));
      textTd.appendChild(ul);
    }
    cell(tr, g.count != null ? g.count : '—', 'num');
    cell(tr, formatWhen(g.last_seen), 'audit-time').title = formatFull(g.last_seen);
    const kinds = g.kinds && typeof g.kinds === 'object' ? g.kinds : {};
    const chips = h('div', 'chips');
    Object.keys(kinds).forEach((k) => {
      chips.appendChild(h('span', kindClass(k), (KIND_LABELS[k] || String(k)) + ' ×' + kinds[k]));
    });
    cell(tr, '').appendChild(chips);
    const acts = h('div', 'ua-actions');
    ACTIONS.forEach(([action, text, className]) => {
      const b = button(text, className);
      b.dataset.action = action;
      acts.appendChild(b);
    });
    cell(tr, '').appendChild(acts);
    el.unansweredList.appendChild(tr);
    if (openForm && openForm.group === group) {
      tr.classList.add('open');
      el.unansweredList.appendChild(renderForm(g, openForm.action, { resolve, cancel }));
    }
  });
}

function onClick(e) {
  const actBtn = e.target.closest('.ua-actions button');
  if (!actBtn) return;
  const group = actBtn.closest('.unanswered-row').dataset.group;
  const action = actBtn.dataset.action;
  const g = findGroup(group);
  if (!g) return;
  if (action === 'dismiss') { resolve(g, { action: 'dismiss' }, actBtn, null); return; }
  if (openForm && openForm.group === group && openForm.action === action) openForm = null;
  else openForm = { group, action };
  if (action === 'add_example' && !intents.loaded()) intents.load();
  render();
  const input = el.unansweredList.querySelector('.ua-form-row select, .ua-form-row input, .ua-form-row textarea');
  if (input) input.focus();
}

function cancel() {
  openForm = null;
  render();
}

/* Resolves every record of group g with body (its action and what it needs); btn is busy meanwhile and
 * errBox shows a refusal. */
function resolve(g, body, btn, errBox) {
  body.ids = Array.isArray(g.ids) ? g.ids : [];
  if (errBox) hideFormError(errBox);
  setBusy(btn, true, '处理中…');
  api('POST', T + '/unanswered/resolve', body).then((res) => {
    const n = res && res.resolved != null ? res.resolved : body.ids.length;
    toast.show((DONE[body.action] || '已处理') + '（' + n + ' 条记录）', 'ok');
    openForm = null;
    load();
    if (body.action === 'add_example') intents.load();
  }, (err) => {
    setBusy(btn, false);
    if (err.status === 401) return;
    if (errBox) showFormError(errBox, err);
    toast.error(err);
  });
}
