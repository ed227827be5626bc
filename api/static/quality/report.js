/* 质检报表: scores by agent and week, the most-failed items, bot answers marked wrong (with the KB entry to fix
 * in the trainer workbench), and the agents marked for coaching; complaints.js adds 投诉分析 and 辅导记录. */

import { clear, elements, h, note, table } from '../shared/dom.js';
import * as complaints from './complaints.js';
import { api, toast } from './page.js';

const el = elements(['report-days', 'report-refresh', 'report-body']);

function section(title, content) {
  el.reportBody.appendChild(h('h3', 'q-h3', title));
  el.reportBody.appendChild(content);
}

function kbLink(entry) {
  if (!entry) return '意图答复';
  const a = h('a', null, entry);
  a.href = '/trainer#kb=' + encodeURIComponent(entry);
  return a;
}

function render(report) {
  clear(el.reportBody);
  el.reportBody.appendChild(h('p', 'muted', '自 ' + report.since + ' 起（仅统计已提交的质检）'));
  section('坐席得分（按周）', report.by_agent.length
    ? table(['坐席', '周', '质检数', '平均分'], report.by_agent.map((a) => [a.agent_name, a.period, a.reviews, a.average]))
    : h('p', 'empty', '暂无'));
  section('失分最多的检查项', report.most_failed.length
    ? table(['检查项', '未达标', '已评'], report.most_failed.map((f) => [f.title, f.failed, f.scored]))
    : h('p', 'empty', '暂无'));
  section('机器人答错', report.wrong_answers.length
    ? table(['知识条目', '答复', '次数', '示例会话'],
      report.wrong_answers.map((w) => [kbLink(w.kb_entry), w.text, w.count, w.conversation_id]))
    : h('p', 'empty', '暂无'));
  section('需要辅导的坐席', h('p', null, report.coaching.join('、') || '暂无'));
}

function load() {
  note(el.reportBody, '加载中…');
  api('GET', '/quality/report?days=' + encodeURIComponent(el.reportDays.value || '30')).then(render, toast.error);
  complaints.load(Number(el.reportDays.value || 30));
}

el.reportRefresh.addEventListener('click', load);

export function start() { load(); }
export function stop() { }
export function reset() { clear(el.reportBody); complaints.reset(); }
