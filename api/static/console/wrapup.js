/* The 服务小结 dialog: ending a human service asks for confirmation and how it ended (已解决 / 未解决 / 需回电 /
 * 投诉) with an optional note, stored for the service-quality reports. Cancel, Escape or a click outside keeps
 * the chat open. */

import { elements } from '../shared/dom.js';

const el = elements(['wrapup-dialog', 'wrapup-form', 'wrapup-who', 'wrapup-note', 'wrapup-error', 'wrapup-cancel',
  'wrapup-submit']);
let submit = null;   // (body) => Promise that rejects with an ApiError

function choices() {
  return Array.from(el.wrapupForm.querySelectorAll('input[name="disposition"]'));
}

function showError(text) {
  el.wrapupError.textContent = text || '';
  el.wrapupError.hidden = !text;
}

function close() {
  el.wrapupDialog.hidden = true;
  submit = null;
}

export function init() {
  el.wrapupCancel.addEventListener('click', close);
  el.wrapupDialog.addEventListener('click', (e) => { if (e.target === el.wrapupDialog) close(); });
  el.wrapupDialog.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });
  el.wrapupForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const chosen = choices().find((c) => c.checked);
    if (!chosen) {
      showError('请选择服务小结（已解决 / 未解决 / 需回电 / 投诉）');
      return;
    }
    if (!submit) return;
    el.wrapupSubmit.disabled = true;
    submit({ disposition: chosen.value, note: el.wrapupNote.value.trim() }).then(close, (err) => {
      showError(err && err.detail ? err.detail : '提交失败，请稍后重试');
    }).then(() => { el.wrapupSubmit.disabled = false; });
  });
}

/* Asks for the wrap-up of the chat with `who`; onSubmit(body) ends it (a rejection is shown in the dialog). */
export function open(who, onSubmit) {
  submit = onSubmit;
  choices().forEach((c) => { c.checked = false; });
  el.wrapupNote.value = '';
  el.wrapupWho.textContent = who;
  showError('');
  el.wrapupSubmit.disabled = false;
  el.wrapupDialog.hidden = false;
  choices()[0].focus();
}
