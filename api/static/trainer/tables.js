/* Table pieces of the workbench: header rows, cells, the empty row and score bars. */

import { h } from '../shared/dom.js';
import { isNum } from './format.js';

/* A .table with a header row and an empty body: heads are texts or [text, className]. */
export function table(heads) {
  const t = h('table', 'table');
  const thead = h('thead');
  const tr = h('tr');
  heads.forEach((head) => {
    const [text, className] = Array.isArray(head) ? head : [head, null];
    tr.appendChild(h('th', className, text));
  });
  thead.appendChild(tr);
  t.appendChild(thead);
  const tbody = h('tbody');
  t.appendChild(tbody);
  return { table: t, tbody };
}

export function emptyRow(tbody, cols, text) {
  const tr = h('tr', 'empty-row');
  const td = h('td', null, text);
  td.colSpan = cols;
  tr.appendChild(td);
  tbody.appendChild(tr);
}

export function cell(tr, text, className) {
  const td = h('td', className || null, text);
  tr.appendChild(td);
  return td;
}

/* A horizontal bar filled to fraction (0..1). */
export function bar(fraction, strong) {
  const wrap = h('div', 'bar');
  const fill = h('div', 'bar-fill' + (strong ? ' strong' : ''));
  const f = isNum(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
  fill.style.width = (f * 100).toFixed(1) + '%';
  wrap.appendChild(fill);
  return wrap;
}
