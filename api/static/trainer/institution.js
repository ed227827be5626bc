/* 机构信息 (训练与发布): the institution facts bot responses and KB answers name as {org_name}, {hotline}, ... —
 * the slots' initial values in domain.yml. Saved as a whole; the server refuses placeholders (95xxx, 某某), braces
 * and a hotline nobody could call, listing every problem. With maker-checker on the save is held for a second
 * person (202). The bot says the new facts with the next trained and deployed model. */

import { byId, elements } from '../shared/dom.js';
import { formRejected, hideFormError, setBusy } from './forms.js';
import { api, held, T, toast } from './page.js';

export const FIELDS = ['org_name', 'hotline', 'app_name', 'branch_hours', 'service_hours'];
const el = elements(['inst-form', 'inst-save', 'inst-error', 'inst-state']);

function input(name) { return byId('inst-' + name); }

function show(facts) {
  FIELDS.forEach((name) => { input(name).value = facts[name] || ''; });
  el.instState.textContent = facts.problems && facts.problems.length
    ? '仍有占位内容：' + facts.problems.join('；') + '（正式上线前必须改为真实信息）' : '';
}

export function init() {
  el.instForm.addEventListener('submit', onSave);
  el.instForm.addEventListener('input', () => hideFormError(el.instError));
}

export function load() {
  return api('GET', T + '/institution').then(show, toast.error);
}

export function reset() {
  FIELDS.forEach((name) => { input(name).value = ''; });
  el.instState.textContent = '';
  hideFormError(el.instError);
}

function onSave(event) {
  event.preventDefault();
  const body = {};
  FIELDS.forEach((name) => { body[name] = input(name).value.trim(); });
  setBusy(el.instSave, true, '保存中…');
  api('PUT', T + '/institution', body).then((answer) => {
    if (held(answer)) {
      el.instState.textContent = '已提交复核（编号 ' + answer.id + '），批准后写入';
      return;
    }
    show(answer);
    toast.show('机构信息已保存，重新训练并发布模型后机器人生效', 'ok');
  }, formRejected(el.instError, [422])).then(() => setBusy(el.instSave, false));
}
