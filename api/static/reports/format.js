/* Numbers as the dashboard shows them, by the KPI's unit (count, percent, seconds, score); the change against
 * the period before with its direction (up is good for most KPIs, bad for the ones in LOWER_IS_BETTER). */

export const LOWER_IS_BETTER = new Set(['kb_fallback_rate', 'avg_wait_s', 'p90_wait_s', 'abandon_rate',
  'out_of_hours_requests', 'complaints', 'complaint_rate', 'sensitive_hits']);

export function seconds(value) {
  const s = Math.round(value);
  if (s < 60) return s + ' 秒';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' 分 ' + (s % 60) + ' 秒';
  return Math.floor(m / 60) + ' 小时 ' + (m % 60) + ' 分';
}

export function formatValue(value, unit) {
  if (value === null || value === undefined) return '—';
  if (unit === 'percent') return value.toFixed(2) + '%';
  if (unit === 'seconds') return seconds(value);
  if (unit === 'score') return value.toFixed(2);
  return String(value);
}

/* {text, direction: 'up' | 'down' | ''} for a change; direction says good (up) or bad (down). */
export function formatChange(key, delta, unit) {
  if (delta === null || delta === undefined) return { text: '上期无可比数据', direction: '' };
  if (delta === 0) return { text: '与上期持平', direction: '' };
  const arrow = delta > 0 ? '▲' : '▼';
  const size = Math.abs(delta);
  let text;
  if (unit === 'percent') text = size.toFixed(2) + ' 个百分点';
  else if (unit === 'seconds') text = seconds(size);
  else if (unit === 'score') text = size.toFixed(2) + ' 分';
  else text = String(size);
  const good = LOWER_IS_BETTER.has(key) ? delta < 0 : delta > 0;
  return { text: '较上期 ' + arrow + ' ' + text, direction: good ? 'up' : 'down' };
}

/* yyyy-mm-dd of a local Date. */
export function isoDate(d) {
  const pad = (n) => (n < 10 ? '0' : '') + n;
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
}
