/* The intent list of the 意图 tab (filter, select, the new-intent form) and the intent pickers elsewhere
 * (select.intent-select, e.g. in 未解决问题). The selected intent's pane belongs to examples.js. Intents show
 * their Chinese name beside the English one, the filter matches either, and Enter opens the first match. */

import { clear, elements, h } from '../shared/dom.js';
import { intentName } from '../shared/intent_names.js';
import * as examples from './examples.js';
import { formRejected, hideFormError, setBusy, showFormError } from './forms.js';
import { lines } from './format.js';
import { api, enc, getList, T, toast } from './page.js';

const el = elements(['intent-list', 'intent-count', 'intent-empty', 'intent-filter', 'intents-refresh',
  'new-intent-form', 'new-intent-name', 'new-intent-examples', 'new-intent-response', 'new-intent-error',
  'new-intent-create']);
let intents = [];   // [{name, examples, file}]
let seq = 0;        // only the latest selection's detail is shown

export function init() {
  examples.init(onShown);
  el.intentList.addEventListener('click', (e) => {
    const item = e.target.closest('.intent-item');
    if (item) select(item.dataset.name);
  });
  el.intentList.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    const item = e.target.closest('.intent-item');
    if (!item) return;
    e.preventDefault();
    select(item.dataset.name);
  });
  el.intentFilter.addEventListener('input', render);
  el.intentFilter.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.isComposing) return;
    e.preventDefault();
    const first = matching()[0];
    if (first) select(first.name);
  });
  el.intentsRefresh.addEventListener('click', () => {
    load();
    if (examples.selectedName()) select(examples.selectedName());
  });
  el.newIntentForm.addEventListener('submit', onNewIntent);
}

export function load() {
  return getList('/intents', (list) => {
    intents = list;
    render();
    fillIntentSelects();
  });
}

export function loaded() { return intents.length > 0; }

export function reset() {
  intents = [];
  examples.reset();
  clear(el.intentList);
}

/* The intents the filter matches, by English or Chinese name. */
function matching() {
  const q = el.intentFilter.value.trim().toLowerCase();
  return intents.filter((it) => !q || String(it.name).toLowerCase().indexOf(q) !== -1
    || intentName(it.name).toLowerCase().indexOf(q) !== -1);
}

function render() {
  clear(el.intentList);
  const selected = examples.selectedName();
  let shown = 0;
  matching().forEach((it) => {
    shown += 1;
    const li = h('li', 'intent-item');
    li.dataset.name = it.name;
    li.tabIndex = 0;
    li.setAttribute('role', 'button');
    li.title = it.file ? '文件：' + it.file : String(it.name);
    if (it.name === selected) li.classList.add('selected');
    li.setAttribute('aria-current', it.name === selected ? 'true' : 'false');
    const zh = intentName(it.name);
    li.appendChild(h('span', 'intent-name', it.name));
    if (zh && zh !== it.name) li.appendChild(h('span', 'intent-zh', zh));
    const n = Number(it.examples) || 0;
    li.appendChild(h('span', 'intent-examples' + (n < 5 ? ' few' : ''), n + ' 条例句'));
    el.intentList.appendChild(li);
  });
  el.intentCount.textContent = intents.length ? '（' + intents.length + '）' : '';
  el.intentEmpty.hidden = shown > 0;
  el.intentEmpty.textContent = intents.length ? '没有匹配的意图' : '暂无意图';
}

export function select(name) {
  examples.opening(name);
  render();
  const mine = ++seq;
  return api('GET', T + '/intents/' + enc(name)).then((detail) => {
    if (mine === seq) examples.show(detail);
  }, (err) => {
    if (mine === seq) toast.error(err);
  });
}

/* Keeps the example count in the list in step with the detail on screen (a new intent joins the list). */
function onShown(detail) {
  const count = Array.isArray(detail.examples) ? detail.examples.length : 0;
  let found = false;
  intents.forEach((it) => {
    if (it.name === detail.name) { it.examples = count; found = true; }
  });
  if (!found) {
    intents.push({ name: detail.name, examples: count, file: detail.file });
    intents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    fillIntentSelects();
  }
  render();
}

function onNewIntent(e) {
  e.preventDefault();
  const name = el.newIntentName.value.trim();
  const response = el.newIntentResponse.value.trim();
  const seen = {};
  const utterances = lines(el.newIntentExamples.value).filter((x) => {
    if (seen[x]) return false;
    seen[x] = true;
    return true;
  });
  const problems = [];
  if (!name) problems.push('请填写意图名称');
  if (utterances.length < 2) problems.push('至少需要 2 条不同的例句');
  if (!response) problems.push('请填写机器人回复');
  if (problems.length) {
    showFormError(el.newIntentError, { detail: '请完善表单', problems });
    return;
  }
  hideFormError(el.newIntentError);
  setBusy(el.newIntentCreate, true, '创建中…');
  api('POST', T + '/intents', { name, examples: utterances, response }).then((detail) => {
    el.newIntentName.value = '';
    el.newIntentExamples.value = '';
    el.newIntentResponse.value = '';
    toast.show('已创建意图 ' + (detail && detail.name ? detail.name : name) + '，需重新训练后生效', 'ok');
    examples.show(detail);
    return load();
  }, formRejected(el.newIntentError)).then(() => setBusy(el.newIntentCreate, false));
}

/* An intent picker: 选择意图… then every intent with its example count (the choice is kept). */
export function fillIntentSelect(sel) {
  const current = sel.value;
  clear(sel);
  const first = document.createElement('option');
  first.value = '';
  first.textContent = intents.length ? '选择意图…' : '（加载中…）';
  sel.appendChild(first);
  intents.forEach((it) => {
    const opt = document.createElement('option');
    opt.value = it.name;
    const zh = intentName(it.name);
    opt.textContent = (zh && zh !== it.name ? zh + ' ' : '') + it.name + '（' + (Number(it.examples) || 0) + '）';
    sel.appendChild(opt);
  });
  if (current) sel.value = current;
}

function fillIntentSelects() {
  document.querySelectorAll('select.intent-select').forEach(fillIntentSelect);
}
