/* 坐席工作台 — agent / supervisor console: native ES modules, no build step, no dependencies.
 * This module signs in and out, switches tabs and resets the page; each panel owns its load/render/reset:
 *   agent_status.js   my status bar          conversations.js  my conversations (left)
 *   chat.js           the selected one       transcript.js, reply.js  its messages and the reply box
 *   handoff_context.js, kb_suggestions.js, canned.js  the right column
 *   leave_messages.js the 留言 tab           supervisor.js     the 监控 tab      audit.js  the 审计 tab
 *   wrapup.js         the 服务小结 dialog     viewer.js         a conversation read-only (留言, listen-in)
 *   desk_socket.js    the agent socket       page.js           session, API client, toast */

import { elements } from '../shared/dom.js';
import { loginView, ROLE_LABELS } from '../shared/session.js';
import * as agentStatus from './agent_status.js';
import * as audit from './audit.js';
import * as canned from './canned.js';
import * as chat from './chat.js';
import * as conversations from './conversations.js';
import * as deskSocket from './desk_socket.js';
import * as leaveMessages from './leave_messages.js';
import { session } from './page.js';
import { showQueueLength } from './queue.js';
import * as supervisor from './supervisor.js';
import * as viewer from './viewer.js';

const el = elements(['trainer-view', 'trainer-logout', 'workbench', 'tab-chats', 'tab-leave', 'tab-supervisor',
  'tab-audit', 'chats-view', 'leave-view', 'supervisor', 'audit-view', 'me-name', 'logout']);

const TABS = {
  chats: [el.tabChats, el.chatsView],
  leave: [el.tabLeave, el.leaveView],
  supervisor: [el.tabSupervisor, el.supervisor],
  audit: [el.tabAudit, el.auditView]
};

function switchTab(name) {
  Object.keys(TABS).forEach((key) => {
    const on = key === name;
    TABS[key][0].setAttribute('aria-selected', on ? 'true' : 'false');
    TABS[key][0].classList.toggle('active', on);
    TABS[key][1].hidden = !on;
  });
  if (name === 'leave') leaveMessages.load();
  if (name === 'audit') audit.load();
  if (name === 'supervisor') supervisor.start();
  else supervisor.stop();
}

function enterApp(auth) {
  if (auth.role === 'trainer') {
    el.trainerView.hidden = false;
    el.workbench.hidden = true;
    return;
  }
  el.trainerView.hidden = true;
  el.workbench.hidden = false;
  el.meName.textContent = (auth.display_name || auth.username) + '（' + (ROLE_LABELS[auth.role] || auth.role) + '）';
  el.tabSupervisor.hidden = auth.role !== 'supervisor';
  el.tabAudit.hidden = auth.role !== 'supervisor';
  switchTab('chats');
  agentStatus.load();
  conversations.load();
  canned.load('');
  leaveMessages.load();
  deskSocket.connect();
}

function leaveApp() {
  deskSocket.disconnect();
  supervisor.stop();
  agentStatus.reset();
  conversations.reset();
  chat.clearSelection();
  canned.reset();
  leaveMessages.reset();
  audit.reset();
  viewer.close();
  showQueueLength(null);
  conversations.render();
  el.workbench.hidden = true;
  el.trainerView.hidden = true;
}

el.logout.addEventListener('click', session.logout);
el.trainerLogout.addEventListener('click', session.logout);
Object.keys(TABS).forEach((name) => TABS[name][0].addEventListener('click', () => switchTab(name)));
agentStatus.init();
chat.init();
canned.init();
leaveMessages.init();
audit.init();
viewer.init({ onTakenOver: (summary) => { conversations.upsert(summary); agentStatus.load(); } });
session.start(loginView(), { onEnter: enterApp, onLeave: leaveApp });
