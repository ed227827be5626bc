/* The 审计 tab: who changed what in the workbench, filtered by actor, action or target; a detail's diff is
 * coloured line by line. */

import { clear, elements, h } from '../shared/dom.js';
import { formatFull, stringify } from './format.js';
import { getList } from './page.js';
import { cell, emptyRow } from './tables.js';

const el = elements(['audit-list', 'audit-filter', 'audit-refresh']);
let audit = [];

export function init() {
  el.auditRefresh.addEventListener('click', load);
  el.auditFilter.addEventListener('input', render);
}

export function load() {
  return getList('/audit', (list) => {
    audit = list;
    render();
  });
}

export function reset() {
  audit = [];
  clear(el.auditList);
}

function diffClass(line) {
  if (/^(\+\+\+|---)/.test(line) || /^@@/.test(line)) return 'diff-hunk';
  if (/^\+/.test(line)) return 'diff-add';
  if (/^-/.test(line)) return 'diff-del';
  return 'diff-line';
}

function renderDiff(diff) {
  const pre = h('pre', 'diff');
  const text = typeof diff === 'string' ? diff : stringify(diff);
  text.split('\n').forEach((line) => pre.appendChild(h('span', diffClass(line), line === '' ? ' ' : line)));
  return pre;
}

function renderDetail(td, detail) {
  if (detail && typeof detail === 'object' && !Array.isArray(detail)) {
    if (detail.diff !== undefined && detail.diff !== null && detail.diff !== '') td.appendChild(renderDiff(detail.diff));
    const rest = {};
    let hasRest = false;
    Object.keys(detail).forEach((k) => {
      if (k !== 'diff') { rest[k] = detail[k]; hasRest = true; }
    });
    if (hasRest) td.appendChild(h('pre', 'detail-extra', stringify(rest)));
  } else if (detail !== null && detail !== undefined && detail !== '') {
    td.appendChild(h('pre', 'detail-extra', stringify(detail)));
  } else {
    td.textContent = '—';
  }
}

function render() {
  clear(el.auditList);
  const q = el.auditFilter.value.trim().toLowerCase();
  const rows = audit.filter((a) => !q || [a.actor, a.action, a.target].some(
    (v) => v != null && String(v).toLowerCase().indexOf(q) !== -1));
  if (!rows.length) { emptyRow(el.auditList, 5, audit.length ? '没有匹配的记录' : '暂无审计记录'); return; }
  rows.forEach((a) => {
    const tr = h('tr', 'audit-row');
    tr.dataset.id = a.id;
    cell(tr, formatFull(a.at), 'audit-time');
    cell(tr, a.actor || '—');
    cell(tr, a.action || '—');
    cell(tr, a.target || '—');
    renderDetail(cell(tr, '', 'audit-detail'), a.detail);
    el.auditList.appendChild(tr);
  });
}
