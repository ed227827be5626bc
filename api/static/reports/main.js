/* 服务中心报表 — the supervisors' reports page: native ES modules, no build step.
 *   page.js     session, API client, toast     filters.js  period and filter pickers
 *   cards.js    KPI cards with the change      charts.js   ECharts trend/bars/NPS/reasons
 *   drilldown.js the conversations behind a number (masked)   exports.js  CSV / Excel downloads
 *   surge.js    the surge response: time at each level per day, level changes */

import { elements } from '../shared/dom.js';
import { loginView, ROLE_LABELS } from '../shared/session.js';
import * as cards from './cards.js';
import * as charts from './charts.js';
import * as drilldown from './drilldown.js';
import * as exportsModule from './exports.js';
import * as filters from './filters.js';
import * as surge from './surge.js';
import { api, queryString, session, toast } from './page.js';

const el = elements(['dashboard', 'denied-view', 'denied-logout', 'me-name', 'logout', 'report-status',
  'export-csv', 'export-xlsx']);
let started = false;
let loaded = 0;

function status(text, isError) {
  el.reportStatus.textContent = text;
  el.reportStatus.classList.toggle('error', !!isError);
}

function drill(kpi, overrides) {
  return drilldown.open(kpi, filters.params(), overrides);
}

function load() {
  const params = filters.params();
  const mine = ++loaded;
  status('加载中…');
  return api('GET', '/reports/kpis' + queryString(params)).then((report) => {
    if (mine !== loaded) return;
    filters.setOptions(report.options);
    cards.render(report, (kpi) => drill(kpi, {}));
    surge.render(report);
    status('本期 ' + report.start + ' 至 ' + report.end + '，对比上期 ' + report.previous_start + ' 至 ' +
      report.previous_end + '；人工接通率按 ' + report.connect_within_s + ' 秒内接起计，留言回拨时限 ' +
      report.callback_sla_h + ' 小时');
    return charts.render(report, drill).then((ok) => {
      if (!ok) status('图表库未安装（请运行 make setup），仅显示指标卡', true);
      else document.body.dataset.chartsReady = String(mine);
    });
  }, (err) => {
    status(err.detail || '报表加载失败', true);
    toast.error(err);
  });
}

function enter(auth) {
  const supervisor = auth.role === 'supervisor';
  el.deniedView.hidden = supervisor;
  el.dashboard.hidden = !supervisor;
  if (!supervisor) return;
  el.meName.textContent = (auth.display_name || auth.username) + '（' + (ROLE_LABELS[auth.role] || auth.role) + '）';
  if (!started) {
    started = true;
    filters.init(() => { drilldown.close(); load(); });
    drilldown.init();
  }
  load();
}

function leave() {
  el.dashboard.hidden = true;
  el.deniedView.hidden = true;
  drilldown.close();
}

el.logout.addEventListener('click', () => session.logout());
el.deniedLogout.addEventListener('click', () => session.logout());
el.exportCsv.addEventListener('click', () => exportsModule.download('csv', filters.params()));
el.exportXlsx.addEventListener('click', () => exportsModule.download('xlsx', filters.params()));
window.addEventListener('resize', () => charts.resize());
session.start(loginView(), { onEnter: enter, onLeave: leave });
