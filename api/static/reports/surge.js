/* The surge response in the period (二级话务应急响应, report.surge): the changes by direction and by hand, and
 * per day the time at each level (up to now for today) with that day's changes. Centre-wide: the filters of the
 * page do not narrow it. Days at level 0 all day are left out of the table. */

import { byId, clear, table } from '../shared/dom.js';

const NAMES = ['正常', '一级响应', '二级响应'];

/* Seconds as 小时/分钟 (e.g. 1小时5分, 12分, 0分). */
export function duration(seconds) {
  const minutes = Math.round(seconds / 60);
  const hours = Math.floor(minutes / 60);
  return (hours ? hours + '小时' : '') + (minutes % 60 || !hours ? (minutes % 60) + '分' : '');
}

export function render(report) {
  const surge = report.surge;
  byId('surge-summary').textContent = '本期级别变化 ' + surge.changes + ' 次（升级 ' + surge.raised + '、降级 ' +
    surge.lowered + '，其中人工调整 ' + surge.manual + '）；一级响应共 ' + duration(surge.seconds[1]) +
    '，二级响应共 ' + duration(surge.seconds[2]) + '。';
  const days = surge.days.filter((d) => d.changes > 0 || d.seconds[1] > 0 || d.seconds[2] > 0);
  const box = byId('surge-days');
  clear(box);
  if (!days.length) return;
  const t = table(['日期'].concat(NAMES, ['级别变化']),
    days.map((d) => [d.day].concat(d.seconds.map(duration), [String(d.changes)])));
  Array.from(t.querySelectorAll('tr')).slice(1).forEach((tr) => {
    [2, 3].forEach((i) => { if (tr.children[i].textContent !== '0分') tr.children[i].classList.add('surge-on'); });
  });
  box.appendChild(t);
}
