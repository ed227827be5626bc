/* NPS 调查与意见处理 — native ES modules, no build step. This module signs in and out and switches tabs; each
 * panel owns its load/render/reset:
 *   queue.js      the owner's queue and one item (assign, reply, close)
 *   campaigns.js  supervisors' themed surveys and their live results
 *   stats.js      the period's figures (volume by category, reply and close times, overdue, themes)
 *   page.js       session, API client, toast */

import { elements } from '../shared/dom.js';
import { loginView } from '../shared/session.js';
import { tabs } from '../shared/tabs.js';
import * as campaigns from './campaigns.js';
import { session } from './page.js';
import * as queue from './queue.js';
import * as stats from './stats.js';

const ROLE_NAMES = { supervisor: '班长', owner: '意见处理人' };
const el = elements(['app', 'denied-view', 'denied-logout', 'tab-queue', 'tab-campaigns', 'tab-stats', 'queue-view',
  'campaigns-view', 'stats-view', 'me-name', 'logout']);

const view = tabs({
  queue: [el.tabQueue, el.queueView, queue],
  campaigns: [el.tabCampaigns, el.campaignsView, campaigns],
  stats: [el.tabStats, el.statsView, stats]
});
const PANELS = [queue, campaigns, stats];

function enter(auth) {
  if (!ROLE_NAMES[auth.role]) {
    el.deniedView.hidden = false;
    el.app.hidden = true;
    return;
  }
  el.deniedView.hidden = true;
  el.app.hidden = false;
  el.meName.textContent = (auth.display_name || auth.username) + '（' + ROLE_NAMES[auth.role] + '）';
  el.tabCampaigns.hidden = auth.role !== 'supervisor';
  queue.setRole(auth.role);
  view.show('queue');
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
