/* The one reconnecting WebSocket of the widget (customer socket) and the console (agent socket).
 *
 * A lost socket is retried with exponential back-off (1 s doubling to 15 s). Before each retry the page's
 * check() asks over HTTP whether reconnecting still makes sense, so an expired login or a conversation the
 * server no longer knows does not loop forever, and messages missed meanwhile are fetched. Coming back online
 * or to the tab retries at once. */

const BACKOFF_START_MS = 1000;
const BACKOFF_MAX_MS = 15000;

/* The login travels in the Sec-WebSocket-Protocol header, never in the URL (URLs end up in logs and
 * history): the server picks 'bankcs.v1' and reads the token from 'bearer.<token>'. */
export const SUBPROTOCOL = 'bankcs.v1';
export function bearerProtocols(token) {
  return [SUBPROTOCOL, 'bearer.' + token];
}

/* ws(s)://this host + path (the scheme follows the page's). */
export function wsUrl(path) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return proto + '//' + location.host + path;
}

function parseJson(text) {
  try { return JSON.parse(text); } catch (e) { return null; }
}

/* options.url()            the URL to open (read at each attempt)
 * options.protocols()      the subprotocols to offer, e.g. bearerProtocols(token) (read at each attempt:
 *                          tokens change)
 * options.onEvent(ev)      a parsed JSON event (null for a frame that is not JSON)
 * options.onOpen(again)    open; again: after a loss (refresh what may have been missed)
 * options.onLost()         the socket dropped; a retry is scheduled
 * options.check()          before a retry: resolves to 'open' (reconnect), 'retry' (wait and check again),
 *                          'gone' (options.onGone(): the server no longer knows us) or 'stop' (do nothing:
 *                          the page has its own way out, e.g. the login form after a 401)
 * Returns {open(), close()}: open() (re)connects now; close() stops for good until the next open(). */
export function reconnectingSocket(options) {
  let ws = null;
  let wanted = false;
  let timer = null;
  let backoffMs = BACKOFF_START_MS;
  let lost = false;
  let epoch = 0;   // bumped by close(): a check answered after it is stale

  function open() {
    wanted = true;
    clearTimeout(timer);
    closeCurrent();
    let sock;
    try {
      sock = new WebSocket(options.url(), options.protocols ? options.protocols() : []);
    } catch (e) {
      dropped();
      return;
    }
    ws = sock;
    sock.onopen = () => {
      if (ws !== sock) return;
      backoffMs = BACKOFF_START_MS;
      const again = lost;
      lost = false;
      options.onOpen(again);
    };
    sock.onmessage = (ev) => {
      if (ws === sock) options.onEvent(parseJson(ev.data));
    };
    sock.onerror = () => { /* a close event follows */ };
    sock.onclose = () => {
      if (ws !== sock) return;
      ws = null;
      if (wanted) dropped();
    };
  }

  function dropped() {
    lost = true;
    options.onLost();
    clearTimeout(timer);
    const delay = backoffMs;
    backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS);
    timer = setTimeout(retry, delay);
  }

  function retry() {
    if (!wanted) return;
    const mine = epoch;
    Promise.resolve(options.check()).then((verdict) => {
      if (mine !== epoch || !wanted) return;
      if (verdict === 'open') open();
      else if (verdict === 'retry') dropped();
      else if (verdict === 'gone' && options.onGone) options.onGone();
    });
  }

  function retryNow() {
    if (!wanted || ws) return;
    backoffMs = BACKOFF_START_MS;
    clearTimeout(timer);
    retry();
  }

  function closeCurrent() {
    if (!ws) return;
    const old = ws;
    ws = null;
    try { old.close(); } catch (e) { /* ignore */ }
  }

  function close() {
    wanted = false;
    epoch += 1;
    clearTimeout(timer);
    closeCurrent();
    backoffMs = BACKOFF_START_MS;
    lost = false;
  }

  window.addEventListener('online', retryNow);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') retryNow();
  });
  return { open, close };
}
