/* 投诉分析 and 一对一辅导 on the report tab: the period's complaints by cause (with example conversations), by
 * agent (flagged at the threshold: 建议辅导) and by week; the coaching records with the complaints before and
 * after each. Supervisors create a record for an agent (建立辅导) and close it with the outcome (结束辅导);
 * reviewers read. GET /quality/complaints, GET/POST /quality/coaching, POST /quality/coaching/{id}/close. */

import { clear, h, table } from '../shared/dom.js';
import { api, session, toast } from './page.js';

let box = null;
let days = 30;
const threshold = () => Number((document.getElementById('complaints-threshold') || {}).value || 2);

function container() {
  if (box) return box;
  box = h('div', 'complaints');
  box.id = 'complaints-body';
  document.getElementById('report-view').appendChild(box);
  return box;
}

function supervisor() {
  const auth = session.auth();
  return !!auth && auth.role === 'supervisor';
}

function button(text, onClick) {
  const b = h('button', 'btn btn-small', text);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

function field(label, input) {
  const l = h('label', 'q-field', label + ' ');
  l.appendChild(input);
  return l;
}

function input(id, type, value) {
  const i = h('input');
  i.id = id;
  i.type = type;
  if (value) i.value = value;
  return i;
}

function causesText(causes) {
  return Object.entries(causes).map(([c, n]) => c + ' ' + n).join('、');
}

/* The form under the agents' table: who (prefilled), why, the plan, the follow-up date. */
function coachingForm(agent, reason) {
  const form = h('div', 'q-toolbar coaching-form');
  form.id = 'coaching-form';
  const follow = new Date(Date.now() + 14 * 86400000).toISOString().slice(0, 10);
  const fields = { agent: input('coaching-agent', 'text', agent), reason: input('coaching-reason', 'text', reason),
    plan: input('coaching-plan', 'text'), follow: input('coaching-follow', 'date', follow) };
  form.append(field('坐席', fields.agent), field('原因', fields.reason), field('辅导计划', fields.plan),
    field('跟进日期', fields.follow), button('保存辅导记录', () => {
      const body = { agent: fields.agent.value.trim(), reason: fields.reason.value.trim(),
        plan: fields.plan.value.trim(), follow_up_on: fields.follow.value };
      if (!body.plan) { toast.show('请填写辅导计划'); return; }
      api('POST', '/quality/coaching', body).then(() => { toast.show('已建立辅导记录', 'ok'); load(days); }, toast.error);
    }));
  return form;
}

function agentRow(a, report, out) {
  let action = a.open_coaching ? '辅导中' : (a.flagged ? '建议辅导' : '');
  if (a.flagged && !a.open_coaching && supervisor()) {
    action = button('建立辅导', () => {
      const old = document.getElementById('coaching-form');
      if (old) old.remove();
      out.appendChild(coachingForm(a.username, '近 ' + days + ' 天投诉 ' + a.count + ' 次（' + causesText(a.causes) + '）'));
    });
  }
  return [a.name + '（' + a.username + '）', a.count, causesText(a.causes), action];
}

function closeControl(record) {
  const wrap = h('span');
  wrap.appendChild(button('结束辅导', () => {
    const outcome = input('coaching-outcome-' + record.id, 'text');
    outcome.placeholder = '辅导结果';
    wrap.replaceChildren(outcome, button('确认', () => {
      const text = outcome.value.trim();
      if (!text) { toast.show('请填写辅导结果'); return; }
      api('POST', '/quality/coaching/' + record.id + '/close', { outcome: text })
        .then(() => { toast.show('辅导已结束', 'ok'); load(days); }, toast.error);
    }));
  }));
  return wrap;
}

function effect(r) {
  return '前 ' + r.window_days + ' 天 ' + r.complaints_before + ' 次 / 此后 ' + r.days_after + ' 天 '
    + r.complaints_after + ' 次';
}

function renderCoaching(out, records) {
  out.appendChild(h('h3', 'q-h3', '一对一辅导记录'));
  if (!records.length) { out.appendChild(h('p', 'empty', '暂无辅导记录')); return; }
  out.appendChild(table(['坐席', '原因', '计划', '跟进日期', '投诉（辅导前/后）', '状态', '结果'], records.map((r) => [
    r.agent_name + '（' + r.agent + '）', r.reason, r.plan, r.follow_up_on + (r.overdue ? '（已逾期）' : ''),
    effect(r), r.status === 'open' ? '进行中' : '已结束',
    r.status === 'open' ? (supervisor() ? closeControl(r) : '—') : (r.outcome || '')])));
}

function render(report, records) {
  const out = container();
  clear(out);
  const bar = h('div', 'q-toolbar');
  const limit = input('complaints-threshold', 'number', String(report.threshold));
  limit.min = '1';
  limit.max = '100';
  limit.addEventListener('change', () => load(days));
  bar.append(h('h3', 'q-h3', '投诉分析'), field('投诉达到', limit), h('span', 'muted', '次建议一对一辅导'));
  out.appendChild(bar);
  out.appendChild(h('p', 'muted', report.since + ' 至 ' + report.until + '：投诉 ' + report.total + ' 件'
    + (report.unattributed ? '（其中 ' + report.unattributed + ' 件未经人工服务）' : '')));
  out.appendChild(h('h3', 'q-h3', '投诉原因'));
  out.appendChild(report.by_cause.length
    ? table(['原因', '件数', '示例会话'], report.by_cause.map((c) => [c.cause, c.count, c.examples.join('、')]))
    : h('p', 'empty', '暂无投诉'));
  out.appendChild(h('h3', 'q-h3', '按坐席'));
  out.appendChild(report.by_agent.length
    ? table(['坐席', '投诉数', '原因', '辅导'], report.by_agent.map((a) => agentRow(a, report, out)))
    : h('p', 'empty', '暂无'));
  out.appendChild(h('h3', 'q-h3', '趋势（按周）'));
  out.appendChild(report.by_week.length
    ? table(['周', '件数'], report.by_week.map((w) => [w.period, w.count])) : h('p', 'empty', '暂无'));
  renderCoaching(out, records);
}

export function load(period) {
  days = period || days;
  const query = '?days=' + encodeURIComponent(days) + '&threshold=' + encodeURIComponent(threshold());
  Promise.all([api('GET', '/quality/complaints' + query), api('GET', '/quality/coaching')])
    .then(([report, records]) => render(report, records), toast.error);
}

export function reset() { if (box) clear(box); }
