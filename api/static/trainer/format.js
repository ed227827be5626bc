/* How the workbench writes times, dates, numbers and multi-line fields. */

import { pad2 } from '../shared/dom.js';

function parseDate(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  return isNaN(d.getTime()) ? null : d;
}

/* 今天 HH:MM; M月D日 HH:MM this year; YYYY-MM-DD HH:MM before. */
export function formatWhen(iso) {
  const d = parseDate(iso);
  if (!d) return iso ? String(iso) : '';
  const now = new Date();
  const hm = pad2(d.getHours()) + ':' + pad2(d.getMinutes());
  if (d.toDateString() === now.toDateString()) return '今天 ' + hm;
  if (d.getFullYear() === now.getFullYear()) return (d.getMonth() + 1) + '月' + d.getDate() + '日 ' + hm;
  return isoDay(d) + ' ' + hm;
}

/* YYYY-MM-DD HH:MM:SS */
export function formatFull(iso) {
  const d = parseDate(iso);
  if (!d) return iso ? String(iso) : '';
  return isoDay(d) + ' ' + pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
}

/* YYYY-MM-DD of a local date (today's by default). */
export function isoDay(d) {
  const day = d || new Date();
  return day.getFullYear() + '-' + pad2(day.getMonth() + 1) + '-' + pad2(day.getDate());
}

/* The YYYY-MM-DD a value starts with, or ''. */
export function dateOnly(value) {
  if (!value) return '';
  const s = String(value);
  return /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : '';
}

export function isNum(x) { return typeof x === 'number' && isFinite(x); }

/* Metrics and confidences are 0..1; show as a percentage. */
export function pct(x, digits) {
  if (!isNum(x)) return '—';
  return (x * 100).toFixed(digits === undefined ? 1 : digits) + '%';
}

export function fixed(x, digits) { return isNum(x) ? x.toFixed(digits) : '—'; }

/* The non-empty trimmed lines of a textarea. */
export function lines(text) {
  return String(text || '').split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
}

/* JSON for an audit detail or an odd value; text as it is. */
export function stringify(x) {
  if (x === null || x === undefined) return '';
  if (typeof x === 'string') return x;
  try { return JSON.stringify(x, null, 2); } catch (e) { return String(x); }
}
