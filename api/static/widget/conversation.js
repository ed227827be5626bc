/* The customer's conversation: created once and kept in localStorage so a reload resumes it, its state
 * (bot, queued, agent, closed) and queue figures, sending, and the customer socket. Contract:
 * docs/bridge_api.md (customer API + customer WebSocket).
 *
 * Every new conversation bumps `session`; an answer that arrives for an older one is dropped. */

import { apiClient } from '../shared/api.js';
import { throttle } from '../shared/dom.js';
import { bearerProtocols, reconnectingSocket, wsUrl } from '../shared/socket.js';
import { storedJson } from '../shared/storage.js';
import * as messages from './messages.js';
import { renderBanners, setConnBanner, toast } from './notices.js';
import * as typing from './typing.js';

export const MAX_LEN = 1000;
const API = '/api/v1';
const TYPING_THROTTLE_MS = 2000;
const GONE_NOTICE = '会话已失效，已为您开启新会话';

const saved = storedJson('localStorage', 'bankcs.widget.conversation');
let conv = newConvState();
let session = 0;

function newConvState() {
  return { id: null, token: null, state: 'bot', agentName: null, queuePos: null, queueWait: null };
}

/* opts.anonymous: no conversation token (creating the conversation). */
const api = apiClient({ base: API, token: () => conv.token });

function convPath(suffix) {
  return '/conversations/' + encodeURIComponent(conv.id) + suffix;
}

function isGone(err) {
  return err && (err.status === 401 || err.status === 404);
}

const socket = reconnectingSocket({
  url: () => wsUrl(API + convPath('/ws')),
  protocols: () => bearerProtocols(conv.token),
  onEvent: handleEvent,
  onOpen() {
    setConnBanner(false);
    syncMissed();
  },
  onLost: () => setConnBanner(true),
  // checks the conversation is still ours (and fills the gap) before reopening the socket
  check: () => syncMissed().then((result) => (result === 'gone' ? 'gone' : 'open')),
  onGone: () => resetConversation(GONE_NOTICE)
});

function connect() {
  if (conv.id) socket.open();
}

/* ---------- lifecycle ---------- */

function loadSaved() {
  const data = saved.load();
  if (data && data.id !== undefined && data.id !== null && data.token) return data;
  return null;
}

export function start() {
  renderBanners(conv);
  const resumed = loadSaved();
  if (!resumed) return createConversation();
  conv.id = resumed.id;
  conv.token = resumed.token;
  const mySession = session;
  return api('GET', convPath('/messages')).then((data) => {
    if (mySession !== session) return;
    applyPayload(data);
    connect();
  }, (err) => {
    if (mySession !== session) return;
    if (isGone(err)) return resetConversation();
    // Server unreachable: keep the conversation, the reconnect loop will fill it in.
    toast.show(err.detail);
    connect();
  });
}

function createConversation() {
  const mySession = session;
  messages.removeRetryNotice();
  return api('POST', '/conversations', { channel: 'web' }, { anonymous: true }).then((data) => {
    if (mySession !== session) return;
    conv.id = data.id;
    conv.token = data.token;
    saved.save({ id: conv.id, token: conv.token });
    applyPayload(data);
    connect();
  }, (err) => {
    if (mySession !== session) return;
    toast.show(err.detail);
    messages.showRetryNotice(() => { createConversation(); });
  });
}

export function resetConversation(notice) {
  session += 1;
  socket.close();
  saved.forget();
  conv = newConvState();
  messages.reset();
  typing.reset();
  setConnBanner(false);
  renderBanners(conv);
  if (notice) toast.show(notice);
  return createConversation();
}

/* Applies a create/send/history answer: messages, state, queue figures. */
function applyPayload(data) {
  if (!data) return;
  messages.addMessages(data.messages);
  if (typeof data.queue_position === 'number') conv.queuePos = data.queue_position;
  if (typeof data.estimated_wait_s === 'number') conv.queueWait = data.estimated_wait_s;
  setState(data.state, data.agent_name);
}

function setState(state, agentName) {
  if (state) conv.state = state;
  if (agentName) conv.agentName = agentName;
  if (conv.state === 'bot' || conv.state === 'closed') conv.agentName = null;
  if (conv.state !== 'queued') { conv.queuePos = null; conv.queueWait = null; }
  renderBanners(conv);
}

/* ---------- sending ---------- */

function postMessage(body, displayText) {
  if (!conv.id) {
    toast.show('正在连接客服，请稍候');
    return Promise.resolve(false);
  }
  const mySession = session;
  const pending = messages.addPending(displayText);
  typing.requestStarted();
  return api('POST', convPath('/messages'), body).then((data) => {
    pending.remove();
    if (mySession !== session) return false;
    applyPayload(data);
    return true;
  }, (err) => {
    pending.remove();
    if (mySession !== session) return false;
    if (isGone(err)) resetConversation(GONE_NOTICE);
    else toast.show(err.detail);
    return false;
  }).then((ok) => {
    if (mySession === session) typing.requestDone();
    return ok;
  });
}

/* Resolves to whether the server took the message. */
export function sendText(text) {
  const clean = (text || '').trim();
  if (!clean) return Promise.resolve(false);
  if (clean.length > MAX_LEN) {
    toast.show('消息不能超过 ' + MAX_LEN + ' 个字');
    return Promise.resolve(false);
  }
  return postMessage({ text: clean }, clean);
}

export function sendPayload(payload, title) {
  return postMessage({ payload }, title || payload);
}

const sendTyping = throttle(() => {
  api('POST', convPath('/typing')).catch(() => { /* best effort */ });
}, TYPING_THROTTLE_MS);

/* The agent sees that the customer is typing (only while an agent serves them). */
export function notifyTyping() {
  if (conv.state !== 'agent' || !conv.id) return;
  sendTyping();
}

/* ---------- socket ---------- */

function syncMissed() {
  if (!conv.id) return Promise.resolve('error');
  const mySession = session;
  const after = encodeURIComponent(messages.lastMessageId());
  return api('GET', convPath('/messages?after=' + after)).then((data) => {
    if (mySession === session) applyPayload(data);
    return 'ok';
  }, (err) => (isGone(err) ? 'gone' : 'error'));
}

function handleEvent(ev) {
  if (!ev || typeof ev !== 'object') return;
  switch (ev.type) {
    case 'message':
      messages.addMessage(ev.message, true);
      break;
    case 'typing':
      if (ev.from !== 'customer') typing.showRemote();
      break;
    case 'state':
      setState(ev.state, ev.agent_name);
      break;
    case 'queue':
      if (typeof ev.position === 'number') conv.queuePos = ev.position;
      if (typeof ev.estimated_wait_s === 'number') conv.queueWait = ev.estimated_wait_s;
      renderBanners(conv);
      break;
    default:
      break;
  }
}
