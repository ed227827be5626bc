/* What every part of the reports page shares: the supervisor's session and API client, the toast, and the
 * report's query (period and filters) as URL parameters. Contract: /openapi.json, tag "reports". */

import { byId } from '../shared/dom.js';
import { staffSession } from '../shared/session.js';
import { toaster } from '../shared/toast.js';

export const API = '/api/v1';
export const session = staffSession({ key: 'bankcs.reports.auth', base: API });
export const api = session.api;
export const toast = toaster(byId('toast'), { ms: 5000 });

/* The query string of a report request: only the parameters that are set. */
export function queryString(params) {
  const parts = [];
  Object.keys(params).forEach((key) => {
    const value = params[key];
    if (value !== undefined && value !== null && value !== '') {
      parts.push(encodeURIComponent(key) + '=' + encodeURIComponent(value));
    }
  });
  return parts.length ? '?' + parts.join('&') : '';
}
