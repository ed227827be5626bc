/* Lookup tables (entity values such as cities; right column of 意图): each table with its entry count, the
 * latest 30 entries of the chosen one, and adding an entry. */

import { clear, elements, h } from '../shared/dom.js';
import { hideFormError, showFormError } from './forms.js';
import { api, T } from './page.js';

const el = elements(['lookup-form', 'lookup-name', 'lookup-entry', 'lookup-error', 'lookup-list']);
let tables = [];   // [{name, entries}]

export function init() {
  el.lookupForm.addEventListener('submit', onAdd);
  el.lookupName.addEventListener('change', render);
}

/* A failed load leaves the tables as they were (the workbench works without them). */
export function load() {
  return api('GET', T + '/lookups').then((list) => {
    tables = Array.isArray(list) ? list : [];
    render();
  }, () => { /* a 401 is handled by the session; nothing else to say */ });
}

export function reset() {
  tables = [];
  render();
}

function render() {
  const chosen = el.lookupName.value;
  clear(el.lookupName);
  tables.forEach((t) => {
    const opt = document.createElement('option');
    opt.value = t.name;
    opt.textContent = t.name + '（' + t.entries.length + '）';
    el.lookupName.appendChild(opt);
  });
  if (chosen) el.lookupName.value = chosen;
  clear(el.lookupList);
  const table = tables.filter((t) => t.name === el.lookupName.value)[0];
  (table ? table.entries.slice(-30).reverse() : []).forEach((entry) => el.lookupList.appendChild(h('li', null, entry)));
}

function onAdd(e) {
  e.preventDefault();
  const name = el.lookupName.value;
  const entry = el.lookupEntry.value.trim();
  hideFormError(el.lookupError);
  if (!name || !entry) { showFormError(el.lookupError, '请选择查找表并填写条目'); return; }
  api('POST', T + '/lookups', { name, entry }).then((table) => {
    tables = tables.map((t) => (t.name === table.name ? table : t));
    el.lookupEntry.value = '';
    render();
  }, (err) => {
    if (err.status !== 401) showFormError(el.lookupError, err);
  });
}
