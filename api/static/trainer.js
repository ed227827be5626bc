/* 训练师工作台 — trainer workbench. Plain JS, no dependencies.
 * Contract: docs/trainer_api.md (intents, synonyms, knowledge base, unanswered questions, test console,
 * train / deploy jobs, audit). Login as in docs/bridge_api.md. All data is rendered with textContent only. */
(function () {
  'use strict';

  var API = '/api/v1';
  var T = '/trainer';
  var AUTH_KEY = 'bankcs.trainer.auth';
  var TAB_KEY = 'bankcs.trainer.tab';
  var JOB_KEY = 'bankcs.trainer.job';
  var TOAST_MS = 5000;
  var KB_STATUS_POLL_MS = 3000;
  var JOB_POLL_MS = 1000;
  var SEARCH_DEBOUNCE_MS = 300;
  var MAX_EXAMPLE_CHARS = 200;

  var ROLE_LABELS = { agent: '坐席', supervisor: '班长', trainer: '训练师' };
  var KIND_LABELS = {
    fallback: '兜底回复',
    nlu_fallback: '兜底回复',
    low_confidence: '低置信度',
    suggest: '低置信推荐',
    suggestion: '低置信推荐',
    negative_feedback: '没帮助',
    not_helpful: '没帮助',
    unhelpful: '没帮助',
    feedback: '没帮助'
  };
  var JOB_KIND_LABELS = { train: '训练', deploy: '部署' };
  var JOB_STATUS_LABELS = { running: '运行中', succeeded: '成功', failed: '失败', refused: '已拒绝' };
  var DECISION_LABELS = { answer: '直接回答', suggest: '推荐候选问题', fallback: '兜底（无法回答）' };
  var TAB_NAMES = ['intents', 'kb', 'unanswered', 'test', 'train', 'audit'];

  var el = {};
  var activeTab = 'intents';
  var toastTimer = null;

  var intents = [];              // [{name, examples, file}]
  var selectedIntent = null;     // name
  var intentDetail = null;       // {name, file, examples, response}
  var intentSeq = 0;
  var synonyms = [];             // [{value, synonyms}]

  var kbEntries = [];
  var kbSeq = 0;
  var kbEditing = null;          // Entry being edited, or null for a new one
  var kbStatusTimer = null;
  var kbStatusExtra = 0;         // extra polls after a change (building may start a moment later)

  var unanswered = [];
  var uaOpen = null;             // {group, action}

  var testSeq = 0;

  var job = null;                // current Job
  var jobSeq = 0;
  var jobAfter = 0;
  var jobTimer = null;
  var jobErrors = 0;
  var models = [];

  var audit = [];

  /* ---------- helpers ---------- */

  var h = BankCS.h;
  var clear = BankCS.clear;
  var pad2 = BankCS.pad2;
  var debounce = BankCS.debounce;

  function button(text, className, title) {
    var b = h('button', className || 'btn btn-small', text);
    b.type = 'button';
    if (title) b.title = title;
    return b;
  }

  function parseDate(iso) {
    if (!iso) return null;
    var d = new Date(iso);
    return isNaN(d.getTime()) ? null : d;
  }

  function formatTime(iso) {
    var d = parseDate(iso);
    if (!d) return iso ? String(iso) : '';
    var now = new Date();
    var hm = pad2(d.getHours()) + ':' + pad2(d.getMinutes());
    if (d.toDateString() === now.toDateString()) return '今天 ' + hm;
    if (d.getFullYear() === now.getFullYear()) return (d.getMonth() + 1) + '月' + d.getDate() + '日 ' + hm;
    return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + ' ' + hm;
  }

  function formatFull(iso) {
    var d = parseDate(iso);
    if (!d) return iso ? String(iso) : '';
    return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + ' ' +
      pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
  }

  function dateOnly(value) {
    if (!value) return '';
    var s = String(value);
    return /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : '';
  }

  function isNum(x) { return typeof x === 'number' && isFinite(x); }

  /* Metrics and confidences are 0..1; show as a percentage. */
  function pct(x, digits) {
    if (!isNum(x)) return '—';
    return (x * 100).toFixed(digits === undefined ? 1 : digits) + '%';
  }

  function fixed(x, digits) { return isNum(x) ? x.toFixed(digits) : '—'; }

  function lines(text) {
    return String(text || '').split(/\r?\n/).map(function (s) { return s.trim(); })
      .filter(function (s) { return s.length > 0; });
  }

  function emptyRow(tbody, cols, text) {
    var tr = h('tr', 'empty-row');
    var td = h('td', null, text);
    td.colSpan = cols;
    tr.appendChild(td);
    tbody.appendChild(tr);
  }

  function cell(tr, text, className) {
    var td = h('td', className || null, text);
    tr.appendChild(td);
    return td;
  }

  function bar(fraction, strong) {
    var wrap = h('div', 'bar');
    var fill = h('div', 'bar-fill' + (strong ? ' strong' : ''));
    var f = isNum(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
    fill.style.width = (f * 100).toFixed(1) + '%';
    wrap.appendChild(fill);
    return wrap;
  }

  function setBusy(btn, busy, busyText) {
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

  /* ---------- toast & errors ---------- */

  function showToast(text, kind) {
    el.toast.textContent = text || '操作失败，请稍后重试';
    el.toast.className = 'toast' + (kind === 'ok' ? ' toast-ok' : '');
    el.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.toast.hidden = true; }, kind === 'ok' ? 2500 : TOAST_MS);
  }

  function errorText(err) {
    if (!err) return '操作失败，请稍后重试';
    var text = err.detail || String(err.message || err);
    if (err.problems && err.problems.length) {
      text += '\n' + err.problems.map(function (p) { return '• ' + p; }).join('\n');
    }
    return text;
  }

  function toastError(err) {
    if (err && err.status === 401) return;   // handled by the logout flow
    showToast(errorText(err));
  }

  /* Show an error (detail + problems list) in an inline box. */
  function showFormError(box, err) {
    clear(box);
    if (!err) { box.hidden = true; return; }
    if (typeof err === 'string') {
      box.textContent = err;
    } else {
      box.appendChild(h('div', null, err.detail || '操作失败'));
      if (err.problems && err.problems.length) {
        var ul = h('ul', 'problem-list');
        err.problems.forEach(function (p) { ul.appendChild(h('li', null, p)); });
        box.appendChild(ul);
      }
    }
    box.hidden = false;
  }

  function hideFormError(box) { clear(box); box.hidden = true; }

  /* ---------- HTTP ---------- */

  /* The signed-in trainer (session.auth()), their API client (body may be a FormData), sign-in, sign-out and
   * expiry. */
  var session = BankCS.staffSession({
    key: AUTH_KEY,
    base: API,
    statusText: {
      403: '无权执行该操作（仅限训练师）',
      404: '对象不存在或已被删除',
      409: '操作冲突，请稍后重试',
      413: '文件过大'
    },
    onEnter: enterApp,
    onLeave: leaveApp
  });
  var api = session.api;

  function enc(s) { return encodeURIComponent(String(s)); }

  /* ---------- auth ---------- */

  function store(key, value) {
    try {
      if (value === null || value === undefined) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, String(value));
    } catch (e) { /* ignore */ }
  }

  function recall(key) {
    try { return sessionStorage.getItem(key); } catch (e) { return null; }
  }

  function logout() {
    store(JOB_KEY, null);
    session.logout();
  }

  function leaveApp() {
    stopJobPolling();
    stopKbStatusPolling();
    resetWorkbench();
    el.workbench.hidden = true;
    el.deniedView.hidden = true;
  }

  function enterApp(auth) {
    if (auth.role !== 'trainer') {
      el.deniedNote.textContent = '当前账号（' + (auth.display_name || auth.username || '') + '，' +
        (ROLE_LABELS[auth.role] || auth.role || '未知角色') + '）无权使用训练师工作台，该页面仅供训练师使用。';
      el.deniedView.hidden = false;
      el.workbench.hidden = true;
      return;
    }
    el.deniedView.hidden = true;
    el.workbench.hidden = false;
    el.meName.textContent = (auth.display_name || auth.username) + '（训练师）';
    loadIntents();
    loadSynonyms();
    loadUnanswered();
    var saved = recall(TAB_KEY);
    switchTab(TAB_NAMES.indexOf(saved) !== -1 ? saved : 'intents');
    resumeJob();
  }

  function resetWorkbench() {
    intents = [];
    selectedIntent = null;
    intentDetail = null;
    synonyms = [];
    kbEntries = [];
    kbEditing = null;
    unanswered = [];
    uaOpen = null;
    job = null;
    models = [];
    audit = [];
    clear(el.intentList);
    clear(el.synonymList);
    clear(el.kbList);
    clear(el.unansweredList);
    clear(el.modelList);
    clear(el.auditList);
    clear(el.jobLog);
    clear(el.jobMetrics);
    el.jobStatus.textContent = '暂无任务';
    el.jobMessage.hidden = true;
    el.unansweredCount.hidden = true;
    el.trainRunning.hidden = true;
    el.testResult.hidden = true;
    el.intentPane.hidden = true;
    el.intentNone.hidden = false;
    clear(el.kbImportResult);
    newKbEntry();
  }

  /* ---------- tabs ---------- */

  function switchTab(name) {
    activeTab = name;
    store(TAB_KEY, name);
    TAB_NAMES.forEach(function (key) {
      var on = key === name;
      var tab = el['tab_' + key];
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
      tab.classList.toggle('active', on);
      el['view_' + key].hidden = !on;
    });
    if (name === 'intents') { loadIntents(); loadSynonyms(); }
    if (name === 'kb') { searchKb(); pollKbStatus(0); }
    else stopKbStatusPolling();
    if (name === 'unanswered') { loadUnanswered(); if (!intents.length) loadIntents(); }
    if (name === 'test') el.testInput.focus();
    if (name === 'train') loadModels();
    if (name === 'audit') loadAudit();
  }

  /* ================= 1. intents ================= */

  function loadIntents() {
    return api('GET', T + '/intents').then(function (list) {
      intents = Array.isArray(list) ? list : [];
      renderIntentList();
      fillIntentSelects();
    }, toastError);
  }

  function renderIntentList() {
    clear(el.intentList);
    var q = el.intentFilter.value.trim().toLowerCase();
    var shown = 0;
    intents.forEach(function (it) {
      if (q && String(it.name).toLowerCase().indexOf(q) === -1) return;
      shown += 1;
      var li = h('li', 'intent-item');
      li.dataset.name = it.name;
      li.tabIndex = 0;
      li.setAttribute('role', 'button');
      li.title = it.file ? '文件：' + it.file : String(it.name);
      var selected = it.name === selectedIntent;
      if (selected) li.classList.add('selected');
      li.setAttribute('aria-current', selected ? 'true' : 'false');
      li.appendChild(h('span', 'intent-name', it.name));
      var n = Number(it.examples) || 0;
      li.appendChild(h('span', 'intent-examples' + (n < 5 ? ' few' : ''), n + ' 条例句'));
      el.intentList.appendChild(li);
    });
    el.intentCount.textContent = intents.length ? '（' + intents.length + '）' : '';
    el.intentEmpty.hidden = shown > 0;
    el.intentEmpty.textContent = intents.length ? '没有匹配的意图' : '暂无意图';
  }

  function onIntentListClick(e) {
    var item = e.target.closest('.intent-item');
    if (item) selectIntent(item.dataset.name);
  }

  function onIntentListKey(e) {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    var item = e.target.closest('.intent-item');
    if (!item) return;
    e.preventDefault();
    selectIntent(item.dataset.name);
  }

  function selectIntent(name) {
    selectedIntent = name;
    renderIntentList();
    hideFormError(el.exampleError);
    el.exampleInput.value = '';
    var seq = ++intentSeq;
    return api('GET', T + '/intents/' + enc(name)).then(function (detail) {
      if (seq !== intentSeq) return;
      showIntent(detail);
    }, function (err) {
      if (seq !== intentSeq) return;
      toastError(err);
    });
  }

  function showIntent(detail) {
    if (!detail) return;
    intentDetail = detail;
    selectedIntent = detail.name;
    el.intentNone.hidden = true;
    el.intentPane.hidden = false;
    el.intentTitle.textContent = detail.name;
    el.intentFile.textContent = detail.file ? '文件：' + detail.file : '';
    renderExamples();
    el.responseInput.value = detail.response == null ? '' : detail.response;
    el.responseState.textContent = detail.response == null ? '该意图暂无 utter_' + detail.name + ' 回复' : '';
    // keep the example count in the list in step
    var examples = Array.isArray(detail.examples) ? detail.examples : [];
    var found = false;
    intents.forEach(function (it) {
      if (it.name === detail.name) { it.examples = examples.length; found = true; }
    });
    if (!found) {
      intents.push({ name: detail.name, examples: examples.length, file: detail.file });
      intents.sort(function (a, b) { return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; });
      fillIntentSelects();
    }
    renderIntentList();
  }

  function renderExamples() {
    clear(el.exampleList);
    var examples = intentDetail && Array.isArray(intentDetail.examples) ? intentDetail.examples : [];
    el.exampleCount.textContent = '（' + examples.length + '）';
    if (!examples.length) {
      el.exampleList.appendChild(h('li', 'empty', '暂无例句'));
      return;
    }
    examples.forEach(function (text) {
      var li = h('li', 'example-item');
      li.dataset.text = text;
      li.appendChild(h('span', 'example-text', text));
      var del = button('删除', 'btn btn-small btn-danger example-delete', '删除这条例句');
      del.setAttribute('aria-label', '删除例句：' + text);
      li.appendChild(del);
      el.exampleList.appendChild(li);
    });
  }

  function onExampleAdd(e) {
    e.preventDefault();
    if (!intentDetail) return;
    var text = el.exampleInput.value.trim();
    if (!text) { showFormError(el.exampleError, '请输入例句'); return; }
    if (text.length > MAX_EXAMPLE_CHARS) {
      showFormError(el.exampleError, '例句不能超过 ' + MAX_EXAMPLE_CHARS + ' 个字符');
      return;
    }
    hideFormError(el.exampleError);
    var name = intentDetail.name;
    setBusy(el.exampleAdd, true, '添加中…');
    api('POST', T + '/intents/' + enc(name) + '/examples', { text: text }).then(function (detail) {
      if (selectedIntent === name) showIntent(detail);
      el.exampleInput.value = '';
      el.exampleInput.focus();
      showToast('已添加例句', 'ok');
    }, function (err) {
      if (err.status === 401) return;
      showFormError(el.exampleError, err);
      if (err.status !== 422) toastError(err);
    }).then(function () { setBusy(el.exampleAdd, false); });
  }

  function onExampleListClick(e) {
    var btn = e.target.closest('.example-delete');
    if (!btn || !intentDetail) return;
    var li = btn.closest('.example-item');
    var text = li.dataset.text;
    var name = intentDetail.name;
    btn.disabled = true;
    api('DELETE', T + '/intents/' + enc(name) + '/examples', { text: text }).then(function (detail) {
      if (selectedIntent === name) showIntent(detail);
      showToast('已删除例句', 'ok');
    }, function (err) {
      btn.disabled = false;
      toastError(err);
    });
  }

  function onResponseSave() {
    if (!intentDetail) return;
    var text = el.responseInput.value.trim();
    if (!text) { showToast('回复内容不能为空'); return; }
    var name = intentDetail.name;
    setBusy(el.responseSave, true, '保存中…');
    api('PUT', T + '/intents/' + enc(name) + '/response', { text: text }).then(function (detail) {
      if (selectedIntent === name) showIntent(detail);
      el.responseState.textContent = '已保存';
      showToast('回复已保存', 'ok');
    }, toastError).then(function () { setBusy(el.responseSave, false); });
  }

  function onNewIntent(e) {
    e.preventDefault();
    var name = el.newIntentName.value.trim();
    var examples = lines(el.newIntentExamples.value);
    var response = el.newIntentResponse.value.trim();
    var seen = {};
    examples = examples.filter(function (x) { if (seen[x]) return false; seen[x] = true; return true; });
    var problems = [];
    if (!name) problems.push('请填写意图名称');
    if (examples.length < 2) problems.push('至少需要 2 条不同的例句');
    if (!response) problems.push('请填写机器人回复');
    if (problems.length) {
      showFormError(el.newIntentError, { detail: '请完善表单', problems: problems });
      return;
    }
    hideFormError(el.newIntentError);
    setBusy(el.newIntentCreate, true, '创建中…');
    api('POST', T + '/intents', { name: name, examples: examples, response: response }).then(function (detail) {
      el.newIntentName.value = '';
      el.newIntentExamples.value = '';
      el.newIntentResponse.value = '';
      showToast('已创建意图 ' + (detail && detail.name ? detail.name : name) + '，需重新训练后生效', 'ok');
      showIntent(detail);
      return loadIntents();
    }, function (err) {
      if (err.status === 401) return;
      showFormError(el.newIntentError, err);
      toastError(err);
    }).then(function () { setBusy(el.newIntentCreate, false); });
  }

  /* ---------- synonyms ---------- */

  function loadSynonyms() {
    return api('GET', T + '/synonyms').then(function (list) {
      synonyms = Array.isArray(list) ? list : [];
      renderSynonyms();
    }, toastError);
  }

  function renderSynonyms() {
    clear(el.synonymList);
    clear(el.synonymValues);
    if (!synonyms.length) {
      el.synonymList.appendChild(h('li', 'empty', '暂无同义词'));
      return;
    }
    synonyms.forEach(function (s) {
      var li = h('li', 'synonym-item');
      li.dataset.value = s.value;
      var head = h('div', 'synonym-value');
      var pick = button(s.value, 'btn-link', '向该标准值添加同义词');
      pick.dataset.value = s.value;
      pick.classList.add('synonym-pick');
      head.appendChild(pick);
      li.appendChild(head);
      var chips = h('div', 'chips');
      (Array.isArray(s.synonyms) ? s.synonyms : []).forEach(function (w) { chips.appendChild(h('span', 'chip', w)); });
      li.appendChild(chips);
      el.synonymList.appendChild(li);
      var opt = document.createElement('option');
      opt.value = s.value;
      el.synonymValues.appendChild(opt);
    });
  }

  function onSynonymListClick(e) {
    var pick = e.target.closest('.synonym-pick');
    if (!pick) return;
    el.synonymValue.value = pick.dataset.value;
    el.synonymText.focus();
  }

  function onSynonymAdd(e) {
    e.preventDefault();
    var value = el.synonymValue.value.trim();
    var synonym = el.synonymText.value.trim();
    if (!value || !synonym) { showFormError(el.synonymError, '请填写标准值和同义词'); return; }
    hideFormError(el.synonymError);
    setBusy(el.synonymAdd, true, '添加中…');
    api('POST', T + '/synonyms', { value: value, synonym: synonym }).then(function (list) {
      var found = false;
      synonyms.forEach(function (s) {
        if (s.value === value) { found = true; if (Array.isArray(list)) s.synonyms = list; }
      });
      if (!found) synonyms.push({ value: value, synonyms: Array.isArray(list) ? list : [synonym] });
      renderSynonyms();
      el.synonymText.value = '';
      el.synonymText.focus();
      showToast('已添加同义词', 'ok');
    }, function (err) {
      if (err.status === 401) return;
      showFormError(el.synonymError, err);
      toastError(err);
    }).then(function () { setBusy(el.synonymAdd, false); });
  }

  /* ================= 2. knowledge base ================= */

  function searchKb() {
    var q = el.kbSearch.value.trim();
    var seq = ++kbSeq;
    var path = T + '/kb?q=' + enc(q) + '&include_retired=' + (el.kbIncludeRetired.checked ? 'true' : 'false');
    return api('GET', path).then(function (list) {
      if (seq !== kbSeq) return;
      kbEntries = Array.isArray(list) ? list : [];
      renderKbList();
    }, function (err) {
      if (seq === kbSeq) toastError(err);
    });
  }

  function entryRetired(entry) {
    if (entry.retired) return true;
    var until = dateOnly(entry.valid_until);
    if (!until) return false;
    var now = new Date();
    var today = now.getFullYear() + '-' + pad2(now.getMonth() + 1) + '-' + pad2(now.getDate());
    return until < today;
  }

  function renderKbList() {
    clear(el.kbList);
    el.kbCount.textContent = kbEntries.length >= 200 ? '显示前 200 条，请缩小搜索范围' :
      '共 ' + kbEntries.length + ' 条';
    if (!kbEntries.length) { emptyRow(el.kbList, 6, '没有匹配的知识条目'); return; }
    kbEntries.forEach(function (entry) {
      var tr = h('tr', 'kb-row');
      tr.dataset.id = entry.id;
      tr.tabIndex = 0;
      var retired = entryRetired(entry);
      if (retired) tr.classList.add('retired');
      if (kbEditing && kbEditing.id === entry.id) tr.classList.add('selected');
      cell(tr, entry.id, 'kb-id');
      var q = cell(tr, entry.question);
      var nSimilar = Array.isArray(entry.similar) ? entry.similar.length : 0;
      if (nSimilar) q.appendChild(h('div', 'muted small', nSimilar + ' 个相似问'));
      cell(tr, entry.category || '—');
      cell(tr, entry.area || '—');
      cell(tr, dateOnly(entry.valid_until) || '长期');
      var st = cell(tr, '');
      st.appendChild(h('span', 'tag ' + (retired ? 'tag-bad' : 'tag-ok'), retired ? '已下线' : '生效中'));
      el.kbList.appendChild(tr);
    });
  }

  function onKbListClick(e) {
    var row = e.target.closest('.kb-row');
    if (row) openKbEntry(row.dataset.id);
  }

  function onKbListKey(e) {
    if (e.key !== 'Enter') return;
    var row = e.target.closest('.kb-row');
    if (row) { e.preventDefault(); openKbEntry(row.dataset.id); }
  }

  function openKbEntry(id) {
    return api('GET', T + '/kb/' + enc(id)).then(function (entry) {
      fillKbEditor(entry);
    }, toastError);
  }

  function fillKbEditor(entry) {
    kbEditing = entry || null;
    hideFormError(el.kbError);
    var e = entry || {};
    el.kbId.value = e.id || '';
    el.kbId.readOnly = !!entry;
    el.kbArea.value = e.area || '';
    el.kbCategory.value = e.category || '';
    el.kbQuestion.value = e.question || '';
    el.kbSimilar.value = Array.isArray(e.similar) ? e.similar.join('\n') : '';
    el.kbAnswer.value = e.answer || '';
    el.kbTags.value = Array.isArray(e.tags) ? e.tags.join(', ') : '';
    el.kbValidFrom.value = dateOnly(e.valid_from);
    el.kbValidUntil.value = dateOnly(e.valid_until);
    el.kbRetire.disabled = !entry || entryRetired(entry);
    el.kbEditorTitle.textContent = entry ? '编辑知识条目' : '新建知识条目';
    if (entry) {
      var meta = [];
      if (entry.updated_at) meta.push('更新于 ' + formatTime(entry.updated_at));
      if (entry.updated_by) meta.push('更新人 ' + entry.updated_by);
      if (entryRetired(entry)) meta.push('已下线');
      el.kbMeta.textContent = meta.join(' · ');
    } else {
      el.kbMeta.textContent = '';
    }
    Array.prototype.forEach.call(el.kbList.querySelectorAll('.kb-row'), function (row) {
      row.classList.toggle('selected', !!entry && row.dataset.id === String(entry.id));
    });
  }

  function newKbEntry() {
    fillKbEditor(null);
  }

  function kbBody() {
    var body = {
      question: el.kbQuestion.value.trim(),
      answer: el.kbAnswer.value.trim(),
      similar: lines(el.kbSimilar.value),
      tags: el.kbTags.value.split(/[,，;；]/).map(function (s) { return s.trim(); })
        .filter(function (s) { return s.length > 0; })
    };
    var category = el.kbCategory.value.trim();
    if (category) body.category = category;
    var area = el.kbArea.value.trim();
    if (area) body.area = area;
    if (el.kbValidFrom.value) body.valid_from = el.kbValidFrom.value;
    if (el.kbValidUntil.value) body.valid_until = el.kbValidUntil.value;
    return body;
  }

  function onKbSave(e) {
    e.preventDefault();
    var body = kbBody();
    var problems = [];
    if (!body.question) problems.push('请填写标准问题');
    if (!body.answer) problems.push('请填写答案');
    if (body.valid_from && body.valid_until && body.valid_until < body.valid_from) problems.push('失效日期不能早于生效日期');
    if (problems.length) { showFormError(el.kbError, { detail: '请完善表单', problems: problems }); return; }
    hideFormError(el.kbError);
    var req;
    if (kbEditing) {
      req = api('PUT', T + '/kb/' + enc(kbEditing.id), body);
    } else {
      var id = el.kbId.value.trim();
      if (id) body.id = id;
      req = api('POST', T + '/kb', body);
    }
    setBusy(el.kbSave, true, '保存中…');
    req.then(function (entry) {
      fillKbEditor(entry);
      showToast('知识条目已保存，索引重建中', 'ok');
      searchKb();
      pollKbStatus(2);
    }, function (err) {
      if (err.status === 401) return;
      showFormError(el.kbError, err);
      toastError(err);
    }).then(function () { setBusy(el.kbSave, false); });
  }

  function onKbRetire() {
    if (!kbEditing) return;
    var id = kbEditing.id;
    setBusy(el.kbRetire, true, '下线中…');
    api('POST', T + '/kb/' + enc(id) + '/retire').then(function (entry) {
      setBusy(el.kbRetire, false);
      fillKbEditor(entry);
      showToast('已下线，机器人将不再使用该条目', 'ok');
      searchKb();
      pollKbStatus(2);
    }, function (err) {
      setBusy(el.kbRetire, false);
      toastError(err);
    });
  }

  /* ---------- index status ---------- */

  function stopKbStatusPolling() {
    clearTimeout(kbStatusTimer);
    kbStatusTimer = null;
  }

  /* Fetch the status now; keep polling every 3 s while building (plus `extra` more polls). */
  function pollKbStatus(extra) {
    if (extra) kbStatusExtra = Math.max(kbStatusExtra, extra);
    stopKbStatusPolling();
    return api('GET', T + '/kb-status').then(function (st) {
      renderKbStatus(st);
      var again = st && st.building;
      if (!again && kbStatusExtra > 0) { kbStatusExtra -= 1; again = true; }
      if (again && session.auth() && activeTab === 'kb') {
        kbStatusTimer = setTimeout(function () { pollKbStatus(0); }, KB_STATUS_POLL_MS);
      } else if (!again) {
        kbStatusExtra = 0;
      }
    }, function (err) {
      el.kbStatus.textContent = '索引状态获取失败：' + err.detail;
      el.kbStatus.className = 'status-line error';
      if (err.status !== 401 && session.auth() && activeTab === 'kb' && kbStatusExtra > 0) {
        kbStatusExtra -= 1;
        kbStatusTimer = setTimeout(function () { pollKbStatus(0); }, KB_STATUS_POLL_MS);
      }
    });
  }

  function renderKbStatus(st) {
    clear(el.kbStatus);
    if (!st) { el.kbStatus.textContent = '索引状态未知'; return; }
    el.kbStatus.className = 'status-line' + (st.building ? ' building' : '') + (st.last_error ? ' error' : '');
    var loaded = st.version != null;
    var parts = loaded ? ['索引版本 ' + st.version,
      '条目 ' + (st.entries != null ? st.entries : '—'),
      '问法 ' + (st.questions != null ? st.questions : '—')] : ['尚未加载知识库索引'];
    el.kbStatus.appendChild(h('span', null, parts.join(' · ')));
    el.kbStatus.appendChild(h('span', 'status-state ' + (st.building ? 'status-running' : 'muted'),
      st.building ? '正在重建索引…' : (loaded ? '索引已就绪' : '保存或导入条目后将自动构建')));
    if (st.last_error) {
      el.kbStatus.appendChild(h('div', 'status-error', '上次重建失败：' + st.last_error));
    }
  }

  /* ---------- import ---------- */

  function onKbImport(dryRun) {
    var file = el.kbFile.files && el.kbFile.files[0];
    clear(el.kbImportResult);
    el.kbImportResult.className = 'import-result';
    if (!file) { showToast('请选择要导入的文件'); return; }
    var area = el.kbImportArea.value.trim();
    if (area && !/^[a-z][a-z0-9_]{1,40}$/.test(area)) {
      showToast('来源名称须以小写字母开头，只含小写字母、数字和下划线（2–41 个字符）');
      el.kbImportArea.focus();
      return;
    }
    var form = new FormData();
    form.append('file', file, file.name);
    var path = T + '/kb/import?dry_run=' + (dryRun ? 'true' : 'false') + (area ? '&area=' + enc(area) : '');
    setBusy(el.kbDryRun, true, dryRun ? '校验中…' : null);
    setBusy(el.kbImport, true, dryRun ? null : '导入中…');
    api('POST', path, form).then(function (res) {
      renderImportResult(res || {}, dryRun);
      if (res && res.written) {
        showToast('导入完成，索引重建中', 'ok');
        searchKb();
        pollKbStatus(2);
      }
    }, function (err) {
      if (err.status === 401) return;
      renderImportResult({ ok: false, entries: null, problems: [err.detail].concat(err.problems || []), written: false }, dryRun);
      toastError(err);
    }).then(function () {
      setBusy(el.kbDryRun, false);
      setBusy(el.kbImport, false);
    });
  }

  function renderImportResult(res, dryRun) {
    clear(el.kbImportResult);
    var ok = !!res.ok;
    el.kbImportResult.className = 'import-result ' + (ok ? 'ok' : 'bad');
    var head;
    if (ok && dryRun) head = '校验通过：共 ' + (res.entries != null ? res.entries : 0) + ' 条，可以导入（未写入）';
    else if (ok && res.written) head = '导入成功：已写入 ' + (res.entries != null ? res.entries : 0) + ' 条';
    else if (ok) head = '校验通过：共 ' + (res.entries != null ? res.entries : 0) + ' 条（未写入）';
    else head = (dryRun ? '校验未通过' : '导入失败，未写入任何内容') +
      (res.entries != null ? '（共解析 ' + res.entries + ' 条）' : '');
    el.kbImportResult.appendChild(h('div', 'result-head', head));
    var problems = Array.isArray(res.problems) ? res.problems : [];
    if (problems.length) {
      el.kbImportResult.appendChild(h('div', 'muted small', '问题（' + problems.length + '）：'));
      var ul = h('ul', 'problem-list');
      problems.forEach(function (p) { ul.appendChild(h('li', null, typeof p === 'string' ? p : JSON.stringify(p))); });
      el.kbImportResult.appendChild(ul);
    }
  }

  /* ================= 3. unanswered ================= */

  function loadUnanswered() {
    return api('GET', T + '/unanswered').then(function (list) {
      unanswered = Array.isArray(list) ? list : [];
      var total = unanswered.length;
      el.unansweredCount.textContent = total > 99 ? '99+' : String(total);
      el.unansweredCount.hidden = total === 0;
      if (uaOpen && !unanswered.some(function (g) { return String(g.group) === uaOpen.group; })) uaOpen = null;
      renderUnanswered();
    }, toastError);
  }

  function findGroup(group) {
    for (var i = 0; i < unanswered.length; i++) {
      if (String(unanswered[i].group) === String(group)) return unanswered[i];
    }
    return null;
  }

  function kindLabel(kind) { return KIND_LABELS[kind] || String(kind); }

  function kindClass(kind) {
    if (/feedback|helpful/.test(kind)) return 'tag tag-bad';
    if (/fallback/.test(kind)) return 'tag tag-warn';
    return 'tag tag-info';
  }

  function renderUnanswered() {
    clear(el.unansweredList);
    if (!unanswered.length) { emptyRow(el.unansweredList, 5, '暂无未解决问题'); return; }
    unanswered.forEach(function (g) {
      var group = String(g.group);
      var tr = h('tr', 'unanswered-row');
      tr.dataset.group = group;
      var textTd = cell(tr, '');
      textTd.appendChild(h('div', 'ua-text', g.text));
      var samples = (Array.isArray(g.samples) ? g.samples : []).filter(function (s) { return s !== g.text; });
      if (samples.length) {
        var ul = h('ul', 'ua-samples');
        samples.slice(0, 3).forEach(function (s) { ul.appendChild(h('li', null, s)); });
        if (samples.length > 3) ul.appendChild(h('li', null, '… 另有 ' + (samples.length - 3) + ' 种问法'));
        textTd.appendChild(ul);
      }
      cell(tr, g.count != null ? g.count : '—', 'num');
      var last = cell(tr, formatTime(g.last_seen), 'audit-time');
      last.title = formatFull(g.last_seen);
      var kindsTd = cell(tr, '');
      var kinds = g.kinds && typeof g.kinds === 'object' ? g.kinds : {};
      var chips = h('div', 'chips');
      Object.keys(kinds).forEach(function (k) {
        chips.appendChild(h('span', kindClass(k), kindLabel(k) + ' ×' + kinds[k]));
      });
      kindsTd.appendChild(chips);
      var actTd = cell(tr, '');
      var acts = h('div', 'ua-actions');
      [['add_example', '加为意图例句', 'btn btn-small ua-add-example'],
        ['add_similar', '加为知识库相似问', 'btn btn-small ua-add-similar'],
        ['create_entry', '新建知识条目', 'btn btn-small ua-create-entry'],
        ['dismiss', '忽略', 'btn btn-small btn-danger ua-dismiss']].forEach(function (a) {
        var b = button(a[1], a[2]);
        b.dataset.action = a[0];
        acts.appendChild(b);
      });
      actTd.appendChild(acts);
      el.unansweredList.appendChild(tr);
      if (uaOpen && uaOpen.group === group) {
        tr.classList.add('open');
        el.unansweredList.appendChild(renderUaForm(g, uaOpen.action));
      }
    });
  }

  function onUnansweredClick(e) {
    var actBtn = e.target.closest('.ua-actions button');
    if (actBtn) {
      var row = actBtn.closest('.unanswered-row');
      var group = row.dataset.group;
      var action = actBtn.dataset.action;
      var g = findGroup(group);
      if (!g) return;
      if (action === 'dismiss') { resolveGroup(g, { action: 'dismiss' }, actBtn, null); return; }
      if (uaOpen && uaOpen.group === group && uaOpen.action === action) uaOpen = null;
      else uaOpen = { group: group, action: action };
      if (action === 'add_example' && !intents.length) loadIntents();
      renderUnanswered();
      var input = el.unansweredList.querySelector('.ua-form-row select, .ua-form-row input, .ua-form-row textarea');
      if (input) input.focus();
    }
  }

  function field(form, labelText, control) {
    var id = control.className.split(' ')[0];
    control.id = id;
    var label = h('label', null, labelText);
    label.htmlFor = id;
    form.appendChild(label);
    form.appendChild(control);
    return control;
  }

  function textInput(className, value, placeholder) {
    var i = document.createElement('input');
    i.type = 'text';
    i.className = className;
    i.autocomplete = 'off';
    if (value) i.value = value;
    if (placeholder) i.placeholder = placeholder;
    return i;
  }

  function renderUaForm(g, action) {
    var tr = h('tr', 'ua-form-row');
    tr.dataset.group = String(g.group);
    var td = h('td');
    td.colSpan = 5;
    var form = h('form', 'ua-form');
    form.noValidate = true;
    var err = h('div', 'form-error');
    err.hidden = true;
    var submit = h('button', 'btn btn-primary btn-small ua-submit');
    submit.type = 'submit';
    var cancel = button('取消', 'btn btn-small ua-cancel');
    cancel.addEventListener('click', function () { uaOpen = null; renderUnanswered(); });

    if (action === 'add_example') {
      var sel = document.createElement('select');
      sel.className = 'ua-intent intent-select';
      fillIntentSelect(sel);
      field(form, '意图', sel);
      var ex = field(form, '例句', textInput('ua-text', g.text));
      ex.maxLength = MAX_EXAMPLE_CHARS;
      submit.textContent = '加为例句';
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        var text = ex.value.trim();
        if (!sel.value) { showFormError(err, '请选择意图'); return; }
        if (!text) { showFormError(err, '请填写例句'); return; }
        resolveGroup(g, { action: 'add_example', intent: sel.value, text: text }, submit, err);
      });
    } else if (action === 'add_similar') {
      var entryId = field(form, '知识条目编号', textInput('ua-entry-id', '', '输入编号，或在下方搜索后选择'));
      var searchWrap = h('div', 'ua-search');
      var q = textInput('ua-kb-q', g.text, '搜索知识库');
      q.type = 'search';
      var go = button('搜索', 'btn btn-small ua-kb-go');
      searchWrap.appendChild(q);
      searchWrap.appendChild(go);
      var searchLabel = h('label', null, '搜索知识库');
      q.id = 'ua-kb-q';
      searchLabel.htmlFor = 'ua-kb-q';
      form.appendChild(searchLabel);
      form.appendChild(searchWrap);
      var results = h('ul', 'ua-kb-results');
      form.appendChild(results);
      var runSearch = function () { uaKbSearch(q.value.trim(), results, entryId); };
      go.addEventListener('click', runSearch);
      q.addEventListener('input', debounce(runSearch, SEARCH_DEBOUNCE_MS));
      q.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); runSearch(); } });
      var sim = field(form, '相似问', textInput('ua-text', g.text));
      submit.textContent = '加为相似问';
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        var id = entryId.value.trim();
        var text = sim.value.trim();
        if (!id) { showFormError(err, '请填写或选择知识条目编号'); return; }
        if (!text) { showFormError(err, '请填写相似问'); return; }
        resolveGroup(g, { action: 'add_similar', entry_id: id, text: text }, submit, err);
      });
      setTimeout(runSearch, 0);
    } else if (action === 'create_entry') {
      var question = field(form, '标准问题', textInput('ua-question', g.text));
      var answer = document.createElement('textarea');
      answer.className = 'ua-answer';
      answer.rows = 4;
      field(form, '答案', answer);
      var category = field(form, '分类', textInput('ua-category', '', '可选'));
      submit.textContent = '创建条目';
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        var entry = { question: question.value.trim(), answer: answer.value.trim() };
        if (category.value.trim()) entry.category = category.value.trim();
        if (!entry.question || !entry.answer) { showFormError(err, '请填写标准问题和答案'); return; }
        resolveGroup(g, { action: 'create_entry', entry: entry }, submit, err);
      });
    }
    form.appendChild(err);
    var actions = h('div', 'form-actions');
    actions.appendChild(submit);
    actions.appendChild(cancel);
    form.appendChild(actions);
    td.appendChild(form);
    tr.appendChild(td);
    return tr;
  }

  function uaKbSearch(q, results, entryInput) {
    clear(results);
    results.appendChild(h('li', 'muted', '搜索中…'));
    api('GET', T + '/kb?q=' + enc(q) + '&include_retired=false').then(function (list) {
      clear(results);
      list = Array.isArray(list) ? list : [];
      if (!list.length) { results.appendChild(h('li', 'muted', '没有匹配的知识条目')); return; }
      list.slice(0, 8).forEach(function (entry) {
        var li = h('li');
        li.appendChild(h('span', 'kb-id', entry.id));
        li.appendChild(h('span', 'kb-q', entry.question));
        var pick = button('选择', 'btn btn-small ua-kb-pick');
        pick.dataset.id = entry.id;
        pick.addEventListener('click', function () {
          entryInput.value = entry.id;
          Array.prototype.forEach.call(results.querySelectorAll('.ua-kb-pick'), function (b) {
            b.textContent = b === pick ? '已选择' : '选择';
          });
        });
        li.appendChild(pick);
        results.appendChild(li);
      });
    }, function (err) {
      clear(results);
      results.appendChild(h('li', 'status-error', '搜索失败：' + err.detail));
    });
  }

  function resolveGroup(g, body, btn, errBox) {
    body.ids = Array.isArray(g.ids) ? g.ids : [];
    if (errBox) hideFormError(errBox);
    setBusy(btn, true, '处理中…');
    api('POST', T + '/unanswered/resolve', body).then(function (res) {
      var n = res && res.resolved != null ? res.resolved : body.ids.length;
      var what = { add_example: '已加为意图例句', add_similar: '已加为相似问', create_entry: '已新建知识条目',
        dismiss: '已忽略' }[body.action] || '已处理';
      showToast(what + '（' + n + ' 条记录）', 'ok');
      uaOpen = null;
      loadUnanswered();
      if (body.action === 'add_example') loadIntents();
    }, function (err) {
      setBusy(btn, false);
      if (err.status === 401) return;
      if (errBox) showFormError(errBox, err);
      toastError(err);
    });
  }

  function fillIntentSelect(sel) {
    var current = sel.value;
    clear(sel);
    var first = document.createElement('option');
    first.value = '';
    first.textContent = intents.length ? '选择意图…' : '（加载中…）';
    sel.appendChild(first);
    intents.forEach(function (it) {
      var opt = document.createElement('option');
      opt.value = it.name;
      opt.textContent = it.name + '（' + (Number(it.examples) || 0) + '）';
      sel.appendChild(opt);
    });
    if (current) sel.value = current;
  }

  function fillIntentSelects() {
    Array.prototype.forEach.call(document.querySelectorAll('select.intent-select'), fillIntentSelect);
  }

  /* ================= 4. test console ================= */

  function onTest(e) {
    e.preventDefault();
    var text = el.testInput.value.trim();
    if (!text) { el.testInput.focus(); return; }
    var seq = ++testSeq;
    setBusy(el.testSend, true, '测试中…');
    api('POST', T + '/test', { text: text }).then(function (res) {
      if (seq !== testSeq) return;
      renderTest(res || {});
    }, function (err) {
      if (seq === testSeq) toastError(err);
    }).then(function () { if (seq === testSeq) setBusy(el.testSend, false); });
  }

  function renderTest(res) {
    el.testResult.hidden = false;
    el.testMasked.textContent = '脱敏后文本：' + (res.text || '');
    el.testNluError.textContent = res.nlu_error ? '意图识别服务不可用：' + res.nlu_error : '';
    el.testNluError.hidden = !res.nlu_error;

    clear(el.testTokens);
    var tokens = Array.isArray(res.tokens) ? res.tokens : [];
    if (!tokens.length) el.testTokens.appendChild(h('span', 'muted', '（无）'));
    tokens.forEach(function (t) { el.testTokens.appendChild(h('span', 'chip token-chip', t)); });

    // intent ranking
    clear(el.testIntents);
    var ranking = Array.isArray(res.intent_ranking) ? res.intent_ranking.slice() : [];
    var top = res.intent && res.intent.name;
    if (!ranking.length && res.intent) ranking = [res.intent];
    if (!ranking.length) {
      el.testIntents.appendChild(h('p', 'empty', '无意图结果'));
    } else {
      var table = h('table', 'table');
      var thead = h('thead');
      var hr = h('tr');
      hr.appendChild(h('th', null, '意图'));
      hr.appendChild(h('th', 'col-bar', '置信度'));
      hr.appendChild(h('th', 'num', ''));
      thead.appendChild(hr);
      table.appendChild(thead);
      var tbody = h('tbody');
      ranking.forEach(function (r) {
        var tr = h('tr', r.name === top ? 'top' : null);
        var nameTd = cell(tr, '');
        var link = button(r.name, 'btn-link test-intent-link', '打开该意图');
        link.addEventListener('click', function () { switchTab('intents'); selectIntent(r.name); });
        nameTd.appendChild(link);
        var barTd = cell(tr, '', 'middle');
        barTd.appendChild(bar(r.confidence, r.name === top));
        cell(tr, pct(r.confidence), 'num');
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      el.testIntents.appendChild(table);
    }

    // entities
    clear(el.testEntities);
    var ents = Array.isArray(res.entities) ? res.entities : [];
    if (!ents.length) {
      el.testEntities.appendChild(h('p', 'empty', '未识别到实体'));
    } else {
      var et = h('table', 'table');
      var eh = h('tr');
      ['实体', '值', '位置'].forEach(function (t) { eh.appendChild(h('th', null, t)); });
      var ethead = h('thead');
      ethead.appendChild(eh);
      et.appendChild(ethead);
      var ebody = h('tbody');
      ents.forEach(function (x) {
        var tr = h('tr');
        cell(tr, x.entity);
        cell(tr, x.value);
        cell(tr, (x.start != null ? x.start : '?') + '–' + (x.end != null ? x.end : '?'), 'num');
        ebody.appendChild(tr);
      });
      et.appendChild(ebody);
      el.testEntities.appendChild(et);
    }

    // knowledge base
    clear(el.testKb);
    var kb = res.kb || {};
    var decision = kb.decision || 'fallback';
    el.testKb.appendChild(h('span', 'decision decision-' + decision,
      '决策：' + (DECISION_LABELS[decision] || decision)));
    var cands = Array.isArray(kb.candidates) ? kb.candidates : [];
    if (!cands.length) {
      el.testKb.appendChild(h('p', 'empty', '无候选条目'));
      return;
    }
    var maxScore = 1;
    cands.forEach(function (c) { if (isNum(c.score) && c.score > maxScore) maxScore = c.score; });
    var kt = h('table', 'table');
    var kh = h('tr');
    kh.appendChild(h('th', null, '编号'));
    kh.appendChild(h('th', null, '匹配问题'));
    kh.appendChild(h('th', 'col-bar', '得分'));
    kh.appendChild(h('th', 'num', ''));
    var kthead = h('thead');
    kthead.appendChild(kh);
    kt.appendChild(kthead);
    var kbody = h('tbody');
    cands.forEach(function (c, i) {
      var tr = h('tr', i === 0 && decision === 'answer' ? 'top' : null);
      var idTd = cell(tr, '', 'kb-id');
      var link = button(c.entry_id, 'btn-link test-kb-link', '在知识库中打开');
      link.addEventListener('click', function () { switchTab('kb'); openKbEntry(c.entry_id); });
      idTd.appendChild(link);
      cell(tr, c.question);
      var barTd = cell(tr, '', 'middle');
      barTd.appendChild(bar(isNum(c.score) ? c.score / maxScore : 0, i === 0 && decision === 'answer'));
      cell(tr, fixed(c.score, 3), 'num');
      kbody.appendChild(tr);
    });
    kt.appendChild(kbody);
    el.testKb.appendChild(kt);
  }

  /* ================= 5. train & deploy ================= */

  function onTrainStart() {
    setBusy(el.trainStart, true, '提交中…');
    api('POST', T + '/train').then(function (j) {
      showToast('训练任务已开始', 'ok');
      trackJob(j);
    }, function (err) {
      setBusy(el.trainStart, false);
      if (err.status === 409) {
        showToast('已有训练或部署任务正在进行，请等待其完成后再试。\n' + (err.detail || ''));
        return;
      }
      toastError(err);
    });
  }

  function resumeJob() {
    var id = recall(JOB_KEY);
    if (!id) { updateJobButtons(); return; }
    api('GET', T + '/jobs/' + enc(id)).then(function (j) {
      if (!j) return;
      trackJob(j, true);
    }, function (err) {
      if (err.status === 404) store(JOB_KEY, null);
      updateJobButtons();
    });
  }

  function jobRunning() { return !!job && job.status === 'running'; }

  function updateJobButtons() {
    var running = jobRunning();
    el.trainRunning.hidden = !running;
    if (running) {
      el.trainStart.disabled = true;
      el.trainStart.textContent = '任务进行中…';
    } else {
      el.trainStart.disabled = false;
      el.trainStart.textContent = '开始训练';
      delete el.trainStart.dataset.label;
    }
    Array.prototype.forEach.call(el.modelList.querySelectorAll('.model-deploy'), function (b) {
      b.disabled = running;
    });
  }

  function stopJobPolling() {
    clearTimeout(jobTimer);
    jobTimer = null;
    jobSeq += 1;
  }

  /* Show a job and stream its log (from line 0) until it is no longer running. */
  function trackJob(j, resumed) {
    stopJobPolling();
    job = j;
    store(JOB_KEY, j.id);
    jobAfter = 0;
    jobErrors = 0;
    clear(el.jobLog);
    renderJob();
    updateJobButtons();
    var seq = jobSeq;
    pollJobLog(seq, false);
    if (!resumed && activeTab !== 'train') showToast((JOB_KIND_LABELS[j.kind] || '') + '任务已开始，可在“训练与发布”查看进度', 'ok');
  }

  function appendLog(linesIn) {
    if (!linesIn || !linesIn.length) return;
    var pre = el.jobLog;
    var atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 24;
    pre.appendChild(document.createTextNode(linesIn.map(function (l) {
      return String(l).replace(/\n$/, '');
    }).join('\n') + '\n'));
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }

  function pollJobLog(seq, draining) {
    if (!job || seq !== jobSeq) return;
    var id = job.id;
    api('GET', T + '/jobs/' + enc(id) + '/log?after=' + jobAfter).then(function (res) {
      if (seq !== jobSeq) return;
      jobErrors = 0;
      res = res || {};
      var got = Array.isArray(res.lines) ? res.lines : [];
      appendLog(got);
      if (isNum(res.next)) jobAfter = res.next;
      else jobAfter += got.length;
      if (res.status && res.status !== 'running') {
        if (!draining && got.length) {
          // one more read to pick up lines written just before the status changed
          pollJobLog(seq, true);
          return;
        }
        finishJob(seq);
        return;
      }
      if (res.status && job.status !== res.status) { job.status = res.status; renderJob(); }
      jobTimer = setTimeout(function () { pollJobLog(seq, false); }, JOB_POLL_MS);
    }, function (err) {
      if (seq !== jobSeq) return;
      if (err.status === 401) return;
      if (err.status === 404) {
        el.jobStatus.textContent = '任务不存在（可能服务已重启）';
        job = null;
        store(JOB_KEY, null);
        updateJobButtons();
        return;
      }
      jobErrors += 1;
      if (jobErrors === 3) toastError(err);
      jobTimer = setTimeout(function () { pollJobLog(seq, false); }, Math.min(10000, JOB_POLL_MS * jobErrors * 2));
    });
  }

  function finishJob(seq) {
    api('GET', T + '/jobs/' + enc(job.id)).then(function (j) {
      if (seq !== jobSeq) return;
      if (j) job = j;
      renderJob();
      updateJobButtons();
      loadModels();
      if (job.status === 'succeeded') showToast((JOB_KIND_LABELS[job.kind] || '') + '任务已完成', 'ok');
      else if (job.status === 'refused') showToast('新模型未达到基线，已拒绝上线');
      else if (job.status === 'failed') showToast((JOB_KIND_LABELS[job.kind] || '') + '任务失败' + (job.message ? '：' + job.message : ''));
    }, function (err) {
      if (seq !== jobSeq) return;
      if (err.status === 401) return;
      jobTimer = setTimeout(function () { finishJob(seq); }, 2000);
    });
  }

  function renderJob() {
    clear(el.jobStatus);
    clear(el.jobMetrics);
    el.jobMessage.hidden = true;
    if (!job) { el.jobStatus.textContent = '暂无任务'; return; }
    var kind = JOB_KIND_LABELS[job.kind] || job.kind || '任务';
    el.jobStatus.appendChild(h('span', 'job-title', kind + '任务 #' + job.id));
    el.jobStatus.appendChild(h('span', 'status-' + job.status, JOB_STATUS_LABELS[job.status] || job.status));
    if (job.started_at) el.jobStatus.appendChild(h('span', 'muted', '开始 ' + formatFull(job.started_at)));
    if (job.finished_at) el.jobStatus.appendChild(h('span', 'muted', '结束 ' + formatFull(job.finished_at)));
    if (job.model) el.jobStatus.appendChild(h('span', 'muted', '模型 ' + job.model));

    var msg = null;
    var cls = 'alert';
    if (job.status === 'refused') {
      msg = '新模型未通过基线对比，已拒绝上线，当前线上模型保持不变。' + (job.message ? '\n原因：' + job.message : '');
    } else if (job.status === 'failed') {
      msg = kind + '失败。' + (job.message ? '\n' + job.message : '请查看日志。');
    } else if (job.status === 'succeeded') {
      msg = kind + '成功。' + (job.message ? '\n' + job.message : '');
      cls = 'alert alert-ok';
    } else if (job.message) {
      msg = job.message;
      cls = 'alert alert-warn';
    }
    if (msg) {
      el.jobMessage.textContent = msg;
      el.jobMessage.className = cls;
      el.jobMessage.hidden = false;
    }
    if (job.metrics || job.baseline) renderMetrics(job.metrics, job.baseline);
  }

  function renderMetrics(m, base) {
    var sec = h('section');
    sec.appendChild(h('h3', 'panel-title', base ? '评估指标与基线对比' : '评估指标'));
    var table = h('table', 'table');
    var thead = h('thead');
    var hr = h('tr');
    ['指标', '本次', '基线', '变化'].forEach(function (t, i) {
      if (!base && i > 1) return;
      hr.appendChild(h('th', i ? 'num' : null, t));
    });
    thead.appendChild(hr);
    table.appendChild(thead);
    var tbody = h('tbody');
    [['accuracy', '准确率'], ['macro_f1', 'Macro-F1']].forEach(function (k) {
      var tr = h('tr');
      cell(tr, k[1]);
      var cur = m ? m[k[0]] : null;
      cell(tr, pct(cur), 'num');
      if (base) {
        var b = base[k[0]];
        cell(tr, pct(b), 'num');
        if (isNum(cur) && isNum(b)) {
          var d = (cur - b) * 100;
          var sign = d > 0 ? '+' : d < 0 ? '−' : '±';
          cell(tr, sign + Math.abs(d).toFixed(1) + ' 个百分点', 'num ' + (d > 0 ? 'delta-up' : d < 0 ? 'delta-down' : ''));
        } else {
          cell(tr, '—', 'num');
        }
      }
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    sec.appendChild(table);
    if (base && (base.model || base.name)) sec.appendChild(h('p', 'muted small', '基线模型：' + (base.model || base.name)));
    el.jobMetrics.appendChild(sec);

    var confused = m && Array.isArray(m.confused) ? m.confused : [];
    var sec2 = h('section');
    sec2.appendChild(h('h3', 'panel-title', '易混淆意图'));
    if (!confused.length) {
      sec2.appendChild(h('p', 'empty', m ? '无明显混淆' : '—'));
    } else {
      var ct = h('table', 'table');
      var ch = h('tr');
      ['真实意图', '被识别为', '次数'].forEach(function (t, i) { ch.appendChild(h('th', i === 2 ? 'num' : null, t)); });
      var cthead = h('thead');
      cthead.appendChild(ch);
      ct.appendChild(cthead);
      var cbody = h('tbody');
      confused.forEach(function (p) {
        var tr = h('tr');
        var arr = Array.isArray(p) ? p : [p && p.a, p && p.b, p && p.n];
        cell(tr, arr[0]);
        cell(tr, arr[1]);
        cell(tr, arr[2], 'num');
        cbody.appendChild(tr);
      });
      ct.appendChild(cbody);
      sec2.appendChild(ct);
    }
    el.jobMetrics.appendChild(sec2);
  }

  function loadModels() {
    return api('GET', T + '/models').then(function (list) {
      models = Array.isArray(list) ? list : [];
      renderModels();
    }, toastError);
  }

  function renderModels() {
    clear(el.modelList);
    if (!models.length) { emptyRow(el.modelList, 6, '暂无模型，请先训练'); return; }
    var activeIndex = -1;
    models.forEach(function (m, i) { if (m.active) activeIndex = i; });
    var running = jobRunning();
    models.forEach(function (m, i) {
      var tr = h('tr', 'model-row' + (m.active ? ' active' : ''));
      tr.dataset.name = m.name;
      cell(tr, m.name, 'model-name');
      cell(tr, formatFull(m.created_at), 'audit-time');
      cell(tr, pct(m.accuracy), 'num');
      cell(tr, pct(m.macro_f1), 'num');
      var st = cell(tr, '');
      if (m.active) st.appendChild(h('span', 'tag tag-ok', '线上'));
      else st.appendChild(h('span', 'muted', '—'));
      var act = cell(tr, '');
      if (!m.active) {
        var rollback = activeIndex !== -1 && i > activeIndex;
        var b = button(rollback ? '回滚' : '部署', 'btn btn-small model-deploy' + (rollback ? ' btn-danger' : ''),
          rollback ? '回滚到这个较早的模型' : '将该模型部署上线');
        b.dataset.name = m.name;
        b.disabled = running;
        act.appendChild(b);
      }
      el.modelList.appendChild(tr);
    });
  }

  function onModelListClick(e) {
    var b = e.target.closest('.model-deploy');
    if (!b) return;
    var name = b.dataset.name;
    var label = b.textContent;
    setBusy(b, true, '提交中…');
    api('POST', T + '/models/' + enc(name) + '/deploy').then(function (j) {
      showToast(label + '任务已开始：' + name, 'ok');
      trackJob(j);
      renderModels();
    }, function (err) {
      setBusy(b, false);
      if (err.status === 409) {
        showToast('已有训练或部署任务正在进行，请等待其完成后再试。\n' + (err.detail || ''));
        return;
      }
      toastError(err);
    });
  }

  /* ================= 6. audit ================= */

  function loadAudit() {
    return api('GET', T + '/audit').then(function (list) {
      audit = Array.isArray(list) ? list : [];
      renderAudit();
    }, toastError);
  }

  function stringify(x) {
    if (x === null || x === undefined) return '';
    if (typeof x === 'string') return x;
    try { return JSON.stringify(x, null, 2); } catch (e) { return String(x); }
  }

  function renderDiff(diff) {
    var pre = h('pre', 'diff');
    var text = typeof diff === 'string' ? diff : stringify(diff);
    text.split('\n').forEach(function (line) {
      var cls = 'diff-line';
      if (/^(\+\+\+|---)/.test(line)) cls = 'diff-hunk';
      else if (/^@@/.test(line)) cls = 'diff-hunk';
      else if (/^\+/.test(line)) cls = 'diff-add';
      else if (/^-/.test(line)) cls = 'diff-del';
      pre.appendChild(h('span', cls, line === '' ? ' ' : line));
    });
    return pre;
  }

  function renderAudit() {
    clear(el.auditList);
    var q = el.auditFilter.value.trim().toLowerCase();
    var rows = audit.filter(function (a) {
      if (!q) return true;
      return [a.actor, a.action, a.target].some(function (v) {
        return v != null && String(v).toLowerCase().indexOf(q) !== -1;
      });
    });
    if (!rows.length) { emptyRow(el.auditList, 5, audit.length ? '没有匹配的记录' : '暂无审计记录'); return; }
    rows.forEach(function (a) {
      var tr = h('tr', 'audit-row');
      tr.dataset.id = a.id;
      cell(tr, formatFull(a.at), 'audit-time');
      cell(tr, a.actor || '—');
      cell(tr, a.action || '—');
      cell(tr, a.target || '—');
      var td = cell(tr, '', 'audit-detail');
      var detail = a.detail;
      if (detail && typeof detail === 'object' && !Array.isArray(detail)) {
        if (detail.diff !== undefined && detail.diff !== null && detail.diff !== '') td.appendChild(renderDiff(detail.diff));
        var rest = {};
        var hasRest = false;
        Object.keys(detail).forEach(function (k) {
          if (k !== 'diff') { rest[k] = detail[k]; hasRest = true; }
        });
        if (hasRest) td.appendChild(h('pre', 'detail-extra', stringify(rest)));
      } else if (detail !== null && detail !== undefined && detail !== '') {
        td.appendChild(h('pre', 'detail-extra', stringify(detail)));
      } else {
        td.textContent = '—';
      }
      el.auditList.appendChild(tr);
    });
  }

  /* ---------- wiring ---------- */

  function $(id) { return document.getElementById(id); }

  function cacheElements() {
    el.loginView = $('login-view');
    el.loginForm = $('login-form');
    el.loginUsername = $('login-username');
    el.loginPassword = $('login-password');
    el.loginError = $('login-error');
    el.loginSubmit = $('login-submit');
    el.deniedView = $('denied-view');
    el.deniedNote = $('denied-note');
    el.deniedLogout = $('denied-logout');
    el.workbench = $('workbench');
    el.meName = $('me-name');
    el.logout = $('logout');
    el.toast = $('toast');
    el.unansweredCount = $('unanswered-count');
    el.trainRunning = $('train-running');
    TAB_NAMES.forEach(function (name) {
      el['tab_' + name] = $('tab-' + name);
      el['view_' + name] = $(name + '-view');
    });

    el.intentList = $('intent-list');
    el.intentCount = $('intent-count');
    el.intentEmpty = $('intent-empty');
    el.intentFilter = $('intent-filter');
    el.intentsRefresh = $('intents-refresh');
    el.intentNone = $('intent-none');
    el.intentPane = $('intent-pane');
    el.intentTitle = $('intent-title');
    el.intentFile = $('intent-file');
    el.exampleForm = $('example-form');
    el.exampleInput = $('example-input');
    el.exampleAdd = $('example-add');
    el.exampleError = $('example-error');
    el.exampleList = $('example-list');
    el.exampleCount = $('example-count');
    el.responseInput = $('response-input');
    el.responseSave = $('response-save');
    el.responseState = $('response-state');
    el.newIntentForm = $('new-intent-form');
    el.newIntentName = $('new-intent-name');
    el.newIntentExamples = $('new-intent-examples');
    el.newIntentResponse = $('new-intent-response');
    el.newIntentError = $('new-intent-error');
    el.newIntentCreate = $('new-intent-create');
    el.synonymForm = $('synonym-form');
    el.synonymValue = $('synonym-value');
    el.synonymValues = $('synonym-values');
    el.synonymText = $('synonym-text');
    el.synonymAdd = $('synonym-add');
    el.synonymError = $('synonym-error');
    el.synonymList = $('synonym-list');
    el.synonymsRefresh = $('synonyms-refresh');

    el.kbStatus = $('kb-status');
    el.kbSearchForm = $('kb-search-form');
    el.kbSearch = $('kb-search');
    el.kbIncludeRetired = $('kb-include-retired');
    el.kbCount = $('kb-count');
    el.kbList = $('kb-list');
    el.kbForm = $('kb-form');
    el.kbEditorTitle = $('kb-editor-title');
    el.kbMeta = $('kb-meta');
    el.kbId = $('kb-id');
    el.kbArea = $('kb-area');
    el.kbCategory = $('kb-category');
    el.kbQuestion = $('kb-question');
    el.kbSimilar = $('kb-similar');
    el.kbAnswer = $('kb-answer');
    el.kbTags = $('kb-tags');
    el.kbValidFrom = $('kb-valid-from');
    el.kbValidUntil = $('kb-valid-until');
    el.kbError = $('kb-error');
    el.kbSave = $('kb-save');
    el.kbRetire = $('kb-retire');
    el.kbNew = $('kb-new');
    el.kbFile = $('kb-file');
    el.kbImportArea = $('kb-import-area');
    el.kbDryRun = $('kb-dry-run');
    el.kbImport = $('kb-import');
    el.kbImportResult = $('kb-import-result');

    el.unansweredList = $('unanswered-list');
    el.unansweredRefresh = $('unanswered-refresh');

    el.testForm = $('test-form');
    el.testInput = $('test-input');
    el.testSend = $('test-send');
    el.testResult = $('test-result');
    el.testMasked = $('test-masked');
    el.testNluError = $('test-nlu-error');
    el.testTokens = $('test-tokens');
    el.testIntents = $('test-intents');
    el.testEntities = $('test-entities');
    el.testKb = $('test-kb');

    el.trainStart = $('train-start');
    el.jobStatus = $('job-status');
    el.jobMessage = $('job-message');
    el.jobLog = $('job-log');
    el.jobMetrics = $('job-metrics');
    el.modelList = $('model-list');
    el.modelsRefresh = $('models-refresh');

    el.auditList = $('audit-list');
    el.auditFilter = $('audit-filter');
    el.auditRefresh = $('audit-refresh');
  }

  function bindEvents() {
    el.logout.addEventListener('click', logout);
    el.deniedLogout.addEventListener('click', logout);
    el.toast.addEventListener('click', function () { el.toast.hidden = true; });
    TAB_NAMES.forEach(function (name) {
      el['tab_' + name].addEventListener('click', function () { switchTab(name); });
    });

    // intents
    el.intentList.addEventListener('click', onIntentListClick);
    el.intentList.addEventListener('keydown', onIntentListKey);
    el.intentFilter.addEventListener('input', renderIntentList);
    el.intentsRefresh.addEventListener('click', function () {
      loadIntents();
      if (selectedIntent) selectIntent(selectedIntent);
    });
    el.exampleForm.addEventListener('submit', onExampleAdd);
    el.exampleInput.addEventListener('input', function () { hideFormError(el.exampleError); });
    el.exampleList.addEventListener('click', onExampleListClick);
    el.responseSave.addEventListener('click', onResponseSave);
    el.responseInput.addEventListener('input', function () { el.responseState.textContent = '未保存的修改'; });
    el.newIntentForm.addEventListener('submit', onNewIntent);
    el.synonymForm.addEventListener('submit', onSynonymAdd);
    el.synonymList.addEventListener('click', onSynonymListClick);
    el.synonymsRefresh.addEventListener('click', loadSynonyms);

    // knowledge base
    var debouncedSearch = debounce(searchKb, SEARCH_DEBOUNCE_MS);
    el.kbSearch.addEventListener('input', debouncedSearch);
    el.kbSearchForm.addEventListener('submit', function (e) { e.preventDefault(); searchKb(); });
    el.kbIncludeRetired.addEventListener('change', searchKb);
    el.kbList.addEventListener('click', onKbListClick);
    el.kbList.addEventListener('keydown', onKbListKey);
    el.kbForm.addEventListener('submit', onKbSave);
    el.kbRetire.addEventListener('click', onKbRetire);
    el.kbNew.addEventListener('click', function () { newKbEntry(); el.kbQuestion.focus(); });
    el.kbDryRun.addEventListener('click', function () { onKbImport(true); });
    el.kbImport.addEventListener('click', function () { onKbImport(false); });
    el.kbFile.addEventListener('change', function () {
      clear(el.kbImportResult);
      var f = el.kbFile.files && el.kbFile.files[0];
      if (f && !el.kbImportArea.value.trim()) {
        // the server accepts area names matching ^[a-z][a-z0-9_]{1,40}$
        var guess = f.name.replace(/\.[^.]+$/, '').toLowerCase().replace(/[^a-z0-9_]+/g, '_')
          .replace(/^[^a-z]+|_+$/g, '').slice(0, 41);
        if (/^[a-z][a-z0-9_]{1,40}$/.test(guess)) el.kbImportArea.value = guess;
      }
    });

    // unanswered
    el.unansweredList.addEventListener('click', onUnansweredClick);
    el.unansweredRefresh.addEventListener('click', loadUnanswered);

    // test console
    el.testForm.addEventListener('submit', onTest);

    // train & deploy
    el.trainStart.addEventListener('click', onTrainStart);
    el.modelList.addEventListener('click', onModelListClick);
    el.modelsRefresh.addEventListener('click', loadModels);

    // audit
    el.auditRefresh.addEventListener('click', loadAudit);
    el.auditFilter.addEventListener('input', renderAudit);
  }

  function init() {
    cacheElements();
    bindEvents();
    newKbEntry();
    session.start({ view: el.loginView, form: el.loginForm, username: el.loginUsername,
                    password: el.loginPassword, submit: el.loginSubmit, error: el.loginError });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
