/* 我的质检 (agents and supervisors): the signed-in member's submitted reviews, each with its appeal. */

import { elements } from '../shared/dom.js';
import { renderList } from './list.js';
import { api, toast } from './page.js';
import { show } from './review.js';

const el = elements(['mine-list', 'mine-detail']);
let selected = null;

function load() {
  return api('GET', '/quality/mine').then((reviews) => renderList(el.mineList, reviews, selected, pick), toast.error);
}

function pick(id) {
  selected = id;
  load();
  show(el.mineDetail, id, load);
}

export function start() { load(); }
export function stop() { }
export function reset() {
  selected = null;
  el.mineList.textContent = '';
  el.mineDetail.textContent = '';
}
