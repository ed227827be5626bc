/* The charts (Apache ECharts, served by the bridge from vendor/ — make setup fetches the pinned release; no CDN):
 * the trend of volumes and of service-quality rates, bars by skill group and by agent, the NPS distribution and
 * the handoff reasons. Clicking a point, bar or slice drills down to the conversations behind it. ECharts is
 * loaded on first use, so the cards still work (with a notice) where it is missing. */

const ECHARTS_URL = '/reports/vendor/echarts.esm.min.js';
const COLORS = ['#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#84cc16'];
const REASONS = { customer_request: '客户要求', complaint: '投诉', fraud_risk: '疑似诈骗风险', bot_request: '机器人转接',
  kb_fallback: '知识库未命中' };
let loading = null;
const charts = {};

function echartsLib() {
  if (!loading) loading = import(ECHARTS_URL);
  return loading;
}

function chart(lib, id) {
  const node = document.getElementById(id);
  if (!charts[id]) charts[id] = lib.init(node, null, { renderer: 'canvas' });
  return charts[id];
}

function base(extra) {
  return Object.assign({ color: COLORS, animation: false, tooltip: { trigger: 'axis' },
    legend: { top: 0 }, grid: { left: 48, right: 20, top: 32, bottom: 28, containLabel: true } }, extra);
}

function onClick(c, handler) {
  c.off('click');
  c.on('click', handler);
}

function trend(lib, report, drill) {
  const c = chart(lib, 'chart-trend');
  const x = report.series.map((p) => p.bucket);
  const line = (name, key) => ({ name, type: 'line', smooth: true, data: report.series.map((p) => p.kpis[key]) });
  c.setOption(base({ xAxis: { type: 'category', data: x }, yAxis: { type: 'value', minInterval: 1 },
    series: [line('会话量', 'conversations'), line('转人工请求', 'handoff_requests'), line('留言', 'leave_messages'),
      line('投诉', 'complaints')] }), true);
  onClick(c, (e) => {
    const p = report.series[e.dataIndex];
    const kpi = { 会话量: 'conversations', 转人工请求: 'handoff_requests', 留言: 'leave_messages', 投诉: 'complaints' };
    drill(kpi[e.seriesName] || 'conversations', { start: p.start, end: p.end });
  });
}

function rates(lib, report) {
  const c = chart(lib, 'chart-rates');
  const line = (name, key) => ({ name, type: 'line', smooth: true, connectNulls: true,
    data: report.series.map((p) => p.kpis[key]) });
  c.setOption(base({ xAxis: { type: 'category', data: report.series.map((p) => p.bucket) },
    yAxis: { type: 'value', max: 100 },
    series: [line('人工接通率', 'connect_rate'), line('满意度', 'satisfaction_rate'),
      line('机器人自助率', 'bot_self_service_rate'), line('知识库直接回答率', 'kb_answer_rate')] }), true);
}

function bars(lib, id, slices, keys, onBar) {
  const c = chart(lib, id);
  c.setOption(base({ xAxis: { type: 'category', data: slices.map((s) => s.key), axisLabel: { interval: 0 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: keys.map(([name, key]) => ({ name, type: 'bar', data: slices.map((s) => s.kpis[key]) })) }), true);
  onClick(c, (e) => onBar(slices[e.dataIndex].key, e.seriesName));
}

function nps(lib, report, drill) {
  const c = chart(lib, 'chart-nps');
  const counts = report.nps_distribution.counts;
  const color = (score) => (score >= 9 ? '#10b981' : score >= 7 ? '#9ca3af' : '#ef4444');
  c.setOption(base({ legend: { show: false }, xAxis: { type: 'category', data: counts.map((_, i) => String(i)) },
    yAxis: { type: 'value', minInterval: 1 },
    title: { text: 'NPS ' + (report.nps_distribution.nps === null ? '—' : report.nps_distribution.nps) +
      '（n=' + report.nps_distribution.answers + '）', right: 10, top: 0, textStyle: { fontSize: 13 } },
    series: [{ name: '人数', type: 'bar', data: counts.map((n, i) => ({ value: n, itemStyle: { color: color(i) } })) }]
  }), true);
  onClick(c, (e) => drill(e.dataIndex >= 9 ? 'promoters' : e.dataIndex <= 6 ? 'detractors' : 'nps_answers', {}));
}

function reasons(lib, report, drill) {
  const c = chart(lib, 'chart-reasons');
  const data = Object.keys(report.handoffs_by_reason).map((k) => ({ name: REASONS[k] || k, code: k,
    value: report.handoffs_by_reason[k] }));
  c.setOption({ color: COLORS, animation: false, tooltip: { trigger: 'item' }, legend: { top: 0 },
    series: [{ type: 'pie', radius: ['35%', '65%'], top: 24, data }] }, true);
  onClick(c, (e) => drill('handoff_requests', { reason: e.data.code }));
}

/* Draw every chart of report; drill(kpi, overrides) opens a drill-down. Resolves false when ECharts is
 * unavailable. */
export function render(report, drill) {
  return echartsLib().then((lib) => {
    trend(lib, report, drill);
    rates(lib, report);
    bars(lib, 'chart-groups', report.by_skill_group, [['会话量', 'conversations'], ['转人工请求', 'handoff_requests']],
      (key) => drill('conversations', { skill_group: key }));
    bars(lib, 'chart-agents', report.by_agent.filter((s) => s.key.charAt(0) !== '（'),
      [['转人工请求', 'handoff_requests'], ['投诉', 'complaints'], ['NPS 样本', 'nps_answers']],
      (key, series) => drill(series === '投诉' ? 'complaints' : 'handoff_requests', { agent: key }));
    nps(lib, report, drill);
    reasons(lib, report, drill);
    return true;
  }, () => false);
}

export function resize() {
  Object.keys(charts).forEach((id) => charts[id].resize());
}
