/* 坐席工作台 — agent / supervisor console. Plain JS, no dependencies.
 * Contract: docs/bridge_api.md (auth, agent API, agent WebSocket, supervisor API).
 * All message text is rendered with textContent only. */
(function () {
  'use strict';

  var API = '/api/v1';
  var AUTH_KEY = 'bankcs.console.auth';
  var TYPING_THROTTLE_MS = 2000;
  var CUSTOMER_TYPING_MS = 3000;
  var SUPERVISOR_POLL_MS = 3000;
  var BACKOFF_START_MS = 1000;
  var BACKOFF_MAX_MS = 15000;
  var SEARCH_DEBOUNCE_MS = 250;
  var KB_DEBOUNCE_MS = 400;
  var TOAST_MS = 4000;
  var BASE_TITLE = '坐席工作台';

  var REASON_LABELS = {
    customer_request: '客户要求',
    repeated_fallback: '多次未识别',
    negative_feedback: '回答没帮助',
    complaint: '投诉',
    fraud_risk: '疑似诈骗',
    bot_request: '机器人转接'
  };
  var STATUS_LABELS = { online: '在线', away: '离开', offline: '离线' };
  var STATE_LABELS = { bot: '机器人', queued: '排队中', agent: '人工服务中', closed: '已结束' };
  var ROLE_LABELS = { agent: '坐席', supervisor: '班长', trainer: '训练师' };
  var FROM_LABELS = { customer: '客户', bot: '机器人', agent: '坐席', system: '系统' };

  var el = {};
  var me = null;               // Agent
  var convs = new Map();       // id -> ConversationSummary
  var unread = new Map();      // id -> count
  var selectedId = null;
  var selectSeq = 0;           // guards against stale detail answers
  var transcriptIds = new Set();
  var activeTab = 'chats';

  var ws = null;
  var wsWanted = false;
  var reconnectTimer = null;
  var backoffMs = BACKOFF_START_MS;

  var lastTypingSent = 0;
  var customerTypingTimer = null;
  var kbTimer = null;
  var cannedTimer = null;
  var cannedSeq = 0;
  var supervisorTimer = null;
  var toastTimer = null;

  /* ---------- helpers ---------- */

  var h = BankCS.h;
  var clear = BankCS.clear;
  var pad2 = BankCS.pad2;
  var formatTime = BankCS.formatTime;

  function formatDuration(seconds) {
    var s = Math.max(0, Math.round(Number(seconds) || 0));
    var m = Math.floor(s / 60);
    if (m >= 60) return Math.floor(m / 60) + '小时' + (m % 60) + '分';
    return m + '分' + pad2(s % 60) + '秒';
  }

  function reasonLabel(reason) {
    if (!reason) return '—';
    return REASON_LABELS[reason] || String(reason);
  }

  /* Conversation ids are long opaque strings; show a short prefix (full id in the tooltip). */
  function shortId(id) {
    var s = String(id);
    return s.length > 10 ? s.slice(0, 8) : s;
  }

  function customerLabel(c) {
    return c.customer_id ? '客户 ' + c.customer_id : '访客 #' + shortId(c.id);
  }

  function snippet(text, max) {
    var t = String(text || '').replace(/\s+/g, ' ').trim();
    return t.length > max ? t.slice(0, max) + '…' : t;
  }

  var debounce = BankCS.debounce;

  function showToast(text, kind) {
    el.toast.textContent = text || '操作失败，请稍后重试';
    el.toast.className = 'toast' + (kind === 'ok' ? ' toast-ok' : '');
    el.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.toast.hidden = true; }, TOAST_MS);
  }

  function toastError(err) {
    if (err && err.status === 401) return;   // handled by the logout flow
    showToast(err && err.detail ? err.detail : String(err));
  }

  /* ---------- HTTP ---------- */

  /* The signed-in member (session.auth()), their API client, sign-in, sign-out and expiry. */
  var session = BankCS.staffSession({ key: AUTH_KEY, base: API, onEnter: enterApp, onLeave: leaveApp });
  var api = session.api;

  function convPath(id, suffix) {
    return '/agent/conversations/' + encodeURIComponent(id) + (suffix || '');
  }

  /* ---------- auth ---------- */

  function leaveApp() {
    disconnectWs();
    stopSupervisorPolling();
    resetWorkbench();
    el.workbench.hidden = true;
    el.trainerView.hidden = true;
  }

  function enterApp(auth) {
    if (auth.role === 'trainer') {
      el.trainerView.hidden = false;
      el.workbench.hidden = true;
      return;
    }
    el.trainerView.hidden = true;
    el.workbench.hidden = false;
    el.meName.textContent = (auth.display_name || auth.username) + '（' + (ROLE_LABELS[auth.role] || auth.role) + '）';
    el.tabSupervisor.hidden = auth.role !== 'supervisor';
    switchTab('chats');
    loadMe();
    loadConversations();
    loadCanned('');
    loadLeaveMessages();
    connectWs();
  }

  function resetWorkbench() {
    me = null;
    convs.clear();
    unread.clear();
    clearSelection();
    clear(el.convList);
    clear(el.leaveList);
    clear(el.cannedList);
    el.cannedSearch.value = '';
    el.queueLength.textContent = '–';
    el.load.textContent = '–';
    el.leaveCount.hidden = true;
    renderConvList();
    updateTitle();
  }

  /* ---------- my status ---------- */

  function loadMe() {
    return api('GET', '/agent/me').then(applyMe, toastError);
  }

  function applyMe(agent) {
    if (!agent) return;
    me = agent;
    el.status.value = agent.status || 'offline';
    el.capacity.value = agent.capacity != null ? agent.capacity : '';
    el.load.textContent = (agent.load != null ? agent.load : 0) + ' / ' + (agent.capacity != null ? agent.capacity : '–');
    var skills = Array.isArray(agent.skills) ? agent.skills : [];
    skillBoxes().forEach(function (box) { box.checked = skills.indexOf(box.value) !== -1; });
  }

  function skillBoxes() {
    return Array.prototype.slice.call(el.skills.querySelectorAll('input[name="skill"]'));
  }

  function patchMe(body) {
    return api('PATCH', '/agent/me', body).then(function (agent) {
      applyMe(agent);
      showToast('已更新', 'ok');
    }, function (err) {
      toastError(err);
      applyMe(me);   // put the controls back to the server's values
    });
  }

  function onStatusChange() {
    patchMe({ status: el.status.value });
  }

  function onCapacityChange() {
    var n = Number(el.capacity.value);
    if (!Number.isInteger(n) || n < 1 || n > 20) {
      showToast('接待上限须为 1–20 的整数');
      applyMe(me);
      return;
    }
    patchMe({ capacity: n });
  }

  function onSkillsChange() {
    var skills = skillBoxes().filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    patchMe({ skills: skills });
  }

  /* ---------- tabs ---------- */

  function switchTab(name) {
    activeTab = name;
    var tabs = { chats: [el.tabChats, el.chatsView], leave: [el.tabLeave, el.leaveView],
                 supervisor: [el.tabSupervisor, el.supervisor] };
    Object.keys(tabs).forEach(function (key) {
      var on = key === name;
      tabs[key][0].setAttribute('aria-selected', on ? 'true' : 'false');
      tabs[key][0].classList.toggle('active', on);
      tabs[key][1].hidden = !on;
    });
    if (name === 'leave') loadLeaveMessages();
    if (name === 'supervisor') startSupervisorPolling();
    else stopSupervisorPolling();
  }

  /* ---------- conversation list ---------- */

  function loadConversations() {
    return api('GET', '/agent/conversations').then(function (list) {
      var fresh = new Map();
      (Array.isArray(list) ? list : []).forEach(function (c) { fresh.set(String(c.id), c); });
      convs = fresh;
      unread.forEach(function (_, id) { if (!convs.has(id)) unread.delete(id); });
      renderConvList();
      if (selectedId !== null) {
        if (convs.has(selectedId)) refreshSelected();
        else clearSelection();
      }
    }, toastError);
  }

  function sortedConvs() {
    return Array.from(convs.values()).sort(function (a, b) {
      var ta = Date.parse(a.assigned_at || a.queued_at || '') || 0;
      var tb = Date.parse(b.assigned_at || b.queued_at || '') || 0;
      return ta - tb || Number(a.id) - Number(b.id);
    });
  }

  function renderConvList() {
    clear(el.convList);
    var list = sortedConvs();
    list.forEach(function (c) { el.convList.appendChild(renderConvItem(c)); });
    el.convEmpty.hidden = list.length > 0;
    el.convCount.textContent = list.length ? '（' + list.length + '）' : '';
    updateTitle();
  }

  function renderConvItem(c) {
    var id = String(c.id);
    var item = h('li', 'conv-item');
    item.dataset.id = id;
    item.title = '会话 ' + id;
    item.tabIndex = 0;
    item.setAttribute('role', 'button');
    var selected = id === selectedId;
    if (selected) item.classList.add('selected');
    item.setAttribute('aria-current', selected ? 'true' : 'false');

    var top = h('div', 'conv-item-top');
    top.appendChild(h('span', 'conv-item-name', customerLabel(c)));
    var count = unread.get(id) || 0;
    if (count > 0) {
      var badge = h('span', 'unread-badge', count > 99 ? '99+' : count);
      badge.setAttribute('aria-label', count + ' 条未读');
      top.appendChild(badge);
    }
    item.appendChild(top);

    var tags = h('div', 'conv-item-tags');
    tags.appendChild(h('span', 'tag tag-skill', c.skill_group || '未分组'));
    tags.appendChild(h('span', 'tag tag-reason reason-' + (c.handoff_reason || 'none'), reasonLabel(c.handoff_reason)));
    if (c.state && c.state !== 'agent') tags.appendChild(h('span', 'tag', STATE_LABELS[c.state] || c.state));
    item.appendChild(tags);

    var last = c.last_message;
    var line = h('div', 'conv-item-last');
    line.appendChild(h('span', 'conv-item-text', last ? snippet(last.text, 40) : '（暂无消息）'));
    if (last && last.created_at) line.appendChild(h('span', 'conv-item-time', formatTime(last.created_at)));
    item.appendChild(line);
    return item;
  }

  function updateTitle() {
    var total = 0;
    unread.forEach(function (n) { total += n; });
    document.title = total > 0 ? '(' + total + ') ' + BASE_TITLE : BASE_TITLE;
  }

  function upsertConv(c) {
    if (!c || c.id === undefined || c.id === null) return;
    convs.set(String(c.id), c);
    renderConvList();
  }

  function removeConv(id) {
    id = String(id);
    convs.delete(id);
    unread.delete(id);
    if (selectedId === id) clearSelection();
    renderConvList();
  }

  /* ---------- selected conversation ---------- */

  function selectConversation(id) {
    id = String(id);
    if (!convs.has(id)) return;
    var changed = selectedId !== id;
    selectedId = id;
    unread.set(id, 0);
    renderConvList();
    if (!changed) return;
    transcriptIds.clear();
    clear(el.transcript);
    hideCustomerTyping();
    el.reply.value = '';
    onReplyInput();
    el.transferGroup.value = '';
    el.transferAgent.value = '';
    el.noSelection.hidden = true;
    el.convPane.hidden = false;
    renderConvHeader(convs.get(id));
    setPanelNote(el.context, '加载中…');
    setPanelNote(el.kbSuggestions, '加载中…');
    refreshSelected();
    el.reply.focus();
  }

  function refreshSelected() {
    if (selectedId === null) return Promise.resolve();
    var id = selectedId;
    var seq = ++selectSeq;
    return api('GET', convPath(id)).then(function (detail) {
      if (seq !== selectSeq || id !== selectedId || !detail) return;
      var summary = Object.assign({}, convs.get(id) || {}, detail);
      delete summary.messages;
      delete summary.handoff;
      convs.set(id, summary);
      renderConvHeader(detail);
      renderContext(detail.handoff, detail);
      appendMessages(detail.messages);
      loadKbSuggestions();
    }, function (err) {
      if (seq !== selectSeq) return;
      toastError(err);
      if (err.status === 404 || err.status === 403) removeConv(id);
    });
  }

  function clearSelection() {
    selectedId = null;
    selectSeq++;
    transcriptIds.clear();
    clear(el.transcript);
    hideCustomerTyping();
    el.convPane.hidden = true;
    el.noSelection.hidden = false;
    setPanelNote(el.context, '未选择会话');
    setPanelNote(el.kbSuggestions, '未选择会话');
  }

  function renderConvHeader(c) {
    if (!c) return;
    el.convTitle.textContent = customerLabel(c) + ' · 会话 #' + shortId(c.id);
    el.convTitle.title = '会话 ' + c.id;
    var parts = [
      '技能组：' + (c.skill_group || '未分组'),
      '原因：' + reasonLabel(c.handoff_reason),
      '状态：' + (STATE_LABELS[c.state] || c.state || '—')
    ];
    if (c.assigned_at) parts.push('接入：' + formatTime(c.assigned_at));
    el.convMeta.textContent = parts.join('　');
  }

  /* ---------- transcript ---------- */

  function appendMessages(list) {
    if (!Array.isArray(list)) return;
    list.slice().sort(function (a, b) { return Number(a.id) - Number(b.id); }).forEach(appendMessage);
  }

  function appendMessage(m) {
    if (!m || m.id === undefined || m.id === null) return;
    var id = Number(m.id);
    if (!isFinite(id) || transcriptIds.has(id)) return;
    transcriptIds.add(id);
    var box = el.transcript;
    var stick = box.scrollHeight - box.scrollTop - box.clientHeight < 80 || m.from === 'agent';
    insertSorted(renderMessage(m, id), id);
    if (stick) box.scrollTop = box.scrollHeight;
  }

  function insertSorted(node, id) {
    var items = el.transcript.querySelectorAll('.msg');
    for (var i = items.length - 1; i >= 0; i--) {
      if (Number(items[i].dataset.id) < id) {
        items[i].after(node);
        return;
      }
    }
    el.transcript.prepend(node);
  }

  function renderMessage(m, id) {
    var from = FROM_LABELS[m.from] ? m.from : 'bot';
    var row = h('div', 'msg from-' + from);
    row.dataset.id = String(id);
    var meta = h('div', 'msg-meta');
    var who = from === 'agent' ? (m.agent_name || FROM_LABELS.agent) : FROM_LABELS[from];
    meta.appendChild(h('span', 'msg-who', who));
    meta.appendChild(h('span', 'msg-time', formatTime(m.created_at)));
    row.appendChild(meta);
    if (m.text) row.appendChild(h('div', 'bubble', m.text));
    if (Array.isArray(m.buttons) && m.buttons.length) {
      var btns = h('div', 'msg-buttons');
      btns.setAttribute('aria-label', '消息按钮');
      m.buttons.forEach(function (b) { btns.appendChild(h('span', 'msg-button', b.title || b.payload)); });
      row.appendChild(btns);
    }
    return row;
  }

  /* ---------- context panel ---------- */

  function setPanelNote(panel, text) {
    clear(panel);
    panel.appendChild(h('p', 'empty', text));
  }

  function renderContext(handoff, summary) {
    clear(el.context);
    var reason = (handoff && handoff.reason) || (summary && summary.handoff_reason);
    var dl = h('dl', 'kv');
    addKv(dl, '转人工原因', reasonLabel(reason));
    if (!handoff) {
      el.context.appendChild(dl);
      el.context.appendChild(h('p', 'empty', '无机器人转接上下文'));
      return;
    }
    addKv(dl, '识别意图', handoff.intent || '—');
    addKv(dl, '置信度', formatConfidence(handoff.confidence));
    el.context.appendChild(dl);
    el.context.appendChild(renderSlots(handoff.slots));
    el.context.appendChild(renderKbCandidates(handoff.kb));
  }

  function addKv(dl, key, value) {
    dl.appendChild(h('dt', '', key));
    dl.appendChild(h('dd', '', value));
  }

  function formatConfidence(c) {
    if (typeof c !== 'number' || !isFinite(c)) return '—';
    return (c <= 1 ? (c * 100).toFixed(1) : c.toFixed(1)) + '%';
  }

  function formatValue(v) {
    if (v === null || v === undefined || v === '') return '—';
    return typeof v === 'string' ? v : JSON.stringify(v);
  }

  function renderSlots(slots) {
    var wrap = h('div', 'context-block');
    wrap.appendChild(h('h4', 'block-title', '槽位'));
    var keys = slots && typeof slots === 'object' ? Object.keys(slots) : [];
    if (!keys.length) {
      wrap.appendChild(h('p', 'empty', '无'));
      return wrap;
    }
    var dl = h('dl', 'kv');
    keys.forEach(function (k) { addKv(dl, k, formatValue(slots[k])); });
    wrap.appendChild(dl);
    return wrap;
  }

  function renderKbCandidates(kb) {
    var wrap = h('div', 'context-block');
    wrap.appendChild(h('h4', 'block-title', '知识库候选'));
    if (kb && kb.query) wrap.appendChild(h('p', 'kb-query', '检索：' + kb.query));
    var cands = kb && Array.isArray(kb.candidates) ? kb.candidates : [];
    if (!cands.length) {
      wrap.appendChild(h('p', 'empty', '无'));
      return wrap;
    }
    var ul = h('ul', 'cand-list');
    cands.forEach(function (c) {
      var li = h('li', 'cand-item');
      li.appendChild(h('span', 'cand-q', c.question || c.entry_id));
      li.appendChild(h('span', 'score', formatScore(c.score)));
      ul.appendChild(li);
    });
    wrap.appendChild(ul);
    return wrap;
  }

  function formatScore(s) {
    return typeof s === 'number' && isFinite(s) ? s.toFixed(2) : '—';
  }

  /* ---------- KB suggestions ---------- */

  function loadKbSuggestions() {
    if (selectedId === null) return;
    var id = selectedId;
    api('GET', '/agent/kb-suggestions?conversation_id=' + encodeURIComponent(id)).then(function (list) {
      if (id !== selectedId) return;
      renderKbSuggestions(Array.isArray(list) ? list : []);
    }, function (err) {
      if (id !== selectedId) return;
      setPanelNote(el.kbSuggestions, '知识库推荐加载失败');
      toastError(err);
    });
  }

  var scheduleKbRefresh = debounce(loadKbSuggestions, KB_DEBOUNCE_MS);

  function renderKbSuggestions(list) {
    if (!list.length) {
      setPanelNote(el.kbSuggestions, '暂无推荐');
      return;
    }
    clear(el.kbSuggestions);
    list.forEach(function (s) {
      var item = h('div', 'kb-item');
      item.dataset.entryId = s.entry_id;
      var head = h('div', 'kb-head');
      head.appendChild(h('span', 'kb-question', s.question || ''));
      head.appendChild(h('span', 'score', formatScore(s.score)));
      item.appendChild(head);
      item.appendChild(h('div', 'kb-answer', s.answer || ''));
      var btn = h('button', 'btn btn-small kb-insert', '插入');
      btn.type = 'button';
      btn.setAttribute('aria-label', '插入答案：' + (s.question || ''));
      btn.addEventListener('click', function () { insertIntoReply(s.answer || ''); });
      item.appendChild(btn);
      el.kbSuggestions.appendChild(item);
    });
  }

  /* ---------- canned responses ---------- */

  function loadCanned(q) {
    var seq = ++cannedSeq;
    api('GET', '/agent/canned?q=' + encodeURIComponent(q || '')).then(function (list) {
      if (seq === cannedSeq) renderCanned(Array.isArray(list) ? list : []);
    }, toastError);
  }

  var onCannedSearch = debounce(function () { loadCanned(el.cannedSearch.value.trim()); }, SEARCH_DEBOUNCE_MS);

  function renderCanned(list) {
    clear(el.cannedList);
    if (!list.length) {
      el.cannedList.appendChild(h('li', 'empty', '无匹配的快捷回复'));
      return;
    }
    list.forEach(function (c) {
      var li = h('li');
      var btn = h('button', 'canned-item');
      btn.type = 'button';
      btn.dataset.id = c.id;
      var head = h('span', 'canned-head');
      head.appendChild(h('span', 'canned-title', c.title || ''));
      if (c.skill_group) head.appendChild(h('span', 'tag', c.skill_group));
      btn.appendChild(head);
      btn.appendChild(h('span', 'canned-text', c.text || ''));
      btn.addEventListener('click', function () { insertIntoReply(c.text || ''); });
      li.appendChild(btn);
      el.cannedList.appendChild(li);
    });
  }

  /* ---------- reply box ---------- */

  function insertIntoReply(text) {
    if (selectedId === null) {
      showToast('请先选择一个会话');
      return;
    }
    var current = el.reply.value;
    el.reply.value = current.trim() ? current.replace(/\s+$/, '') + '\n' + text : text;
    onReplyInput();
    el.reply.focus();
    el.reply.setSelectionRange(el.reply.value.length, el.reply.value.length);
  }

  function onReplyInput() {
    el.replySend.disabled = el.reply.value.trim().length === 0;
  }

  function onReplyTyping() {
    onReplyInput();
    if (selectedId === null || !el.reply.value.trim()) return;
    var now = Date.now();
    if (now - lastTypingSent < TYPING_THROTTLE_MS) return;
    lastTypingSent = now;
    api('POST', convPath(selectedId, '/typing')).catch(function () { /* best effort */ });
  }

  function sendReply() {
    var text = el.reply.value.trim();
    if (!text || selectedId === null) return;
    var id = selectedId;
    el.replySend.disabled = true;
    api('POST', convPath(id, '/messages'), { text: text }).then(function (msg) {
      if (el.reply.value.trim() === text) el.reply.value = '';
      if (id === selectedId) appendMessage(msg);
      updateLastMessage(id, msg);
    }, toastError).then(onReplyInput);
  }

  function onReplyKeydown(e) {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    sendReply();
  }

  function updateLastMessage(id, msg) {
    var c = convs.get(String(id));
    if (!c || !msg) return;
    c.last_message = msg;
    renderConvList();
  }

  /* ---------- transfer / close ---------- */

  function transferSelected() {
    if (selectedId === null) return;
    var group = el.transferGroup.value;
    var agent = el.transferAgent.value.trim();
    if (!group && !agent) {
      showToast('请选择技能组或填写坐席用户名');
      return;
    }
    var body = {};
    if (group) body.skill_group = group;
    if (agent) body.agent = agent;
    var id = selectedId;
    el.transferSubmit.disabled = true;
    api('POST', convPath(id, '/transfer'), body).then(function (summary) {
      showToast('已转接' + (agent ? '给坐席 ' + agent : '到' + group + '技能组'), 'ok');
      if (summary && me && summary.agent === me.username) upsertConv(summary);
      else removeConv(id);
      loadMe();
    }, toastError).then(function () { el.transferSubmit.disabled = false; });
  }

  function closeSelected() {
    if (selectedId === null) return;
    var id = selectedId;
    el.closeConv.disabled = true;
    api('POST', convPath(id, '/close')).then(function () {
      showToast('会话已结束，已向客户发送满意度调查', 'ok');
      removeConv(id);
      loadMe();
    }, toastError).then(function () { el.closeConv.disabled = false; });
  }

  /* ---------- customer typing ---------- */

  function showCustomerTyping() {
    el.customerTyping.hidden = false;
    clearTimeout(customerTypingTimer);
    customerTypingTimer = setTimeout(hideCustomerTyping, CUSTOMER_TYPING_MS);
  }

  function hideCustomerTyping() {
    clearTimeout(customerTypingTimer);
    el.customerTyping.hidden = true;
  }

  /* ---------- leave messages ---------- */

  function loadLeaveMessages() {
    return api('GET', '/agent/leave-messages?status=open').then(function (list) {
      renderLeaveMessages(Array.isArray(list) ? list : []);
    }, toastError);
  }

  function renderLeaveMessages(list) {
    clear(el.leaveList);
    list.forEach(function (m) { el.leaveList.appendChild(renderLeaveItem(m)); });
    updateLeaveCount();
  }

  function updateLeaveCount() {
    var n = el.leaveList.querySelectorAll('.leave-item').length;
    el.leaveEmpty.hidden = n > 0;
    el.leaveCount.hidden = n === 0;
    el.leaveCount.textContent = String(n);
  }

  function renderLeaveItem(m) {
    var li = h('li', 'leave-item');
    li.dataset.id = m.id;
    var head = h('div', 'leave-head');
    head.appendChild(h('span', 'leave-who', m.customer_id ? '客户 ' + m.customer_id : '访客'));
    head.appendChild(h('span', 'leave-phone', '回拨号码：' + (m.callback_number || '未留')));
    if (m.conversation_id !== undefined && m.conversation_id !== null) {
      head.appendChild(h('span', 'muted', '会话 #' + shortId(m.conversation_id)));
    }
    head.appendChild(h('span', 'muted', formatTime(m.created_at)));
    li.appendChild(head);
    li.appendChild(h('div', 'leave-text', m.text || ''));
    var btn = h('button', 'btn btn-small btn-primary leave-close', '处理完成');
    btn.type = 'button';
    btn.addEventListener('click', function () { closeLeaveMessage(m.id, li, btn); });
    li.appendChild(btn);
    return li;
  }

  function closeLeaveMessage(id, li, btn) {
    btn.disabled = true;
    api('POST', '/agent/leave-messages/' + encodeURIComponent(id) + '/close').then(function () {
      li.remove();
      updateLeaveCount();
      showToast('留言已处理', 'ok');
    }, function (err) {
      btn.disabled = false;
      toastError(err);
    });
  }

  /* ---------- supervisor ---------- */

  function startSupervisorPolling() {
    stopSupervisorPolling();
    var auth = session.auth();
    if (!auth || auth.role !== 'supervisor') return;
    pollOverview();
  }

  function stopSupervisorPolling() {
    clearTimeout(supervisorTimer);
    supervisorTimer = null;
  }

  function pollOverview() {
    api('GET', '/supervisor/overview').then(function (data) {
      if (activeTab !== 'supervisor' || !session.auth()) return;
      renderOverview(data || {});
      supervisorTimer = setTimeout(pollOverview, SUPERVISOR_POLL_MS);
    }, function (err) {
      if (activeTab !== 'supervisor' || !session.auth()) return;
      toastError(err);
      if (err.status !== 401 && err.status !== 403) {
        supervisorTimer = setTimeout(pollOverview, SUPERVISOR_POLL_MS);
      }
    });
  }

  function renderOverview(data) {
    var queue = Array.isArray(data.queue) ? data.queue : [];
    var agents = Array.isArray(data.agents) ? data.agents : [];
    var live = Array.isArray(data.live) ? data.live : [];
    el.queueLength.textContent = String(queue.length);
    var online = agents.filter(function (a) { return a.status === 'online'; }).length;
    el.svSummary.textContent = '排队 ' + queue.length + ' · 在线坐席 ' + online + '/' + agents.length +
      ' · 进行中 ' + live.length + ' · 待处理留言 ' + (data.leave_messages_open || 0);
    el.svUpdated.textContent = '更新于 ' + formatTime(new Date().toISOString());
    fillTable(el.svQueue, queue, 5, '当前无排队', function (q) {
      return [q.position, '#' + shortId(q.conversation_id), formatDuration(q.waiting_s),
              q.skill_group || '未分组', reasonLabel(q.handoff_reason)];
    });
    fillTable(el.svAgents, agents, 5, '暂无坐席', function (a) {
      return [(a.display_name || a.username) + '（' + a.username + '）', ROLE_LABELS[a.role] || a.role,
              STATUS_LABELS[a.status] || a.status, (a.load || 0) + ' / ' + (a.capacity != null ? a.capacity : '–'),
              (a.skills || []).join('、') || '—'];
    });
    fillTable(el.svLive, live, 8, '暂无进行中的会话', function (c) {
      return ['#' + shortId(c.id), c.customer_id || '访客', c.agent || '—', c.skill_group || '未分组',
              STATE_LABELS[c.state] || c.state, reasonLabel(c.handoff_reason), formatTime(c.assigned_at) || '—',
              c.last_message ? snippet(c.last_message.text, 30) : '—'];
    });
  }

  function fillTable(tbody, rows, columns, emptyText, toCells) {
    clear(tbody);
    if (!rows.length) {
      var tr = h('tr', 'empty-row');
      var td = h('td', 'empty', emptyText);
      td.colSpan = columns;
      tr.appendChild(td);
      tbody.appendChild(tr);
      return;
    }
    rows.forEach(function (row) {
      var tr = h('tr');
      toCells(row).forEach(function (cell) {
        tr.appendChild(h('td', '', cell === undefined || cell === null ? '—' : cell));
      });
      tbody.appendChild(tr);
    });
  }

  /* ---------- agent WebSocket ---------- */

  function wsUrl() {
    var proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return proto + '//' + location.host + API + '/agent/ws?token=' + encodeURIComponent(session.auth().token);
  }

  function setConn(ok, text) {
    el.connStatus.textContent = text;
    el.connStatus.classList.toggle('conn-ok', ok);
    el.connStatus.classList.toggle('conn-bad', !ok);
  }

  function connectWs() {
    if (!session.auth()) return;
    wsWanted = true;
    clearTimeout(reconnectTimer);
    closeSocket();
    var sock;
    try {
      sock = new WebSocket(wsUrl());
    } catch (e) {
      onSocketLost();
      return;
    }
    ws = sock;
    var wasReconnect = backoffMs !== BACKOFF_START_MS || el.connStatus.classList.contains('conn-bad');
    sock.onopen = function () {
      if (ws !== sock) return;
      backoffMs = BACKOFF_START_MS;
      setConn(true, '已连接');
      if (wasReconnect) refreshAfterReconnect();
    };
    sock.onmessage = function (ev) {
      if (ws === sock) handleEvent(parseJson(ev.data));
    };
    sock.onerror = function () { /* a close event follows */ };
    sock.onclose = function () {
      if (ws !== sock) return;
      ws = null;
      if (wsWanted) onSocketLost();
    };
  }

  function onSocketLost() {
    setConn(false, '连接断开，正在重连…');
    clearTimeout(reconnectTimer);
    var delay = backoffMs;
    backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS);
    reconnectTimer = setTimeout(reconnect, delay);
  }

  /* Checks the token first so an expired session goes back to the login form instead of looping. */
  function reconnect() {
    if (!wsWanted || !session.auth()) return;
    api('GET', '/agent/me').then(function (agent) {
      applyMe(agent);
      if (wsWanted && session.auth()) connectWs();
    }, function (err) {
      if (err.status === 401 || !wsWanted || !session.auth()) return;
      onSocketLost();
    });
  }

  function reconnectNow() {
    if (!wsWanted || ws || !session.auth()) return;
    backoffMs = BACKOFF_START_MS;
    clearTimeout(reconnectTimer);
    reconnect();
  }

  function refreshAfterReconnect() {
    loadConversations();
    loadLeaveMessages();
  }

  function closeSocket() {
    if (!ws) return;
    var old = ws;
    ws = null;
    try { old.close(); } catch (e) { /* ignore */ }
  }

  function disconnectWs() {
    wsWanted = false;
    clearTimeout(reconnectTimer);
    closeSocket();
    backoffMs = BACKOFF_START_MS;
    el.connStatus.classList.remove('conn-ok', 'conn-bad');
    el.connStatus.textContent = '连接中…';
  }

  function parseJson(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  function handleEvent(ev) {
    if (!ev || typeof ev !== 'object') return;
    switch (ev.type) {
      case 'assigned': onAssigned(ev.conversation); break;
      case 'unassigned': onUnassigned(ev.conversation_id); break;
      case 'message': onMessageEvent(String(ev.conversation_id), ev.message); break;
      case 'typing':
        if (String(ev.conversation_id) === selectedId) showCustomerTyping();
        break;
      case 'queue':
        if (typeof ev.length === 'number') el.queueLength.textContent = String(ev.length);
        break;
      default: break;
    }
  }

  function onAssigned(c) {
    if (!c || c.id === undefined || c.id === null) return;
    var id = String(c.id);
    var isNew = !convs.has(id);
    if (isNew && id !== selectedId) unread.set(id, Math.max(1, unread.get(id) || 0));
    upsertConv(c);
    if (isNew) showToast('新会话接入：' + customerLabel(c) + '（' + (c.skill_group || '未分组') + '）', 'ok');
    if (id === selectedId) refreshSelected();
    loadMe();
  }

  function onUnassigned(conversationId) {
    var id = String(conversationId);
    if (!convs.has(id)) return;
    var c = convs.get(id);
    removeConv(id);
    showToast(customerLabel(c) + ' 的会话已转出或客户已离开');
    loadMe();
  }

  function onMessageEvent(id, msg) {
    if (!msg) return;
    if (!convs.has(id)) {
      loadConversations();
      return;
    }
    if (id === selectedId) {
      if (msg.from === 'customer') {
        hideCustomerTyping();
        scheduleKbRefresh();
      }
      appendMessage(msg);
    } else if (msg.from === 'customer') {
      unread.set(id, (unread.get(id) || 0) + 1);
    }
    updateLastMessage(id, msg);
  }

  /* ---------- wiring ---------- */

  function cacheElements() {
    var ids = ['login-view', 'login-form', 'login-username', 'login-password', 'login-submit', 'login-error',
      'trainer-view', 'trainer-logout', 'workbench', 'tab-chats', 'tab-leave', 'tab-supervisor', 'leave-count',
      'queue-length', 'conn-status', 'me-name', 'logout', 'status', 'capacity', 'load', 'skills',
      'chats-view', 'conv-list', 'conv-count', 'conv-empty', 'no-selection', 'conv-pane', 'conv-title',
      'conv-meta', 'transfer-group', 'transfer-agent', 'transfer-submit', 'close-conv', 'transcript',
      'customer-typing', 'reply-form', 'reply', 'reply-send', 'context', 'kb-suggestions', 'canned-search',
      'canned-list', 'leave-view', 'leave-refresh', 'leave-list', 'leave-empty', 'supervisor', 'sv-summary',
      'sv-updated', 'sv-queue', 'sv-agents', 'sv-live', 'toast'];
    ids.forEach(function (id) {
      var key = id.replace(/-([a-z])/g, function (_, c) { return c.toUpperCase(); });
      el[key] = document.getElementById(id);
    });
  }

  function bindConvList() {
    el.convList.addEventListener('click', function (e) {
      var item = e.target.closest('.conv-item');
      if (item) selectConversation(item.dataset.id);
    });
    el.convList.addEventListener('keydown', function (e) {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      var item = e.target.closest('.conv-item');
      if (!item) return;
      e.preventDefault();
      selectConversation(item.dataset.id);
    });
  }

  function bindEvents() {
    el.logout.addEventListener('click', session.logout);
    el.trainerLogout.addEventListener('click', session.logout);
    el.tabChats.addEventListener('click', function () { switchTab('chats'); });
    el.tabLeave.addEventListener('click', function () { switchTab('leave'); });
    el.tabSupervisor.addEventListener('click', function () { switchTab('supervisor'); });
    el.status.addEventListener('change', onStatusChange);
    el.capacity.addEventListener('change', onCapacityChange);
    el.skills.addEventListener('change', onSkillsChange);
    bindConvList();
    el.replyForm.addEventListener('submit', function (e) { e.preventDefault(); sendReply(); });
    el.reply.addEventListener('input', onReplyTyping);
    el.reply.addEventListener('keydown', onReplyKeydown);
    el.transferSubmit.addEventListener('click', transferSelected);
    el.closeConv.addEventListener('click', closeSelected);
    el.cannedSearch.addEventListener('input', onCannedSearch);
    el.leaveRefresh.addEventListener('click', loadLeaveMessages);
    window.addEventListener('online', reconnectNow);
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible') reconnectNow();
    });
  }

  function init() {
    cacheElements();
    bindEvents();
    clearSelection();
    session.start({ view: el.loginView, form: el.loginForm, username: el.loginUsername,
                    password: el.loginPassword, submit: el.loginSubmit, error: el.loginError });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
