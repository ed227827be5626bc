/* Synonyms (right column of 意图): each standard value with the words mapped to it; add a synonym. */

import { clear, elements, h } from '../shared/dom.js';
import { button, formRejected, hideFormError, setBusy, showFormError } from './forms.js';
import { api, getList, T, toast } from './page.js';

const el = elements(['synonym-form', 'synonym-value', 'synonym-values', 'synonym-text', 'synonym-add',
  'synonym-error', 'synonym-list', 'synonyms-refresh']);
let synonyms = [];   // [{value, synonyms}]

export function init() {
  el.synonymForm.addEventListener('submit', onAdd);
  el.synonymList.addEventListener('click', (e) => {
    const pick = e.target.closest('.synonym-pick');
    if (!pick) return;
    el.synonymValue.value = pick.dataset.value;
    el.synonymText.focus();
  });
  el.synonymsRefresh.addEventListener('click', load);
}

export function load() {
  return getList('/synonyms', (list) => {
    synonyms = list;
    render();
  });
}

export function reset() {
  synonyms = [];
  clear(el.synonymList);
}

function render() {
  clear(el.synonymList);
  clear(el.synonymValues);
  if (!synonyms.length) {
    el.synonymList.appendChild(h('li', 'empty', '暂无同义词'));
    return;
  }
  synonyms.forEach((s) => {
    const li = h('li', 'synonym-item');
    li.dataset.value = s.value;
    const head = h('div', 'synonym-value');
    const pick = button(s.value, 'btn-link', '向该标准值添加同义词');
    pick.dataset.value = s.value;
    pick.classList.add('synonym-pick');
    head.appendChild(pick);
    li.appendChild(head);
    const chips = h('div', 'chips');
    (Array.isArray(s.synonyms) ? s.synonyms : []).forEach((w) => chips.appendChild(h('span', 'chip', w)));
    li.appendChild(chips);
    el.synonymList.appendChild(li);
    const opt = document.createElement('option');
    opt.value = s.value;
    el.synonymValues.appendChild(opt);
  });
}

function onAdd(e) {
  e.preventDefault();
  const value = el.synonymValue.value.trim();
  const synonym = el.synonymText.value.trim();
  if (!value || !synonym) { showFormError(el.synonymError, '请填写标准值和同义词'); return; }
  hideFormError(el.synonymError);
  setBusy(el.synonymAdd, true, '添加中…');
  api('POST', T + '/synonyms', { value, synonym }).then((list) => {
    let found = false;
    synonyms.forEach((s) => {
      if (s.value === value) { found = true; if (Array.isArray(list)) s.synonyms = list; }
    });
    if (!found) synonyms.push({ value, synonyms: Array.isArray(list) ? list : [synonym] });
    render();
    el.synonymText.value = '';
    el.synonymText.focus();
    toast.show('已添加同义词', 'ok');
  }, formRejected(el.synonymError)).then(() => setBusy(el.synonymAdd, false));
}
