/* The widget's two dialogs: the confirmation before ending the chat (a stray tap on 结束会话 must not drop the
 * customer out of the queue or away from their agent), and the 留言 form — the callback number in its own
 * field, checked here as the server checks it (mainland mobile or landline), a preferred time and the question.
 * Escape or a tap outside cancels; focus goes into the dialog and back where it was. */

import { elements } from '../shared/dom.js';

const el = elements(['end-dialog', 'end-cancel', 'end-confirm', 'leave-dialog', 'leave-form', 'leave-number',
  'leave-time', 'leave-text', 'leave-error', 'leave-cancel', 'leave-submit']);

const MOBILE = /^(?:\+?86|0086)?1[3-9]\d{9}$/;
const LANDLINE = /^0\d{2,3}[2-9]\d{6,7}$/;

let returnFocus = null;
let onEndConfirmed = () => {};
let onLeaveSubmit = () => Promise.resolve(true);

function show(backdrop, first) {
  returnFocus = document.activeElement;
  backdrop.hidden = false;
  first.focus();
}

function hide(backdrop) {
  backdrop.hidden = true;
  if (returnFocus && returnFocus.focus) returnFocus.focus();
  returnFocus = null;
}

/* The number as the server reads it: digits with spaces, dashes, brackets; an extension after 转 / # / ext
 * or a second dash. null when it is not a callback number, else the message for the customer. */
export function numberProblem(typed) {
  const text = String(typed || '').trim()
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/[－]/g, '-');
  if (!text) return '请填写回电号码';
  const noExtension = text.replace(/\s*(?:转|#|ext\.?|分机)\s*\d{1,6}\s*$/i, '');
  const groups = noExtension.split(/[\s\u3000()（）-]+/).filter(Boolean);
  if (!groups.length || !groups.every((g) => /^\+?\d+$/.test(g))) return '回电号码只能包含数字，请检查后重新填写';
  const digits = (groups.length === 3 && groups[0].startsWith('0') ? groups.slice(0, 2) : groups).join('');
  if (MOBILE.test(digits) || LANDLINE.test(digits)) return null;
  if (/^(400|800)/.test(digits)) return '请留下可以回电给您的手机号或固定电话，400/800 服务号码无法回拨';
  if (digits.startsWith('1')) return '手机号应为11位、以13-19开头，请检查后重新填写';
  return '请填写正确的回电号码：11位手机号，或带区号的固定电话（如 021-62345678）';
}

function showLeaveError(text) {
  el.leaveError.textContent = text || '';
  el.leaveError.hidden = !text;
}

/* hooks.onEndConfirmed(): the customer confirmed 结束会话.
 * hooks.onLeaveSubmit({callback_number, preferred_time, text}): resolves to null when sent, else the error text. */
export function init(hooks) {
  onEndConfirmed = hooks.onEndConfirmed;
  onLeaveSubmit = hooks.onLeaveSubmit;
  el.endCancel.addEventListener('click', () => hide(el.endDialog));
  el.endConfirm.addEventListener('click', () => {
    hide(el.endDialog);
    onEndConfirmed();
  });
  el.leaveCancel.addEventListener('click', () => hide(el.leaveDialog));
  el.leaveForm.addEventListener('submit', (e) => {
    e.preventDefault();
    submitLeave();
  });
  el.leaveNumber.addEventListener('input', () => {
    el.leaveNumber.removeAttribute('aria-invalid');
    showLeaveError('');
  });
  [el.endDialog, el.leaveDialog].forEach((backdrop) => {
    backdrop.addEventListener('click', (e) => { if (e.target === backdrop) hide(backdrop); });
    backdrop.addEventListener('keydown', (e) => { if (e.key === 'Escape') hide(backdrop); });
  });
}

export function confirmEnd() {
  show(el.endDialog, el.endCancel);
}

export function openLeaveForm() {
  showLeaveError('');
  el.leaveSubmit.disabled = false;
  show(el.leaveDialog, el.leaveNumber);
}

function submitLeave() {
  const number = el.leaveNumber.value.trim();
  const text = el.leaveText.value.trim();
  const problem = numberProblem(number);
  if (problem) {
    el.leaveNumber.setAttribute('aria-invalid', 'true');
    showLeaveError(problem);
    el.leaveNumber.focus();
    return;
  }
  if (!text) {
    showLeaveError('请填写留言内容');
    el.leaveText.focus();
    return;
  }
  el.leaveSubmit.disabled = true;
  onLeaveSubmit({ callback_number: number, preferred_time: el.leaveTime.value, text }).then((error) => {
    el.leaveSubmit.disabled = false;
    if (error) {
      showLeaveError(error);
      return;
    }
    el.leaveNumber.value = '';
    el.leaveText.value = '';
    hide(el.leaveDialog);
  });
}
