/* The workbench's tabs: which one is open (kept for the browser tab, so a reload returns to it). */

import { byId } from '../shared/dom.js';
import { storedText } from '../shared/storage.js';

const NAMES = ['intents', 'kb', 'unanswered', 'test', 'train', 'audit'];

const saved = storedText('sessionStorage', 'bankcs.trainer.tab');
let active = 'intents';
let onShow = () => {};

/* shown(name): a tab was opened (load what it shows). */
export function init(shown) {
  onShow = shown;
  NAMES.forEach((name) => byId('tab-' + name).addEventListener('click', () => show(name)));
}

export function activeTab() { return active; }

/* The tab open before a reload, else 意图. */
export function savedTab() {
  const name = saved.get();
  return NAMES.indexOf(name) !== -1 ? name : 'intents';
}

export function show(name) {
  active = name;
  saved.set(name);
  NAMES.forEach((key) => {
    const on = key === name;
    const tab = byId('tab-' + key);
    tab.setAttribute('aria-selected', on ? 'true' : 'false');
    tab.classList.toggle('active', on);
    byId(key + '-view').hidden = !on;
  });
  onShow(name);
}
