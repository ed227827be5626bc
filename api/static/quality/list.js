/* A list of reviews (the queue, the agent's own): one row each, the selected one highlighted. */

import { clear, h, note } from '../shared/dom.js';
import { STATUS_LABELS, score, when } from './page.js';

const TARGETED = new Set(['dissatisfied', 'flagged', 'agent_watch', 'topic']);

export function renderList(node, reviews, selected, onPick) {
  clear(node);
  if (!reviews.length) {
    note(node, '暂无');
    return;
  }
  reviews.forEach((review) => {
    const row = h('li', 'q-row' + (review.id === selected ? ' selected' : ''));
    row.dataset.id = review.id;
    const head = h('div', 'q-row-head');
    head.appendChild(h('span', null, STATUS_LABELS[review.status]));
    head.appendChild(h('span', null, review.target === 'agent' ? (review.agent_name || review.agent) : '机器人'));
    head.appendChild(h('span', null, when(review.created_at)));
    head.appendChild(h('span', 'q-row-total', '总分 ' + score(review.total)));
    row.appendChild(head);
    const tags = h('div');
    review.reasons.forEach((reason, i) => {
      tags.appendChild(h('span', 'q-tag' + (TARGETED.has(reason) ? ' targeted' : ''), review.reason_names[i]));
    });
    if (review.needs_coaching) tags.appendChild(h('span', 'q-tag targeted', '需辅导'));
    row.appendChild(tags);
    row.addEventListener('click', () => onPick(review.id));
    node.appendChild(row);
  });
}
