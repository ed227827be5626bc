/* What every panel of the agent console shares: the signed-in staff member's session and API client, and
 * the toast. Contract: docs/bridge_api.md (auth, agent API, agent WebSocket, supervisor API). */

import { byId } from '../shared/dom.js';
import { staffSession } from '../shared/session.js';
import { toaster } from '../shared/toast.js';

export const API = '/api/v1';

/* The signed-in member (session.auth()), their API client, sign-in, sign-out and expiry. */
export const session = staffSession({ key: 'bankcs.console.auth', base: API });
export const api = session.api;
export const toast = toaster(byId('toast'), { ms: 4000 });

export function convPath(id, suffix) {
  return '/agent/conversations/' + encodeURIComponent(id) + (suffix || '');
}
