/* A training job's evaluation (#job-metrics): accuracy and macro-F1 against the baseline model, and the
 * intents most often confused. */

import { elements, h } from '../shared/dom.js';
import { isNum, pct } from './format.js';
import { cell, table } from './tables.js';

const el = elements(['job-metrics']);

export function renderMetrics(m, base) {
  const sec = h('section');
  sec.appendChild(h('h3', 'panel-title', base ? '评估指标与基线对比' : '评估指标'));
  const heads = [['指标', null], ['本次', 'num'], ['基线', 'num'], ['变化', 'num']];
  const t = table(base ? heads : heads.slice(0, 2));
  [['accuracy', '准确率'], ['macro_f1', 'Macro-F1']].forEach(([key, label]) => {
    const tr = h('tr');
    cell(tr, label);
    const cur = m ? m[key] : null;
    cell(tr, pct(cur), 'num');
    if (base) {
      const b = base[key];
      cell(tr, pct(b), 'num');
      if (isNum(cur) && isNum(b)) {
        const d = (cur - b) * 100;
        const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
        cell(tr, sign + Math.abs(d).toFixed(1) + ' 个百分点', 'num ' + (d > 0 ? 'delta-up' : d < 0 ? 'delta-down' : ''));
      } else {
        cell(tr, '—', 'num');
      }
    }
    t.tbody.appendChild(tr);
  });
  sec.appendChild(t.table);
  if (base && (base.model || base.name)) sec.appendChild(h('p', 'muted small', '基线模型：' + (base.model || base.name)));
  el.jobMetrics.appendChild(sec);
  el.jobMetrics.appendChild(renderConfused(m));
}

function renderConfused(m) {
  const confused = m && Array.isArray(m.confused) ? m.confused : [];
  const sec = h('section');
  sec.appendChild(h('h3', 'panel-title', '易混淆意图'));
  if (!confused.length) {
    sec.appendChild(h('p', 'empty', m ? '无明显混淆' : '—'));
    return sec;
  }
  const t = table(['真实意图', '被识别为', ['次数', 'num']]);
  confused.forEach((p) => {
    const tr = h('tr');
    const arr = Array.isArray(p) ? p : [p && p.a, p && p.b, p && p.n];
    cell(tr, arr[0]);
    cell(tr, arr[1]);
    cell(tr, arr[2], 'num');
    t.tbody.appendChild(tr);
  });
  sec.appendChild(t.table);
  return sec;
}
