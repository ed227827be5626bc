/* The surge banner (二级话务应急响应, GET /api/v1/surge): at level 1 and 2 agents and supervisors see the level,
 * the queue figures and the level's measures under the header; at level 2 that their capacity is raised (the
 * status bar is reloaded when the level changes, so the raised or restored capacity shows); at level 2 an agent
 * not online (on standby) is paged to come online. Supervisors also
 * see who is serving more chats than their capacity, and set the level by hand (POST /api/v1/surge/level). */

import { api, toast } from './page.js';
import * as agentStatus from './agent_status.js';

const POLL_MS = 15000;
const NAMES = { 1: '一级', 2: '二级' };
let banner = null;
let timer = null;
let lastLevel = null;
let supervisor = false;

function node(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text != null) n.textContent = text;
  return n;
}

function ensureBanner() {
  if (banner) return banner;
  banner = node('div', 'surge-banner');
  banner.id = 'surge-banner';
  banner.setAttribute('role', 'status');
  banner.style.cssText = 'padding:6px 16px;background:#fff4e5;color:#8a4b00;border-bottom:1px solid #f0c36d;'
    + 'display:flex;flex-wrap:wrap;gap:8px;align-items:center;font-size:13px';
  banner.hidden = true;
  const header = document.querySelector('#workbench > header');
  header.parentNode.insertBefore(banner, header.nextSibling);
  return banner;
}

function minutes(s) { return Math.max(1, Math.round(s / 60)); }

function levelControl(current) {
  const box = node('span', 'surge-control');
  const select = node('select');
  select.id = 'surge-level';
  [[0, '恢复正常'], [1, '一级响应'], [2, '二级响应']].forEach(([v, label]) => {
    const o = node('option', null, label);
    o.value = String(v);
    if (v === current) o.selected = true;
    select.appendChild(o);
  });
  const reason = node('input');
  reason.id = 'surge-reason';
  reason.placeholder = '调整原因';
  reason.maxLength = 200;
  const submit = node('button', 'btn btn-small', '调整级别');
  submit.type = 'button';
  submit.addEventListener('click', () => {
    const text = reason.value.trim();
    if (!text) { toast.show('请填写调整原因'); return; }
    api('POST', '/surge/level', { level: Number(select.value), reason: text }).then(render, toast.error);
  });
  box.append(select, reason, submit);
  return box;
}

export function render(s) {
  const b = ensureBanner();
  if (lastLevel !== null && s.level !== lastLevel) agentStatus.load();  // capacity raised or restored
  lastLevel = s.level;
  b.hidden = s.level === 0 && !supervisor;
  b.replaceChildren();
  if (s.level === 0) {
    if (supervisor) b.append(node('span', null, '话务正常'), levelControl(0));
    return;
  }
  b.dataset.level = String(s.level);
  const st = s.stats;
  b.append(node('strong', null, '话务应急响应：' + NAMES[s.level] + (s.manual ? '（班长设置）' : '')),
    node('span', null, '排队 ' + st.queued + ' 人，最长等待 ' + minutes(st.longest_wait_s) + ' 分钟，在线坐席 '
      + st.available_agents + ' 人'));
  if (s.level === 2 && s.capacity_raised) b.append(node('span', null, '接待上限已临时提高'));
  const status = document.getElementById('status');
  if (s.level === 2 && status && status.value !== 'online') {  // standby agents are paged: whoever is not online
    b.append(node('strong', 'surge-page', '话务繁忙，请备班坐席立即上线接待'));
  }
  b.append(node('span', 'surge-measures', '措施：' + s.measures.join('；')));
  if (supervisor && s.over_capacity.length) {
    b.append(node('span', 'surge-over', '超出接待上限：' + s.over_capacity.map((o) => o.username + ' '
      + o.load + '/' + o.capacity).join('，')));
  }
  if (supervisor) b.append(levelControl(s.level));
}

function poll() {
  return api('GET', '/surge').then(render, () => { /* shown again at the next poll */ });
}

export function start(role) {
  supervisor = role === 'supervisor';
  stop();
  poll();
  timer = setInterval(poll, POLL_MS);
}

export function stop() {
  if (timer) clearInterval(timer);
  timer = null;
  lastLevel = null;
  if (banner) banner.hidden = true;
}
