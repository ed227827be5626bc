/* A conversation shown read-only in a dialog: the conversation a 留言 was left in, or a live chat a supervisor
 * listens in on — refreshed every 2 s, with a whisper to its agent (never seen by the customer) and 接管 (the
 * supervisor serves it from then on). */

import { elements, formatTime } from '../shared/dom.js';
import { customerLabel, reasonLabel, shortId, STATE_LABELS } from './labels.js';
import { api, toast } from './page.js';
import { makeTranscript } from './transcript.js';

const LISTEN_POLL_MS = 2000;

const el = elements(['viewer-dialog', 'viewer-title', 'viewer-meta', 'viewer-transcript', 'viewer-close',
  'whisper-form', 'whisper-text', 'whisper-send', 'takeover']);
const transcript = makeTranscript(el.viewerTranscript);
let current = null;   // {path, convId, listening}
let timer = null;
let onTakenOver = () => {};

/* hooks.onTakenOver(summary): the supervisor took the chat over (their list gains it). */
export function init(hooks) {
  onTakenOver = hooks.onTakenOver;
  el.viewerClose.addEventListener('click', close);
  el.viewerDialog.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });
  el.whisperForm.addEventListener('submit', (e) => {
    e.preventDefault();
    whisper();
  });
  el.takeover.addEventListener('click', takeOver);
}

/* path: the API path of the conversation detail; listening: a supervisor on a live chat. */
export function open(title, path, listening) {
  stopPolling();
  current = { path, listening, convId: null };
  transcript.reset();
  el.viewerTitle.textContent = title;
  el.viewerMeta.textContent = '加载中…';
  el.whisperForm.hidden = !listening;
  el.viewerDialog.hidden = false;
  el.viewerClose.focus();
  refresh(current);
}

export function close() {
  stopPolling();
  current = null;
  el.viewerDialog.hidden = true;
}

function stopPolling() {
  clearTimeout(timer);
  timer = null;
}

function refresh(mine) {
  api('GET', mine.path).then((detail) => {
    if (mine !== current || !detail) return;
    mine.convId = detail.id;
    el.viewerMeta.textContent = [customerLabel(detail), '会话 #' + shortId(detail.id),
      STATE_LABELS[detail.state] || detail.state, '原因：' + reasonLabel(detail.handoff_reason),
      detail.agent ? '坐席：' + detail.agent : '', detail.assigned_at ? '接入：' + formatTime(detail.assigned_at) : '']
      .filter(Boolean).join('　');
    transcript.appendMessages(detail.messages);
    if (mine.listening) timer = setTimeout(() => refresh(mine), LISTEN_POLL_MS);
  }, (err) => {
    if (mine !== current) return;
    toast.error(err);
    el.viewerMeta.textContent = '无法加载该会话';
  });
}

function whisper() {
  const text = el.whisperText.value.trim();
  if (!text || !current || !current.convId) return;
  el.whisperSend.disabled = true;
  const mine = current;
  api('POST', '/supervisor/conversations/' + encodeURIComponent(mine.convId) + '/whisper', { text }).then((msg) => {
    el.whisperText.value = '';
    if (mine === current) transcript.appendMessage(msg);
  }, toast.error).then(() => { el.whisperSend.disabled = false; });
}

function takeOver() {
  if (!current || !current.convId) return;
  el.takeover.disabled = true;
  api('POST', '/supervisor/conversations/' + encodeURIComponent(current.convId) + '/takeover').then((summary) => {
    toast.show('已接管该会话，可在“会话”中继续服务', 'ok');
    close();
    onTakenOver(summary);
  }, toast.error).then(() => { el.takeover.disabled = false; });
}
