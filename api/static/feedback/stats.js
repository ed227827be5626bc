/* The period's figures of the feedback loop (an owner: their team; a supervisor: every team): volume by category
 * with open and overdue items, mean hours to first reply and to close, overdue now, the top recurring themes. */

import { clear, elements, h, note } from '../shared/dom.js';
import { api, toast } from './page.js';

const el = elements(['stats-since', 'stats-until', 'stats-load', 's-total', 's-first-reply', 's-close', 's-overdue',
  's-categories', 's-themes']);

function hours(d) { return d.mean_h === null ? '–' : String(d.mean_h); }

function load() {
  const params = new URLSearchParams();
  if (el.statsSince.value) params.set('since', el.statsSince.value);
  if (el.statsUntil.value) params.set('until', el.statsUntil.value);
  const q = params.toString();
  return api('GET', '/feedback/stats' + (q ? '?' + q : '')).then((s) => {
    el.statsSince.value = s.since;
    el.statsUntil.value = s.until;
    el.sTotal.textContent = String(s.total);
    el.sFirstReply.textContent = hours(s.first_reply);
    el.sClose.textContent = hours(s.close);
    el.sOverdue.textContent = String(s.overdue_ids.length);
    clear(el.sCategories);
    s.by_category.forEach((c) => {
      const tr = h('tr', '');
      [c.category, c.total, c.open, c.overdue].forEach((v) => tr.appendChild(h('td', '', String(v))));
      el.sCategories.appendChild(tr);
    });
    clear(el.sThemes);
    if (!s.themes.length) note(el.sThemes, '暂无');
    s.themes.forEach((t) => el.sThemes.appendChild(h('li', '', t.keyword + '（' + t.category + '）× ' + t.count)));
  }, toast.error);
}

el.statsLoad.addEventListener('click', load);

export function start() { load(); }
export function stop() { }
export function reset() {
  el.statsSince.value = '';
  el.statsUntil.value = '';
  clear(el.sCategories);
  clear(el.sThemes);
}
