/* The resolve form opened under an unanswered group: pick an intent for an example, find a KB entry for a
 * similar question, or write a new KB entry. */

import { clear, debounce, h } from '../shared/dom.js';
import { MAX_EXAMPLE_CHARS } from './examples.js';
import { button, field, showFormError, textInput } from './forms.js';
import { fillIntentSelect } from './intents.js';
import { api, enc, T } from './page.js';

const SEARCH_DEBOUNCE_MS = 300;

/* The form row for group g and action; actions.resolve(g, body, submitButton, errorBox), actions.cancel(). */
export function renderForm(g, action, actions) {
  const tr = h('tr', 'ua-form-row');
  tr.dataset.group = String(g.group);
  const td = h('td');
  td.colSpan = 5;
  const form = h('form', 'ua-form');
  form.noValidate = true;
  const err = h('div', 'form-error');
  err.hidden = true;
  const submit = h('button', 'btn btn-primary btn-small ua-submit');
  submit.type = 'submit';
  const cancel = button('取消', 'btn btn-small ua-cancel');
  cancel.addEventListener('click', actions.cancel);
  const build = { add_example: exampleFields, add_similar: similarFields, create_entry: entryFields }[action];
  if (build) {
    const collect = build(form, g, submit);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const body = collect();
      if (typeof body === 'string') showFormError(err, body);
      else actions.resolve(g, body, submit, err);
    });
  }
  form.appendChild(err);
  const buttons = h('div', 'form-actions');
  buttons.appendChild(submit);
  buttons.appendChild(cancel);
  form.appendChild(buttons);
  td.appendChild(form);
  tr.appendChild(td);
  return tr;
}

/* Each builder adds its fields and returns collect(): the resolve body, or the text of what is missing. */

function exampleFields(form, g, submit) {
  const sel = document.createElement('select');
  sel.className = 'ua-intent intent-select';
  fillIntentSelect(sel);
  field(form, '意图', sel);
  const ex = field(form, '例句', textInput('ua-text', g.text));
  ex.maxLength = MAX_EXAMPLE_CHARS;
  submit.textContent = '加为例句';
  return () => {
    const text = ex.value.trim();
    if (!sel.value) return '请选择意图';
    if (!text) return '请填写例句';
    return { action: 'add_example', intent: sel.value, text };
  };
}

function similarFields(form, g, submit) {
  const entryId = field(form, '知识条目编号', textInput('ua-entry-id', '', '输入编号，或在下方搜索后选择'));
  const searchWrap = h('div', 'ua-search');
  const q = textInput('ua-kb-q', g.text, '搜索知识库');
  q.type = 'search';
  const go = button('搜索', 'btn btn-small ua-kb-go');
  searchWrap.appendChild(q);
  searchWrap.appendChild(go);
  const searchLabel = h('label', null, '搜索知识库');
  q.id = 'ua-kb-q';
  searchLabel.htmlFor = 'ua-kb-q';
  form.appendChild(searchLabel);
  form.appendChild(searchWrap);
  const results = h('ul', 'ua-kb-results');
  form.appendChild(results);
  const runSearch = () => searchKb(q.value.trim(), results, entryId);
  go.addEventListener('click', runSearch);
  q.addEventListener('input', debounce(runSearch, SEARCH_DEBOUNCE_MS));
  q.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); runSearch(); } });
  const sim = field(form, '相似问', textInput('ua-text', g.text));
  submit.textContent = '加为相似问';
  setTimeout(runSearch, 0);
  return () => {
    const id = entryId.value.trim();
    const text = sim.value.trim();
    if (!id) return '请填写或选择知识条目编号';
    if (!text) return '请填写相似问';
    return { action: 'add_similar', entry_id: id, text };
  };
}

function entryFields(form, g, submit) {
  const question = field(form, '标准问题', textInput('ua-question', g.text));
  const answer = document.createElement('textarea');
  answer.className = 'ua-answer';
  answer.rows = 4;
  field(form, '答案', answer);
  const category = field(form, '分类', textInput('ua-category', '', '可选'));
  submit.textContent = '创建条目';
  return () => {
    const entry = { question: question.value.trim(), answer: answer.value.trim() };
    if (category.value.trim()) entry.category = category.value.trim();
    if (!entry.question || !entry.answer) return '请填写标准问题和答案';
    return { action: 'create_entry', entry };
  };
}

/* Up to 8 live entries matching q; 选择 fills entryInput. */
function searchKb(q, results, entryInput) {
  clear(results);
  results.appendChild(h('li', 'muted', '搜索中…'));
  api('GET', T + '/kb?q=' + enc(q) + '&include_retired=false').then((list) => {
    clear(results);
    const found = Array.isArray(list) ? list : [];
    if (!found.length) { results.appendChild(h('li', 'muted', '没有匹配的知识条目')); return; }
    found.slice(0, 8).forEach((entry) => {
      const li = h('li');
      li.appendChild(h('span', 'kb-id', entry.id));
      li.appendChild(h('span', 'kb-q', entry.question));
      const pick = button('选择', 'btn btn-small ua-kb-pick');
      pick.dataset.id = entry.id;
      pick.addEventListener('click', () => {
        entryInput.value = entry.id;
        results.querySelectorAll('.ua-kb-pick').forEach((b) => { b.textContent = b === pick ? '已选择' : '选择'; });
      });
      li.appendChild(pick);
      results.appendChild(li);
    });
  }, (err) => {
    clear(results);
    results.appendChild(h('li', 'status-error', '搜索失败：' + err.detail));
  });
}
