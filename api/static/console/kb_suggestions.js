/* KB suggestions for the selected conversation (#kb-suggestions), refreshed a moment after each customer
 * message; 插入 puts an answer into the reply box. */

import { byId, clear, debounce, h, note } from '../shared/dom.js';
import * as conversations from './conversations.js';
import { formatScore } from './labels.js';
import { api, toast } from './page.js';
import * as reply from './reply.js';

const KB_DEBOUNCE_MS = 400;

const panel = byId('kb-suggestions');

export function showNote(text) { note(panel, text); }

export function load() {
  const id = conversations.selected();
  if (id === null) return;
  api('GET', '/agent/kb-suggestions?conversation_id=' + encodeURIComponent(id)).then((list) => {
    if (id !== conversations.selected()) return;
    render(Array.isArray(list) ? list : []);
  }, (err) => {
    if (id !== conversations.selected()) return;
    showNote('知识库推荐加载失败');
    toast.error(err);
  });
}

export const scheduleRefresh = debounce(load, KB_DEBOUNCE_MS);

function render(list) {
  if (!list.length) {
    showNote('暂无推荐');
    return;
  }
  clear(panel);
  list.forEach((s) => {
    const item = h('div', 'kb-item');
    item.dataset.entryId = s.entry_id;
    const head = h('div', 'kb-head');
    head.appendChild(h('span', 'kb-question', s.question || ''));
    head.appendChild(h('span', 'score', formatScore(s.score)));
    item.appendChild(head);
    item.appendChild(h('div', 'kb-answer', s.answer || ''));
    const btn = h('button', 'btn btn-small kb-insert', '插入');
    btn.type = 'button';
    btn.setAttribute('aria-label', '插入答案：' + (s.question || ''));
    btn.addEventListener('click', () => reply.insert(s.answer || ''));
    item.appendChild(btn);
    panel.appendChild(item);
  });
}
