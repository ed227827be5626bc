/* The agent socket: conversations assigned to and taken from this agent, their messages and typing notices,
 * the customer's presence and leaving, and the queue length. Before reconnecting it checks the login (GET /agent/me), so an expired session goes
 * back to the login form instead of looping; after a loss it reloads what may have been missed. */

import { byId } from '../shared/dom.js';
import { bearerProtocols, reconnectingSocket, wsUrl } from '../shared/socket.js';
import * as agentStatus from './agent_status.js';
import * as chat from './chat.js';
import * as conversations from './conversations.js';
import { customerLabel } from './labels.js';
import * as leaveMessages from './leave_messages.js';
import { API, api, session, toast } from './page.js';
import { showQueueLength } from './queue.js';

const connStatus = byId('conn-status');

const socket = reconnectingSocket({
  url: () => wsUrl(API + '/agent/ws'),
  protocols: () => bearerProtocols(session.auth().token),
  onEvent: handleEvent,
  onOpen(again) {
    setConn(true, '已连接');
    if (again) {
      conversations.load();
      leaveMessages.load();
    }
  },
  onLost: () => setConn(false, '连接断开，正在重连…'),
  check: () => api('GET', '/agent/me').then((agent) => {
    agentStatus.apply(agent);
    return 'open';
  }, (err) => (err.status === 401 ? 'stop' : 'retry'))
});

export function connect() {
  if (session.auth()) socket.open();
}

export function disconnect() {
  socket.close();
  connStatus.classList.remove('conn-ok', 'conn-bad');
  connStatus.textContent = '连接中…';
}

function setConn(ok, text) {
  connStatus.textContent = text;
  connStatus.classList.toggle('conn-ok', ok);
  connStatus.classList.toggle('conn-bad', !ok);
}

function handleEvent(ev) {
  if (!ev || typeof ev !== 'object') return;
  switch (ev.type) {
    case 'assigned': onAssigned(ev.conversation); break;
    case 'unassigned': onUnassigned(ev.conversation_id); break;
    case 'message': chat.receive(String(ev.conversation_id), ev.message); break;
    case 'typing': chat.customerIsTyping(String(ev.conversation_id)); break;
    case 'presence': chat.presenceChanged(String(ev.conversation_id), ev.online === true); break;
    case 'customer_left': onCustomerLeft(String(ev.conversation_id)); break;
    case 'queue':
      if (typeof ev.length === 'number') showQueueLength(ev.length);
      break;
    default: break;
  }
}

function onAssigned(c) {
  if (!c || c.id === undefined || c.id === null) return;
  const id = String(c.id);
  const isNew = !conversations.has(id);
  if (isNew && id !== conversations.selected()) conversations.addUnread(id, 1);
  conversations.upsert(c);
  if (isNew) toast.show('新会话接入：' + customerLabel(c) + '（' + (c.skill_group || '未分组') + '）', 'ok');
  if (id === conversations.selected()) chat.refreshSelected();
  agentStatus.load();
}

function onCustomerLeft(id) {
  if (!conversations.has(id)) return;
  chat.customerLeft(id);
  toast.show(customerLabel(conversations.get(id)) + ' 已结束会话，请填写服务小结');
}

function onUnassigned(conversationId) {
  const id = String(conversationId);
  if (!conversations.has(id)) return;
  const c = conversations.get(id);
  conversations.remove(id);
  toast.show(customerLabel(c) + ' 的会话已转出或客户已离开');
  agentStatus.load();
}
