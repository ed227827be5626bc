/* Training and deployment jobs (训练与发布): start training, follow the running job's log line by line until it
 * ends, and say how it ended (a refused model keeps the live one). The job id is kept for the browser tab,
 * so a reload resumes following it. Only one job runs at a time: start and deploy buttons wait for it. */

import { clear, elements, h } from '../shared/dom.js';
import { storedText } from '../shared/storage.js';
import { setBusy } from './forms.js';
import { formatFull, isNum } from './format.js';
import { renderMetrics } from './job_metrics.js';
import { api, enc, T, toast } from './page.js';
import { activeTab } from './tabs.js';

const POLL_MS = 1000;
const KIND_LABELS = { train: '训练', deploy: '部署' };
const STATUS_LABELS = { running: '运行中', succeeded: '成功', failed: '失败', refused: '已拒绝' };
const BUSY_TEXT = '已有训练或部署任务正在进行，请等待其完成后再试。\n';

const el = elements(['train-start', 'train-running', 'job-status', 'job-message', 'job-log', 'job-metrics',
  'model-list']);
const savedJob = storedText('sessionStorage', 'bankcs.trainer.job');
let job = null;      // the Job shown
let seq = 0;         // bumped to drop the answers of an earlier job's polling
let after = 0;       // log lines read so far
let timer = null;
let errors = 0;
let onFinished = () => {};

/* finished(): a job ended (the model list may have changed). */
export function init(finished) {
  onFinished = finished;
  el.trainStart.addEventListener('click', onTrainStart);
}

export function running() { return !!job && job.status === 'running'; }

/* A start or deploy was refused (409: a job runs already) or failed. */
export function refused(err) {
  if (err.status === 409) toast.show(BUSY_TEXT + (err.detail || ''));
  else toast.error(err);
}

/* Signing out forgets the job followed. */
export function forget() { savedJob.set(null); }

export function stop() {
  clearTimeout(timer);
  timer = null;
  seq += 1;
}

export function reset() {
  job = null;
  clear(el.jobLog);
  clear(el.jobMetrics);
  el.jobStatus.textContent = '暂无任务';
  el.jobMessage.hidden = true;
  el.trainRunning.hidden = true;
}

function onTrainStart() {
  setBusy(el.trainStart, true, '提交中…');
  api('POST', T + '/train').then((j) => {
    toast.show('训练任务已开始', 'ok');
    track(j);
  }, (err) => {
    setBusy(el.trainStart, false);
    refused(err);
  });
}

export function resume() {
  const id = savedJob.get();
  if (!id) { updateButtons(); return; }
  api('GET', T + '/jobs/' + enc(id)).then((j) => {
    if (j) track(j, true);
  }, (err) => {
    if (err.status === 404) savedJob.set(null);
    updateButtons();
  });
}

function updateButtons() {
  const busy = running();
  el.trainRunning.hidden = !busy;
  el.trainStart.disabled = busy;
  el.trainStart.textContent = busy ? '任务进行中…' : '开始训练';
  if (!busy) delete el.trainStart.dataset.label;
  el.modelList.querySelectorAll('.model-deploy').forEach((b) => { b.disabled = busy; });
}

/* Show a job and stream its log (from line 0) until it is no longer running. */
export function track(j, resumed) {
  stop();
  job = j;
  savedJob.set(j.id);
  after = 0;
  errors = 0;
  clear(el.jobLog);
  render();
  updateButtons();
  pollLog(seq, false);
  if (!resumed && activeTab() !== 'train') {
    toast.show((KIND_LABELS[j.kind] || '') + '任务已开始，可在“训练与发布”查看进度', 'ok');
  }
}

function appendLog(got) {
  if (!got || !got.length) return;
  const pre = el.jobLog;
  const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 24;
  pre.appendChild(document.createTextNode(got.map((l) => String(l).replace(/\n$/, '')).join('\n') + '\n'));
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

function pollLog(mine, draining) {
  if (!job || mine !== seq) return;
  api('GET', T + '/jobs/' + enc(job.id) + '/log?after=' + after).then((res) => {
    if (mine !== seq) return;
    errors = 0;
    const answer = res || {};
    const got = Array.isArray(answer.lines) ? answer.lines : [];
    appendLog(got);
    after = isNum(answer.next) ? answer.next : after + got.length;
    if (answer.status && answer.status !== 'running') {
      // one more read picks up lines written just before the status changed
      if (!draining && got.length) pollLog(mine, true);
      else finish(mine);
      return;
    }
    if (answer.status && job.status !== answer.status) { job.status = answer.status; render(); }
    timer = setTimeout(() => pollLog(mine, false), POLL_MS);
  }, (err) => {
    if (mine !== seq || err.status === 401) return;
    if (err.status === 404) {
      el.jobStatus.textContent = '任务不存在（可能服务已重启）';
      job = null;
      savedJob.set(null);
      updateButtons();
      return;
    }
    errors += 1;
    if (errors === 3) toast.error(err);
    timer = setTimeout(() => pollLog(mine, false), Math.min(10000, POLL_MS * errors * 2));
  });
}

function finish(mine) {
  api('GET', T + '/jobs/' + enc(job.id)).then((j) => {
    if (mine !== seq) return;
    if (j) job = j;
    render();
    updateButtons();
    onFinished();
    const kind = KIND_LABELS[job.kind] || '';
    if (job.status === 'succeeded') toast.show(kind + '任务已完成', 'ok');
    else if (job.status === 'refused') toast.show('新模型未达到基线，已拒绝上线');
    else if (job.status === 'failed') toast.show(kind + '任务失败' + (job.message ? '：' + job.message : ''));
  }, (err) => {
    if (mine !== seq || err.status === 401) return;
    timer = setTimeout(() => finish(mine), 2000);
  });
}

/* The status line and the outcome message (how a refused, failed or succeeded job ended). */
function outcome(kind) {
  if (job.status === 'refused') {
    return ['alert', '新模型未通过基线对比，已拒绝上线，当前线上模型保持不变。' + (job.message ? '\n原因：' + job.message : '')];
  }
  if (job.status === 'failed') return ['alert', kind + '失败。' + (job.message ? '\n' + job.message : '请查看日志。')];
  if (job.status === 'succeeded') return ['alert alert-ok', kind + '成功。' + (job.message ? '\n' + job.message : '')];
  return ['alert alert-warn', job.message || null];
}

function render() {
  clear(el.jobStatus);
  clear(el.jobMetrics);
  el.jobMessage.hidden = true;
  if (!job) { el.jobStatus.textContent = '暂无任务'; return; }
  const kind = KIND_LABELS[job.kind] || job.kind || '任务';
  el.jobStatus.appendChild(h('span', 'job-title', kind + '任务 #' + job.id));
  el.jobStatus.appendChild(h('span', 'status-' + job.status, STATUS_LABELS[job.status] || job.status));
  if (job.started_at) el.jobStatus.appendChild(h('span', 'muted', '开始 ' + formatFull(job.started_at)));
  if (job.finished_at) el.jobStatus.appendChild(h('span', 'muted', '结束 ' + formatFull(job.finished_at)));
  if (job.model) el.jobStatus.appendChild(h('span', 'muted', '模型 ' + job.model));
  const [cls, msg] = outcome(kind);
  if (msg) {
    el.jobMessage.textContent = msg;
    el.jobMessage.className = cls;
    el.jobMessage.hidden = false;
  }
  if (job.metrics || job.baseline) renderMetrics(job.metrics, job.baseline);
}
