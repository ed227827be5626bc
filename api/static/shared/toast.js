/* The one-line notice at the bottom of every page (#toast): errors, and with kind 'ok' confirmations. */

import { errorText } from './api.js';

/* options.ms: how long a notice stays; options.okMs: how long a confirmation stays (default ms);
 * options.dismissOnClick: a click hides it. */
export function toaster(node, options) {
  const ms = options.ms;
  const okMs = options.okMs || ms;
  let timer = null;

  function show(text, kind) {
    node.textContent = text || '操作失败，请稍后重试';
    node.className = 'toast' + (kind === 'ok' ? ' toast-ok' : '');
    node.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(() => { node.hidden = true; }, kind === 'ok' ? okMs : ms);
  }

  /* An ApiError's text; a 401 says nothing (the staff session is already back on the login form). */
  function error(err) {
    if (err && err.status === 401) return;
    show(errorText(err));
  }

  if (options.dismissOnClick) node.addEventListener('click', () => { node.hidden = true; });
  return { show, error };
}
