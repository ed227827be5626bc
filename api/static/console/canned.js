/* Canned replies (#canned-list), searched as the agent types; a click inserts one into the reply box. */

import { clear, debounce, elements, h } from '../shared/dom.js';
import { api, toast } from './page.js';
import * as reply from './reply.js';

const SEARCH_DEBOUNCE_MS = 250;

const el = elements(['canned-search', 'canned-list']);
let seq = 0;   // only the answer to the latest search is shown

export function init() {
  el.cannedSearch.addEventListener('input', debounce(() => load(el.cannedSearch.value.trim()), SEARCH_DEBOUNCE_MS));
  el.cannedSearch.addEventListener('keydown', (e) => {  // Enter searches now (no wait for the pause)
    if (e.key !== 'Enter' || e.isComposing) return;
    e.preventDefault();
    load(el.cannedSearch.value.trim());
  });
}

export function load(q) {
  const mine = ++seq;
  api('GET', '/agent/canned?q=' + encodeURIComponent(q || '')).then((list) => {
    if (mine === seq) render(Array.isArray(list) ? list : []);
  }, toast.error);
}

export function reset() {
  clear(el.cannedList);
  el.cannedSearch.value = '';
}

function render(list) {
  clear(el.cannedList);
  if (!list.length) {
    el.cannedList.appendChild(h('li', 'empty', '无匹配的快捷回复'));
    return;
  }
  list.forEach((c) => {
    const li = h('li');
    const btn = h('button', 'canned-item');
    btn.type = 'button';
    btn.dataset.id = c.id;
    const head = h('span', 'canned-head');
    head.appendChild(h('span', 'canned-title', c.title || ''));
    if (c.skill_group) head.appendChild(h('span', 'tag', c.skill_group));
    btn.appendChild(head);
    btn.appendChild(h('span', 'canned-text', c.text || ''));
    btn.addEventListener('click', () => reply.insert(c.text || ''));
    li.appendChild(btn);
    el.cannedList.appendChild(li);
  });
}
