/* The agent's own status bar: online/away/offline, capacity, current load, the name customers see (a
 * nickname, else 工号) and skill groups. A change the server refuses (e.g. a capacity below the chats served
 * now) is explained in the toast and the controls go back to the server's values. */

import { elements } from '../shared/dom.js';
import { api, toast } from './page.js';

const el = elements(['status', 'capacity', 'load', 'skills', 'public-name']);
let me = null;   // Agent

export function init() {
  el.status.addEventListener('change', () => patchMe({ status: el.status.value }));
  el.capacity.addEventListener('change', onCapacityChange);
  el.publicName.addEventListener('change', () => {
    const name = el.publicName.value.trim();
    if (name) patchMe({ public_name: name });
    else apply(me);
  });
  el.skills.addEventListener('change', () => {
    const skills = skillBoxes().filter((b) => b.checked).map((b) => b.value);
    patchMe({ skills });
  });
}

export function load() {
  return api('GET', '/agent/me').then(apply, toast.error);
}

export function apply(agent) {
  if (!agent) return;
  me = agent;
  el.status.value = agent.status || 'offline';
  el.capacity.value = agent.capacity != null ? agent.capacity : '';
  el.publicName.value = agent.public_name || '';
  el.load.textContent = (agent.load != null ? agent.load : 0) + ' / ' + (agent.capacity != null ? agent.capacity : '–');
  const skills = Array.isArray(agent.skills) ? agent.skills : [];
  skillBoxes().forEach((box) => { box.checked = skills.indexOf(box.value) !== -1; });
}

export function username() { return me && me.username; }

export function reset() {
  me = null;
  el.load.textContent = '–';
}

function skillBoxes() {
  return Array.from(el.skills.querySelectorAll('input[name="skill"]'));
}

function patchMe(body) {
  return api('PATCH', '/agent/me', body).then((agent) => {
    apply(agent);
    toast.show('已更新', 'ok');
  }, (err) => {
    toast.error(err);
    apply(me);   // put the controls back to the server's values
  });
}

function onCapacityChange() {
  const n = Number(el.capacity.value);
  if (!Number.isInteger(n) || n < 1 || n > 20) {
    toast.show('接待上限须为 1–20 的整数');
    apply(me);
    return;
  }
  patchMe({ capacity: n });
}
