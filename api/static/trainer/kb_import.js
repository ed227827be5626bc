/* Bulk import into the KB (CSV / TSV / XLSX): a dry run checks the file and lists its problems, and what it
 * would do to an existing area (entries removed, changed, added), without writing; an import writes all of it
 * or nothing, and replacing entries of an existing area needs the trainer's confirmation. */

import { clear, elements, h } from '../shared/dom.js';
import { problemList, setBusy } from './forms.js';
import * as kb from './kb.js';
import { api, enc, held, T, toast } from './page.js';

/* The server accepts area names matching this. */
const AREA = /^[a-z][a-z0-9_]{1,40}$/;

const el = elements(['kb-file', 'kb-import-area', 'kb-dry-run', 'kb-import', 'kb-import-result']);

export function init() {
  el.kbDryRun.addEventListener('click', () => run(true));
  el.kbImport.addEventListener('click', () => run(false));
  el.kbFile.addEventListener('change', () => {
    clear(el.kbImportResult);
    const f = el.kbFile.files && el.kbFile.files[0];
    if (f && !el.kbImportArea.value.trim()) {
      const guess = f.name.replace(/\.[^.]+$/, '').toLowerCase().replace(/[^a-z0-9_]+/g, '_')
        .replace(/^[^a-z]+|_+$/g, '').slice(0, 41);
      if (AREA.test(guess)) el.kbImportArea.value = guess;
    }
  });
}

export function reset() { clear(el.kbImportResult); }

function run(dryRun, confirmed) {
  const file = el.kbFile.files && el.kbFile.files[0];
  clear(el.kbImportResult);
  el.kbImportResult.className = 'import-result';
  if (!file) { toast.show('请选择要导入的文件'); return; }
  const area = el.kbImportArea.value.trim();
  if (area && !AREA.test(area)) {
    toast.show('来源名称须以小写字母开头，只含小写字母、数字和下划线（2–41 个字符）');
    el.kbImportArea.focus();
    return;
  }
  const form = new FormData();
  form.append('file', file, file.name);
  const path = T + '/kb/import?dry_run=' + (dryRun ? 'true' : 'false') + (area ? '&area=' + enc(area) : '') +
    (confirmed ? '&confirm=true' : '');
  setBusy(el.kbDryRun, true, dryRun ? '校验中…' : null);
  setBusy(el.kbImport, true, dryRun ? null : '导入中…');
  api('POST', path, form).then((res) => {
    if (held(res)) return;
    renderResult(res || {}, dryRun);
    if (res && res.written) {
      toast.show('导入完成，索引重建中', 'ok');
      kb.changed();
    }
  }, (err) => {
    if (err.status === 401) return;
    if (err.status === 409 && !dryRun && window.confirm(err.detail + '\n\n确定要替换吗？')) {
      run(false, true);
      return;
    }
    renderResult({ ok: false, entries: null, problems: [err.detail].concat(err.problems || []), written: false }, dryRun);
    toast.error(err);
  }).then(() => {
    setBusy(el.kbDryRun, false);
    setBusy(el.kbImport, false);
  });
}

function renderResult(res, dryRun) {
  clear(el.kbImportResult);
  const ok = !!res.ok;
  const n = res.entries != null ? res.entries : 0;
  el.kbImportResult.className = 'import-result ' + (ok ? 'ok' : 'bad');
  let head;
  if (ok && dryRun) head = '校验通过：共 ' + n + ' 条，可以导入（未写入）';
  else if (ok && res.written) head = '导入成功：已写入 ' + n + ' 条';
  else if (ok) head = '校验通过：共 ' + n + ' 条（未写入）';
  else head = (dryRun ? '校验未通过' : '导入失败，未写入任何内容') +
    (res.entries != null ? '（共解析 ' + res.entries + ' 条）' : '');
  el.kbImportResult.appendChild(h('div', 'result-head', head));
  const diff = [['removed', '将删除'], ['changed', '将修改'], ['added', '将新增']]
    .filter(([key]) => Array.isArray(res[key]) && res[key].length);
  if (diff.length) {
    el.kbImportResult.appendChild(h('div', 'muted small', (res.needs_confirmation && dryRun
      ? '该来源已存在，导入将整体替换它（导入时需确认）：' : '对已有来源的改动：')));
    diff.forEach(([key, label]) => el.kbImportResult.appendChild(
      h('div', 'small', label + ' ' + res[key].length + ' 条：' + res[key].slice(0, 30).join('、') +
        (res[key].length > 30 ? ' …' : ''))));
  }
  const problems = Array.isArray(res.problems) ? res.problems : [];
  if (problems.length) {
    el.kbImportResult.appendChild(h('div', 'muted small', '问题（' + problems.length + '）：'));
    el.kbImportResult.appendChild(problemList(problems));
  }
}
