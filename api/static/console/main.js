/* 坐席工作台 — agent / supervisor console: native ES modules, no build step, no dependencies.
 * This module signs in and out, switches tabs and resets the page; each panel owns its load/render/reset:
 *   agent_status.js   my status bar          conversations.js  my conversations (left)
 *   chat.js           the selected one       transcript.js, reply.js  its messages and the reply box
 *   handoff_context.js, kb_suggestions.js, canned.js  the right column
 *   leave_messages.js the 留言 tab           supervisor.js     the 监控 tab      audit.js  the 审计 tab
 *   wrapup.js         the 服务小结 dialog     viewer.js         a conversation read-only (留言, listen-in)
 *   desk_socket.js    the agent socket       page.js           session, API client, toast
 *   surge.js          the surge level banner (and the supervisor's level control) */

import { elements } from '../shared/dom.js';
import { loginView, ROLE_LABELS } from '../shared/session.js';
import { tabs } from '../shared/tabs.js';
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
import * as surge from './surge.js';
import * as viewer from './viewer.js';

const el = elements(['trainer-view', 'trainer-logout', 'workbench', 'tab-chats', 'tab-leave', 'tab-supervisor',
  'tab-audit', 'trainer-note', 'other-pages', 'chats-view', 'leave-view', 'supervisor', 'audit-view', 'me-name', 'logout']);

const panels = tabs({
  chats: [el.tabChats, el.chatsView],
  leave: [el.tabLeave, el.leaveView, { start: leaveMessages.load, stop() {} }],
  supervisor: [el.tabSupervisor, el.supervisor, supervisor],
  audit: [el.tabAudit, el.auditView, { start: audit.load, stop() {} }]
});

/* Staff of other roles are pointed to their own page (the console's calls would all be refused). */
const HOME = { trainer: '/trainer', reviewer: '/quality', owner: '/feedback' };

function showElsewhere(role) {
  const page = HOME[role] || '/';
  const link = document.createElement('a');
  link.href = page;
  link.textContent = page;
  el.trainerNote.replaceChildren('您以' + (ROLE_LABELS[role] || role) + '身份登录。您的工作台位于 ', link,
    '，坐席工作台仅供坐席与班长使用。');
}

function enterApp(auth) {
  if (auth.role !== 'agent' && auth.role !== 'supervisor') {
    showElsewhere(auth.role);
    el.trainerView.hidden = false;
    el.workbench.hidden = true;
    return;
  }
  el.trainerView.hidden = true;
  el.workbench.hidden = false;
  el.meName.textContent = (auth.display_name || auth.username) + '（' + (ROLE_LABELS[auth.role] || auth.role) + '）';
  el.tabSupervisor.hidden = auth.role !== 'supervisor';
  el.tabAudit.hidden = auth.role !== 'supervisor';
  el.otherPages.hidden = auth.role !== 'supervisor';  // 报表, 质检 and 意见处理 are the supervisor's too
  panels.show('chats');
  agentStatus.load();
  conversations.load();
  canned.load('');
  leaveMessages.load();
  deskSocket.connect();
  surge.start(auth.role);
}

function leaveApp() {
  deskSocket.disconnect();
  supervisor.stop();
  surge.stop();
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
agentStatus.init();
chat.init();
canned.init();
leaveMessages.init();
audit.init();
viewer.init({ onTakenOver: (summary) => { conversations.upsert(summary); agentStatus.load(); } });
session.start(loginView(), { onEnter: enterApp, onLeave: leaveApp });
