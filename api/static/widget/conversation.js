/* The customer's conversation: created once and kept in localStorage so a reload resumes it, its state
 * (bot, queued, agent, closed) and queue figures, sending, the 留言 form, ending it, the customer socket and
 * the connection banner (offline / reconnecting). Contract: docs/bridge_api.md (customer API + customer
 * WebSocket).
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
let socketUp = false;   // the customer socket is open (the banner goes once it is)

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
    socketUp = true;
    setConnBanner(false);
    syncMissed();
  },
  onLost: () => {
    socketUp = false;
    setConnBanner(navigator.onLine === false ? 'offline' : 'reconnecting');
  },
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
  if (navigator.onLine === false) setConnBanner('offline');
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
  socketUp = false;
  saved.forget();
  conv = newConvState();
  messages.reset();
  typing.reset();
  setConnBanner(false);
  renderBanners(conv);
  if (notice) toast.show(notice);
  return createConversation();
}

/* The device lost or regained its network: say so at once (the socket may take a while to notice). */
window.addEventListener('offline', () => setConnBanner('offline'));
window.addEventListener('online', () => { if (conv.id) setConnBanner(socketUp ? false : 'reconnecting'); });

/* Ends the chat (after the confirmation): the server takes the customer out of the queue or tells the agent;
 * then a fresh conversation starts. Offline, the server learns it from the socket's absence instead. After a
 * chat the bot alone served the server may ask its survey first (the answer stays open, state bot): it is shown
 * here, one tap per answer, and the chat closes when the survey is over (the closed banner offers a new one). */
export function endConversation() {
  if (!conv.id) return resetConversation();
  const mySession = session;
  return api('POST', convPath('/end')).catch(() => null /* reset anyway: the customer asked to leave */)
    .then((data) => {
      if (mySession !== session) return undefined;
      if (data && data.state === 'bot') {  // a survey first (the chat stays open for it)
        applyPayload(data);
        return undefined;
      }
      return resetConversation();
    });
}

/* The 留言 form: resolves to null once the server has it, else the text to show in the form. */
export function leaveMessage(form) {
  if (!conv.id) return Promise.resolve('正在连接客服，请稍候');
  const mySession = session;
  return api('POST', convPath('/leave-message'), form).then((data) => {
    if (mySession === session) applyPayload(data);
    return null;
  }, (err) => {
    if (isGone(err)) resetConversation(GONE_NOTICE);
    return err.detail;
  });
}

/* Applies a create/send/history answer: messages, state, queue figures. */
function applyPayload(data) {
  if (!data) return;
  const said = Array.isArray(data.messages) ? data.messages.filter((m) => m.from === 'customer') : [];
  // the customer moved on: what was shown before their latest message is over (as the server marked it)
  if (said.length) messages.expireBefore(Math.max(...said.map((m) => Number(m.id))));
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
  if (navigator.onLine === false) {
    setConnBanner('offline');
    toast.show('网络已断开，请恢复网络后再发送');
    return Promise.resolve(false);
  }
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
    else {
      if (err.status === 409 && body.payload) messages.expirePayload(body.payload);  // that step is over
      toast.show(err.detail);
    }
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
      messages.expireBefore(Infinity);  // the conversation changed hands: the server expired every button
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
