/* 训练师工作台 — trainer workbench: native ES modules, no build step, no dependencies.
 * This module signs in and out and opens tabs; each tab owns its load/render/reset:
 *   意图       intents.js (list, new intent), examples.js (the selected one), synonyms.js, lookups.js
 *   知识库     kb.js (search, editor), kb_status.js (index status), kb_import.js (bulk import)
 *   未解决问题 unanswered.js, unanswered_forms.js
 *   测试       test_console.js
 *   训练与发布 jobs.js, job_metrics.js, models.js, institution.js (机构信息)
 *   审计       audit.js
 * page.js holds the session, API client and toast; tabs.js which tab is open. */

import { elements } from '../shared/dom.js';
import { loginView, ROLE_LABELS } from '../shared/session.js';
import * as audit from './audit.js';
import * as institution from './institution.js';
import * as intents from './intents.js';
import * as jobs from './jobs.js';
import * as kb from './kb.js';
import * as kbImport from './kb_import.js';
import * as kbStatus from './kb_status.js';
import * as lookups from './lookups.js';
import * as models from './models.js';
import { session } from './page.js';
import * as synonyms from './synonyms.js';
import * as tabs from './tabs.js';
import * as testConsole from './test_console.js';
import * as unanswered from './unanswered.js';

const el = elements(['denied-view', 'denied-note', 'denied-logout', 'workbench', 'me-name', 'logout']);

function onTab(name) {
  if (name === 'intents') {
    intents.load();
    synonyms.load();
    lookups.load();
  }
  if (name === 'kb') {
    kb.search();
    kbStatus.poll(0);
  } else {
    kbStatus.stop();
  }
  if (name === 'unanswered') {
    unanswered.load();
    if (!intents.loaded()) intents.load();
  }
  if (name === 'test') testConsole.focus();
  if (name === 'train') {
    models.load();
    institution.load();
  }
  if (name === 'audit') audit.load();
}

function enterApp(auth) {
  if (auth.role !== 'trainer') {
    el.deniedNote.textContent = '当前账号（' + (auth.display_name || auth.username || '') + '，' +
      (ROLE_LABELS[auth.role] || auth.role || '未知角色') + '）无权使用训练师工作台，该页面仅供训练师使用。';
    el.deniedView.hidden = false;
    el.workbench.hidden = true;
    return;
  }
  el.deniedView.hidden = true;
  el.workbench.hidden = false;
  el.meName.textContent = (auth.display_name || auth.username) + '（训练师）';
  intents.load();
  synonyms.load();
  lookups.load();
  unanswered.load();
  tabs.show(tabs.savedTab());
  jobs.resume();
}

function leaveApp() {
  jobs.stop();
  kbStatus.stop();
  [intents, synonyms, lookups, kb, kbImport, unanswered, testConsole, jobs, models, institution, audit]
    .forEach((m) => m.reset());
  el.workbench.hidden = true;
  el.deniedView.hidden = true;
}

function logout() {
  jobs.forget();
  session.logout();
}

el.logout.addEventListener('click', logout);
el.deniedLogout.addEventListener('click', logout);
tabs.init(onTab);
[intents, synonyms, lookups, kb, kbImport, unanswered, testConsole, institution, audit].forEach((m) => m.init());
jobs.init(models.load);
models.init();
session.start(loginView(), { onEnter: enterApp, onLeave: leaveApp });
