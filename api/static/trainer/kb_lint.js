/* 知识库冲突检查 in the 知识库 tab (issue 13): entries whose questions are near-identical but whose answers
 * differ (可合并 when the answers are the same too), and intents whose examples collide with a KB question —
 * what `python -m kb_index lint` prints. After a save, the findings the edit created are shown under the
 * editor (a warning: the edit was saved). An entry id opens the entry in the editor. */

import { clear, elements, h } from '../shared/dom.js';
import { intentName } from '../shared/intent_names.js';
import { button, setBusy } from './forms.js';
import { fixed } from './format.js';
import { api, T, toast } from './page.js';

const KINDS = { conflict: '近似问题、答案不同', duplicate: '近似问题、答案相同（可合并）', intent: '意图样例与知识库问题相同' };

const el = elements(['kb-lint-kind', 'kb-lint-run', 'kb-lint-summary', 'kb-lint-list', 'kb-save-warnings']);
let openEntry = () => {};
let seq = 0;

/* ``open(id)``: how an entry id opens in the editor (kb.js passes its own). */
export function init(open) {
  openEntry = open;
  el.kbLintRun.addEventListener('click', load);
  el.kbLintKind.addEventListener('change', load);
}

export function reset() {
  clear(el.kbLintList);
  el.kbLintSummary.textContent = '';
  showWarnings([]);
}

function entryLink(id) {
  const link = button(id, 'btn-link kb-lint-link', '在编辑器中打开');
  link.dataset.id = id;
  link.addEventListener('click', () => openEntry(id));
  return link;
}

function finding(c) {
  const li = h('li', 'kb-lint-item kb-lint-' + c.kind);
  li.appendChild(h('span', 'chip kb-lint-kind', KINDS[c.kind] || c.kind));
  const first = h('span', 'kb-lint-side');
  if (c.kind === 'intent') {
    const zh = intentName(c.first);
    first.appendChild(h('span', null, '意图 ' + (zh && zh !== c.first ? zh + '（' + c.first + '）' : c.first)));
  } else {
    first.appendChild(entryLink(c.first));
  }
  first.appendChild(h('span', null, '「' + c.first_question + '」'));
  const second = h('span', 'kb-lint-side');
  second.appendChild(entryLink(c.second));
  second.appendChild(h('span', null, '「' + c.second_question + '」'));
  li.appendChild(first);
  li.appendChild(h('span', 'muted', ' ↔ '));
  li.appendChild(second);
  let detail = '相似度 ' + fixed(c.similarity, 2);
  if (c.answer_similarity != null) detail += '，答案相似度 ' + fixed(c.answer_similarity, 2);
  if (c.term_differences && c.term_differences.length) detail += '；区别：' + c.term_differences.join('，');
  li.appendChild(h('div', 'muted small', detail));
  return li;
}

export function load() {
  const mine = ++seq;
  setBusy(el.kbLintRun, true, '检查中…');
  const kinds = el.kbLintKind.value ? el.kbLintKind.value.split(',') : [];
  const query = kinds.length ? '?' + kinds.map((k) => 'kind=' + k).join('&') : '';
  return api('GET', T + '/kb-lint' + query).then((res) => {
    if (mine !== seq) return;
    const found = res && Array.isArray(res.conflicts) ? res.conflicts : [];
    const n = (res && res.counts) || {};
    el.kbLintSummary.textContent = (n.conflict || 0) + ' 组近似问题答案不同，' + (n.duplicate || 0) + ' 组可合并，' +
      (n.intent || 0) + ' 条意图样例与知识库问题相同';
    clear(el.kbLintList);
    if (!found.length) el.kbLintList.appendChild(h('li', 'empty', '未发现冲突或重复'));
    found.forEach((c) => el.kbLintList.appendChild(finding(c)));
  }, (err) => { if (mine === seq) toast.error(err); }).then(() => { if (mine === seq) setBusy(el.kbLintRun, false); });
}

function showWarnings(list) {
  clear(el.kbSaveWarnings);
  el.kbSaveWarnings.hidden = !list.length;
  if (!list.length) return;
  el.kbSaveWarnings.appendChild(h('p', null, '已保存，但该修改产生了新的冲突，请合并或区分这些条目：'));
  const ul = h('ul', 'kb-lint-items');
  list.forEach((c) => ul.appendChild(finding(c)));
  el.kbSaveWarnings.appendChild(ul);
}

/* After a save: the findings the edit created (``entry.warnings``), as a warning under the editor. */
export function saved(entry) {
  const list = entry && Array.isArray(entry.warnings) ? entry.warnings : [];
  showWarnings(list);
  if (list.length) toast.show('已保存，但产生了 ' + list.length + ' 处新的知识库冲突', 'warn');
}
