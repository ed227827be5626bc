/* The 知识库 tab: search the entries, open one in the editor, save a new or edited entry, retire one. Every
 * change rebuilds the index in the background (kb_status.js shows it). */

import { clear, debounce, elements, h } from '../shared/dom.js';
import { formRejected, hideFormError, setBusy, showFormError } from './forms.js';
import { dateOnly, formatWhen, isoDay, lines } from './format.js';
import * as kbLint from './kb_lint.js';
import * as kbStatus from './kb_status.js';
import { api, enc, held, T, toast } from './page.js';
import { cell, emptyRow } from './tables.js';

const SEARCH_DEBOUNCE_MS = 300;

const el = elements(['kb-search-form', 'kb-search', 'kb-include-retired', 'kb-count', 'kb-list', 'kb-form',
  'kb-editor-title', 'kb-meta', 'kb-id', 'kb-area', 'kb-category', 'kb-question', 'kb-similar', 'kb-answer',
  'kb-tags', 'kb-valid-from', 'kb-valid-until', 'kb-error', 'kb-save', 'kb-retire', 'kb-new']);
let entries = [];
let seq = 0;             // only the latest search is shown
let editing = null;      // the entry in the editor, or null for a new one

export function init() {
  el.kbSearch.addEventListener('input', debounce(search, SEARCH_DEBOUNCE_MS));
  el.kbSearchForm.addEventListener('submit', (e) => { e.preventDefault(); search(); });
  el.kbIncludeRetired.addEventListener('change', search);
  el.kbList.addEventListener('click', (e) => {
    const row = e.target.closest('.kb-row');
    if (row) open(row.dataset.id);
  });
  el.kbList.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const row = e.target.closest('.kb-row');
    if (row) { e.preventDefault(); open(row.dataset.id); }
  });
  el.kbForm.addEventListener('submit', onSave);
  el.kbRetire.addEventListener('click', onRetire);
  el.kbNew.addEventListener('click', () => { fillEditor(null); el.kbQuestion.focus(); });
  kbLint.init(open);
  fillEditor(null);
}

export function reset() {
  entries = [];
  clear(el.kbList);
  kbLint.reset();
  fillEditor(null);
}

/* Saved or imported: show the new list and follow the rebuild. */
export function changed() {
  search();
  kbStatus.poll(2);
}

export function search() {
  const q = el.kbSearch.value.trim();
  const mine = ++seq;
  const path = T + '/kb?q=' + enc(q) + '&include_retired=' + (el.kbIncludeRetired.checked ? 'true' : 'false');
  return api('GET', path).then((list) => {
    if (mine !== seq) return;
    entries = Array.isArray(list) ? list : [];
    render();
  }, (err) => {
    if (mine === seq) toast.error(err);
  });
}

function isRetired(entry) {
  if (entry.retired) return true;
  const until = dateOnly(entry.valid_until);
  return until ? until < isoDay() : false;
}

function render() {
  clear(el.kbList);
  el.kbCount.textContent = entries.length >= 200 ? '显示前 200 条，请缩小搜索范围' : '共 ' + entries.length + ' 条';
  if (!entries.length) { emptyRow(el.kbList, 6, '没有匹配的知识条目'); return; }
  entries.forEach((entry) => {
    const tr = h('tr', 'kb-row');
    tr.dataset.id = entry.id;
    tr.tabIndex = 0;
    const retired = isRetired(entry);
    if (retired) tr.classList.add('retired');
    if (editing && editing.id === entry.id) tr.classList.add('selected');
    cell(tr, entry.id, 'kb-id');
    const q = cell(tr, entry.question);
    const nSimilar = Array.isArray(entry.similar) ? entry.similar.length : 0;
    if (nSimilar) q.appendChild(h('div', 'muted small', nSimilar + ' 个相似问'));
    cell(tr, entry.category || '—');
    cell(tr, entry.area || '—');
    cell(tr, dateOnly(entry.valid_until) || '长期');
    cell(tr, '').appendChild(h('span', 'tag ' + (retired ? 'tag-bad' : 'tag-ok'), retired ? '已下线' : '生效中'));
    el.kbList.appendChild(tr);
  });
}

