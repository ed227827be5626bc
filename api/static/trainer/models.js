/* The model list of 训练与发布: every trained model with its scores; deploy one, or roll back to an older one
 * (a deployment is a job like training). */

import { clear, elements, h } from '../shared/dom.js';
import { button, setBusy } from './forms.js';
import { formatFull, pct } from './format.js';
import * as jobs from './jobs.js';
import { api, enc, getList, held, T, toast } from './page.js';
import { cell, emptyRow } from './tables.js';

const el = elements(['model-list', 'models-refresh']);
let models = [];

export function init() {
  el.modelList.addEventListener('click', onDeploy);
  el.modelsRefresh.addEventListener('click', load);
}

export function load() {
  return getList('/models', (list) => {
    models = list;
    render();
  });
}

export function reset() {
  models = [];
  clear(el.modelList);
}

function render() {
  clear(el.modelList);
  if (!models.length) { emptyRow(el.modelList, 6, '暂无模型，请先训练'); return; }
  const activeIndex = models.findIndex((m) => m.active);
  const busy = jobs.running();
  models.forEach((m, i) => {
    const tr = h('tr', 'model-row' + (m.active ? ' active' : ''));
    tr.dataset.name = m.name;
    cell(tr, m.name, 'model-name');
    cell(tr, formatFull(m.created_at), 'audit-time');
    cell(tr, pct(m.accuracy), 'num');
    cell(tr, pct(m.macro_f1), 'num');
    cell(tr, '').appendChild(m.active ? h('span', 'tag tag-ok', '线上') : h('span', 'muted', '—'));
    const act = cell(tr, '');
    if (!m.active) {
      const rollback = activeIndex !== -1 && i > activeIndex;
      const b = button(rollback ? '回滚' : '部署', 'btn btn-small model-deploy' + (rollback ? ' btn-danger' : ''),
        rollback ? '回滚到这个较早的模型' : '将该模型部署上线');
      b.dataset.name = m.name;
      b.disabled = busy;
      act.appendChild(b);
    }
    el.modelList.appendChild(tr);
  });
}

function onDeploy(e) {
  const b = e.target.closest('.model-deploy');
  if (!b) return;
  const name = b.dataset.name;
  const label = b.textContent;
  setBusy(b, true, '提交中…');
  api('POST', T + '/models/' + enc(name) + '/deploy').then((j) => {
    if (held(j)) { setBusy(b, false); return; }
    toast.show(label + '任务已开始：' + name, 'ok');
    jobs.track(j);
    render();
  }, (err) => {
    setBusy(b, false);
    jobs.refused(err);
  });
}
