/* 质检队列 (reviewers and supervisors): run a day's sampling with its rules, filter the queue by status and
 * reason, open a review. */

import { byId, elements } from '../shared/dom.js';
import { renderList } from './list.js';
import { api, toast } from './page.js';
import { show } from './review.js';

const el = elements(['sample-form', 'sample-day', 'sample-agent', 'sample-bot', 'sample-dissatisfied',
  'sample-flagged', 'sample-watch', 'sample-days', 'sample-topics', 'sample-result', 'queue-status',
  'queue-reason', 'queue-list', 'queue-detail']);
let selected = null;

function load() {
  const params = new URLSearchParams();
  if (el.queueStatus.value) params.set('status', el.queueStatus.value);
  if (el.queueReason.value) params.set('reason', el.queueReason.value);
  return api('GET', '/quality/queue?' + params.toString())
    .then((reviews) => renderList(el.queueList, reviews, selected, pick), toast.error);
}

function pick(id) {
  selected = id;
  load();
  show(el.queueDetail, id, load);
}

el.sampleForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const body = {
    routine_agent: Number(el.sampleAgent.value || 0), routine_bot: Number(el.sampleBot.value || 0),
    dissatisfied: el.sampleDissatisfied.checked, flagged: el.sampleFlagged.checked,
    watch_agents: el.sampleWatch.checked, lookback_days: Number(el.sampleDays.value || 7),
    topics: el.sampleTopics.value.split(/[,，\s]+/).filter(Boolean)
  };
  if (el.sampleDay.value) body.day = el.sampleDay.value;
  api('POST', '/quality/sample', body).then((result) => {
    el.sampleResult.textContent = '新增 ' + result.added.length + ' 条' +
      (result.watched_agents.length ? '；关注坐席：' + result.watched_agents.join('、') : '');
    el.queueStatus.value = 'open';
    load();
  }, toast.error);
});
el.queueStatus.addEventListener('change', load);
el.queueReason.addEventListener('change', load);

export function start() { load(); }
export function stop() { }
export function reset() {
  selected = null;
  el.queueList.textContent = '';
  el.sampleResult.textContent = '';
  byId('queue-detail').textContent = '';
}