/* Opens entry id in the editor. */
export function open(id) {
  return api('GET', T + '/kb/' + enc(id)).then(fillEditor, toast.error);
}

function fillEditor(entry) {
  kbLint.saved(null);
  editing = entry || null;
  hideFormError(el.kbError);
  const e = entry || {};
  el.kbId.value = e.id || '';
  el.kbId.readOnly = !!entry;
  el.kbArea.value = e.area || '';
  el.kbCategory.value = e.category || '';
  el.kbQuestion.value = e.question || '';
  el.kbSimilar.value = Array.isArray(e.similar) ? e.similar.join('\n') : '';
  el.kbAnswer.value = e.answer || '';
  el.kbTags.value = Array.isArray(e.tags) ? e.tags.join(', ') : '';
  el.kbValidFrom.value = dateOnly(e.valid_from);
  el.kbValidUntil.value = dateOnly(e.valid_until);
  el.kbRetire.disabled = !entry || isRetired(entry);
  el.kbEditorTitle.textContent = entry ? '编辑知识条目' : '新建知识条目';
  const meta = [];
  if (entry) {
    if (entry.updated_at) meta.push('更新于 ' + formatWhen(entry.updated_at));
    if (entry.updated_by) meta.push('更新人 ' + entry.updated_by);
    if (isRetired(entry)) meta.push('已下线');
  }
  el.kbMeta.textContent = meta.join(' · ');
  el.kbList.querySelectorAll('.kb-row').forEach((row) => {
    row.classList.toggle('selected', !!entry && row.dataset.id === String(entry.id));
  });
}

function editorBody() {
  const body = {
    question: el.kbQuestion.value.trim(),
    answer: el.kbAnswer.value.trim(),
    similar: lines(el.kbSimilar.value),
    tags: el.kbTags.value.split(/[,，;；]/).map((s) => s.trim()).filter((s) => s.length > 0)
  };
  const category = el.kbCategory.value.trim();
  if (category) body.category = category;
  const area = el.kbArea.value.trim();
  if (area) body.area = area;
  if (el.kbValidFrom.value) body.valid_from = el.kbValidFrom.value;
  if (el.kbValidUntil.value) body.valid_until = el.kbValidUntil.value;
  return body;
}

function onSave(e) {
  e.preventDefault();
  const body = editorBody();
  const problems = [];
  if (!body.question) problems.push('请填写标准问题');
  if (!body.answer) problems.push('请填写答案');
  if (body.valid_from && body.valid_until && body.valid_until < body.valid_from) problems.push('失效日期不能早于生效日期');
  if (problems.length) { showFormError(el.kbError, { detail: '请完善表单', problems }); return; }
  hideFormError(el.kbError);
  let req;
  if (editing) {
    req = api('PUT', T + '/kb/' + enc(editing.id), body);
  } else {
    const id = el.kbId.value.trim();
    if (id) body.id = id;
    req = api('POST', T + '/kb', body);
  }
  setBusy(el.kbSave, true, '保存中…');
  req.then((entry) => {
    if (held(entry)) return;
    fillEditor(entry);
    toast.show('知识条目已保存，索引重建中', 'ok');
    kbLint.saved(entry);  // new conflicts the edit created: a warning, the edit is saved
    changed();
  }, formRejected(el.kbError)).then(() => setBusy(el.kbSave, false));
}

function onRetire() {
  if (!editing) return;
  const id = editing.id;
  setBusy(el.kbRetire, true, '下线中…');
  api('POST', T + '/kb/' + enc(id) + '/retire').then((entry) => {
    setBusy(el.kbRetire, false);
    if (held(entry)) return;
    fillEditor(entry);
    toast.show('已下线，机器人将不再使用该条目', 'ok');
    changed();
  }, (err) => {
    setBusy(el.kbRetire, false);
    toast.error(err);
  });
}
