/* What every panel of the feedback page shares: the signed-in member's session and API client, the toast, and
 * a few formatters. Contract: /docs (tags feedback and campaigns). */

import { byId, pad2 } from '../shared/dom.js';
import { staffSession } from '../shared/session.js';
import { toaster } from '../shared/toast.js';

export const session = staffSession({ key: 'bankcs.feedback.auth', base: '/api/v1' });
export const api = session.api;
export const toast = toaster(byId('toast'), { ms: 4000, okMs: 2500 });

/* 12月1日 10:05 (local time). */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '—';
  return (d.getMonth() + 1) + '月' + d.getDate() + '日 ' + pad2(d.getHours()) + ':' + pad2(d.getMinutes());
}

/* A datetime-local input's value as an ISO string with the browser's offset (the server stores UTC). */
export function localToIso(value) {
  const d = new Date(value);
  return isNaN(d.getTime()) ? null : d.toISOString();
}

export function toLocalInput(date) {
  return date.getFullYear() + '-' + pad2(date.getMonth() + 1) + '-' + pad2(date.getDate()) + 'T' +
    pad2(date.getHours()) + ':' + pad2(date.getMinutes());
}
