/* The selected intent (centre pane of 意图): its example utterances (add, delete) and the bot's reply. */

import { clear, elements, h } from '../shared/dom.js';
import { intentName } from '../shared/intent_names.js';
import { button, formRejected, hideFormError, setBusy, showFormError } from './forms.js';
import { api, enc, held, T, toast } from './page.js';

export const MAX_EXAMPLE_CHARS = 200;

const el = elements(['intent-none', 'intent-pane', 'intent-title', 'intent-file', 'example-form', 'example-input',
  'example-add', 'example-error', 'example-list', 'example-count', 'response-input', 'response-save',
  'response-state']);
let selected = null; // the name of the intent opened (its detail may still be on its way)
let detail = null;   // {name, file, examples, response} on screen
let onShown = () => {};

/* shown(detail): an intent's detail is on screen (the list keeps its example count in step). */
export function init(shown) {
  onShown = shown;
  el.exampleForm.addEventListener('submit', onAdd);
  el.exampleInput.addEventListener('input', () => hideFormError(el.exampleError));
  el.exampleList.addEventListener('click', onListClick);
  el.responseSave.addEventListener('click', onResponseSave);
  el.responseInput.addEventListener('input', () => { el.responseState.textContent = '未保存的修改'; });
}

export function selectedName() { return selected; }

/* Intent `name` is being opened: clear what belongs to the previous one. */
export function opening(name) {
  selected = name;
  hideFormError(el.exampleError);
  el.exampleInput.value = '';
}

export function show(shownDetail) {
  if (!shownDetail) return;
  detail = shownDetail;
  selected = detail.name;
  el.intentNone.hidden = true;
  el.intentPane.hidden = false;
  const zh = intentName(detail.name);
  el.intentTitle.textContent = zh && zh !== detail.name ? zh + '（' + detail.name + '）' : detail.name;
  el.intentFile.textContent = detail.file ? '文件：' + detail.file : '';
  render();
  el.responseInput.value = detail.response == null ? '' : detail.response;
  el.responseState.textContent = detail.response == null ? '该意图暂无 utter_' + detail.name + ' 回复' : '';
  onShown(detail);
}

export function reset() {
  selected = null;
  detail = null;
  el.intentPane.hidden = true;
  el.intentNone.hidden = false;
}

function render() {
  clear(el.exampleList);
  const examples = detail && Array.isArray(detail.examples) ? detail.examples : [];
  el.exampleCount.textContent = '（' + examples.length + '）';
  if (!examples.length) {
    el.exampleList.appendChild(h('li', 'empty', '暂无例句'));
    return;
  }
  examples.forEach((text) => {
    const li = h('li', 'example-item');
    li.dataset.text = text;
    li.appendChild(h('span', 'example-text', text));
    const del = button('删除', 'btn btn-small btn-danger example-delete', '删除这条例句');
    del.setAttribute('aria-label', '删除例句：' + text);
    li.appendChild(del);
    el.exampleList.appendChild(li);
  });
}

/* Shows the answer to an edit of intent `name` unless another intent has been opened meanwhile. */
function showIfCurrent(name, answer) {
  if (selected === name) show(answer);
}

function onAdd(e) {
  e.preventDefault();
  if (!detail) return;
  const text = el.exampleInput.value.trim();
  if (!text) { showFormError(el.exampleError, '请输入例句'); return; }
  if (text.length > MAX_EXAMPLE_CHARS) {
    showFormError(el.exampleError, '例句不能超过 ' + MAX_EXAMPLE_CHARS + ' 个字符');
    return;
  }
  hideFormError(el.exampleError);
  const name = detail.name;
  setBusy(el.exampleAdd, true, '添加中…');
  api('POST', T + '/intents/' + enc(name) + '/examples', { text }).then((answer) => {
    showIfCurrent(name, answer);
    el.exampleInput.value = '';
    el.exampleInput.focus();
    toast.show('已添加例句', 'ok');
  }, formRejected(el.exampleError, [422])).then(() => setBusy(el.exampleAdd, false));
}

function onListClick(e) {
  const btn = e.target.closest('.example-delete');
  if (!btn || !detail) return;
  const text = btn.closest('.example-item').dataset.text;
  const name = detail.name;
  btn.disabled = true;
  api('DELETE', T + '/intents/' + enc(name) + '/examples', { text }).then((answer) => {
    showIfCurrent(name, answer);
    toast.show('已删除例句', 'ok');
  }, (err) => {
    btn.disabled = false;
    toast.error(err);
  });
}

function onResponseSave() {
  if (!detail) return;
  const text = el.responseInput.value.trim();
  if (!text) { toast.show('回复内容不能为空'); return; }
  const name = detail.name;
  setBusy(el.responseSave, true, '保存中…');
  api('PUT', T + '/intents/' + enc(name) + '/response', { text }).then((answer) => {
    if (held(answer)) {  // maker-checker: written once a second person approves it
      el.responseState.textContent = '已提交复核（编号 ' + answer.id + '），批准后写入';
      return;
    }
    showIfCurrent(name, answer);
    el.responseState.textContent = '已保存';
    toast.show('回复已保存', 'ok');
  }, toast.error).then(() => setBusy(el.responseSave, false));
}
