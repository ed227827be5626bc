/* Buttons and form feedback in the workbench: a button busy while its request runs, and an inline error box
 * showing the server's detail with its list of problems. */

import { clear, h } from '../shared/dom.js';
import { toast } from './page.js';

export function button(text, className, title) {
  const b = h('button', className || 'btn btn-small', text);
  b.type = 'button';
  if (title) b.title = title;
  return b;
}

/* Disables btn (showing busyText) until setBusy(btn, false) gives its label back. */
export function setBusy(btn, busy, busyText) {
  if (!btn) return;
  if (busy) {
    if (!btn.dataset.label) btn.dataset.label = btn.textContent;
    btn.disabled = true;
    if (busyText) btn.textContent = busyText;
  } else {
    btn.disabled = false;
    if (btn.dataset.label) btn.textContent = btn.dataset.label;
    delete btn.dataset.label;
  }
}

/* err: a text, or an error {detail, problems}. */
export function showFormError(box, err) {
  clear(box);
  if (!err) { box.hidden = true; return; }
  if (typeof err === 'string') {
    box.textContent = err;
  } else {
    box.appendChild(h('div', null, err.detail || '操作失败'));
    if (err.problems && err.problems.length) box.appendChild(problemList(err.problems));
  }
  box.hidden = false;
}

/* The rejection handler of a form's request: the error in the form's box and in the toast, except a 401
 * (the session is back on the login form) and the statuses in boxOnly (the box says it all). */
export function formRejected(box, boxOnly) {
  return (err) => {
    if (err.status === 401) return;
    showFormError(box, err);
    if (!boxOnly || boxOnly.indexOf(err.status) === -1) toast.error(err);
  };
}

export function hideFormError(box) {
  clear(box);
  box.hidden = true;
}

export function problemList(problems) {
  const ul = h('ul', 'problem-list');
  problems.forEach((p) => ul.appendChild(h('li', null, typeof p === 'string' ? p : JSON.stringify(p))));
  return ul;
}

/* A labelled control added to form; the control's first class is its id. */
export function field(form, labelText, control) {
  const id = control.className.split(' ')[0];
  control.id = id;
  const label = h('label', null, labelText);
  label.htmlFor = id;
  form.appendChild(label);
  form.appendChild(control);
  return control;
}

export function textInput(className, value, placeholder) {
  const i = document.createElement('input');
  i.type = 'text';
  i.className = className;
  i.autocomplete = 'off';
  if (value) i.value = value;
  if (placeholder) i.placeholder = placeholder;
  return i;
}
