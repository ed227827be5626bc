/* The drill-down: the conversations behind a number (same period and filters as the report, narrowed by what
 * was clicked), and one conversation's transcript as stored — masked — read-only. */

import { byId, clear, elements, formatTime, h } from '../shared/dom.js';
import { api, queryString, toast } from './page.js';

const el = elements(['drill', 'drill-title', 'drill-close', 'drill-rows', 'drill-transcript']);
const WHO = { customer: '客户', bot: '机器人', agent: '坐席', system: '系统', whisper: '班长（仅坐席可见）' };

function showTranscript(convId) {
  api('GET', '/reports/conversations/' + encodeURIComponent(convId)).then((detail) => {
    clear(el.drillTranscript);
    el.drillTranscript.appendChild(h('h2', '', '会话 ' + convId.slice(0, 8) + '…（已脱敏）'));
    detail.messages.forEach((m) => {
      const line = h('div', 'line');
      line.appendChild(h('span', 'who', (WHO[m.from] || m.from) + ' ' + formatTime(m.created_at)));
      line.appendChild(document.createTextNode(m.text));
      el.drillTranscript.appendChild(line);
    });
    el.drillTranscript.hidden = false;
    el.drillTranscript.scrollIntoView({ block: 'nearest' });
  }, toast.error);
}

function row(item) {
  const tr = h('tr', 'drill-row');
  tr.dataset.conversation = item.conversation_id;
  [item.at.replace('T', ' '), item.channel, item.skill_group, item.agent, item.facts, item.detail]
    .forEach((v) => tr.appendChild(h('td', '', v)));
  const cell = h('td');
  const open = h('button', 'btn btn-small drill-open', '查看');
  open.type = 'button';
  open.addEventListener('click', () => showTranscript(item.conversation_id));
  cell.appendChild(open);
  tr.appendChild(cell);
  return tr;
}

/* Open the drill-down of kpi with the report's params, overridden by what was clicked. */
export function open(kpi, params, overrides) {
  const query = Object.assign({}, params, overrides || {}, { kpi });
  delete query.granularity;
  el.drill.hidden = false;
  el.drillTranscript.hidden = true;
  el.drillTitle.textContent = '加载中…';
  clear(el.drillRows);
  return api('GET', '/reports/drilldown' + queryString(query)).then((drill) => {
    const scope = [drill.start === drill.end ? drill.start : drill.start + ' 至 ' + drill.end,
      overrides && overrides.skill_group, overrides && overrides.agent].filter(Boolean).join('，');
    el.drillTitle.textContent = drill.label + '：' + drill.count + ' 条，' + drill.conversations.length +
      ' 个会话（' + scope + '）';
    if (!drill.conversations.length) el.drillRows.appendChild(h('tr', 'empty-row')).appendChild(h('td', 'empty', '无'));
    drill.conversations.forEach((item) => el.drillRows.appendChild(row(item)));
    el.drill.scrollIntoView({ block: 'nearest' });
  }, (err) => {
    el.drillTitle.textContent = '明细';
    toast.error(err);
  });
}

export function close() {
  el.drill.hidden = true;
  clear(el.drillRows);
  el.drillTranscript.hidden = true;
}

export function init() {
  el.drillClose.addEventListener('click', close);
  byId('drill-rows').setAttribute('aria-live', 'polite');
}
