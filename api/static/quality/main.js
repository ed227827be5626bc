/* 质检 — native ES modules, no build step. This module signs in and out and switches tabs by role; each panel
 * owns its load/render/reset:
 *   queue.js   reviewers and supervisors: sampling and the review queue
 *   mine.js    agents (and supervisors): their submitted reviews and appeals
 *   report.js  scores by agent, most-failed items, wrong bot answers, coaching
 *   approvals.js  maker-checker: trainers' changes waiting for a second person
 *   review.js  one review: transcript, items, scores, comments, appeal, decision (list.js: the rows)
 *   page.js    session, API client, toast, labels */

import { elements } from '../shared/dom.js';
import { loginView } from '../shared/session.js';
import { tabs } from '../shared/tabs.js';
import * as approvals from './approvals.js';
import * as mine from './mine.js';
import { session } from './page.js';
import * as queue from './queue.js';
import * as report from './report.js';

const ROLE_NAMES = { reviewer: '质检员', supervisor: '班长', agent: '坐席' };
const REVIEWERS = ['reviewer', 'supervisor'];
const el = elements(['app', 'denied-view', 'denied-logout', 'tab-queue', 'tab-mine', 'tab-report', 'tab-approvals', 'queue-view',
  'mine-view', 'report-view', 'approvals-view', 'me-name', 'logout']);

const view = tabs({
  queue: [el.tabQueue, el.queueView, queue],
  mine: [el.tabMine, el.mineView, mine],
  report: [el.tabReport, el.reportView, report],
  approvals: [el.tabApprovals, el.approvalsView, approvals]
});
const PANELS = [queue, mine, report, approvals];

function enter(auth) {
  if (!ROLE_NAMES[auth.role]) {
    el.deniedView.hidden = false;
    el.app.hidden = true;
    return;
  }
  el.deniedView.hidden = true;
  el.app.hidden = false;
  el.meName.textContent = (auth.display_name || auth.username) + '（' + ROLE_NAMES[auth.role] + '）';
  const reviewer = REVIEWERS.includes(auth.role);
  el.tabQueue.hidden = !reviewer;
  el.tabReport.hidden = !reviewer;
  el.tabApprovals.hidden = !reviewer;
  el.tabMine.hidden = auth.role === 'reviewer';
  view.show(reviewer ? 'queue' : 'mine');
}

function leave() {
  view.stopAll();
  PANELS.forEach((panel) => panel.reset());
  el.app.hidden = true;
  el.deniedView.hidden = true;
}

el.logout.addEventListener('click', () => session.logout());
el.deniedLogout.addEventListener('click', () => session.logout());
session.start(loginView(), { onEnter: enter, onLeave: leave });
