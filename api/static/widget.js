/* 智能客服 — customer chat widget (mobile H5). Plain JS, no dependencies.
 * Contract: docs/bridge_api.md (customer API + customer WebSocket).
 * Message text is only ever rendered with textContent. */
(function () {
  'use strict';

  var API = '/api/v1';
  var STORE_KEY = 'bankcs.widget.conversation';
  var MAX_LEN = 1000;
  var COUNTER_FROM = 800;
  var REMOTE_TYPING_MS = 3000;
  var TYPING_THROTTLE_MS = 2000;
  var BACKOFF_START_MS = 1000;
  var BACKOFF_MAX_MS = 15000;
  var TOAST_MS = 4000;
  var INPUT_MAX_PX = 120;

  var QUICK_REPLIES = [
    { title: '转人工', payload: '/human_handoff', handoff: true },
    { title: '挂失', text: '挂失' },
    { title: '转账限额', text: '转账限额' },
    { title: '网点营业时间', text: '网点营业时间' },
    { title: '留言', payload: '/leave_message' }
  ];

  var FROM_KINDS = ['customer', 'bot', 'agent', 'system'];

  var el = {};
  var conv = newConvState();
  var rendered = new Map();   // message id -> element
  var session = 0;            // bumped on every new conversation; stale async results are dropped

  var ws = null;
  var wsWanted = false;
  var reconnectTimer = null;
  var backoffMs = BACKOFF_START_MS;

  var pendingRequests = 0;
  var remoteTyping = false;
  var remoteTypingTimer = null;
  var lastTypingSent = 0;
  var toastTimer = null;

  function newConvState() {
    return { id: null, token: null, state: 'bot', agentName: null, lastId: 0,
             queuePos: null, queueWait: null };
  }

  /* ---------- small DOM helpers ---------- */

  var h = BankCS.h;

  function isNearBottom() {
    var box = el.messages;
    return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  }

  function scrollToBottom() {
    el.messages.scrollTop = el.messages.scrollHeight;
  }

  function formatTime(iso) { return BankCS.formatTime(iso, true); }

  /* ---------- toast ---------- */

  function showToast(text) {
    el.toast.textContent = text || '操作失败，请稍后重试';
    el.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.toast.hidden = true; }, TOAST_MS);
  }

  /* ---------- HTTP ---------- */

  /* opts.anonymous: no conversation token (creating the conversation). */
  var api = BankCS.apiClient({ base: API, token: function () { return conv.token; } });

  function convPath(suffix) {
    return '/conversations/' + encodeURIComponent(conv.id) + suffix;
  }

  function isGone(err) {
    return err && (err.status === 401 || err.status === 404);
  }

  /* ---------- persistence ---------- */

  function loadSaved() {
    try {
      var raw = localStorage.getItem(STORE_KEY);
      var data = raw ? JSON.parse(raw) : null;
      if (data && data.id !== undefined && data.id !== null && data.token) return data;
    } catch (e) { /* unreadable storage: start over */ }
    return null;
  }

  function save() {
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify({ id: conv.id, token: conv.token }));
    } catch (e) { /* private mode: the chat still works for this page */ }
  }

  function clearSaved() {
    try { localStorage.removeItem(STORE_KEY); } catch (e) { /* ignore */ }
  }

  /* ---------- conversation lifecycle ---------- */

  function start() {
    var saved = loadSaved();
    if (!saved) return createConversation();
    conv.id = saved.id;
    conv.token = saved.token;
    var mySession = session;
    return api('GET', convPath('/messages')).then(function (data) {
      if (mySession !== session) return;
      applyPayload(data);
      connectWs();
    }, function (err) {
      if (mySession !== session) return;
      if (isGone(err)) return resetConversation();
      // Server unreachable: keep the conversation, the reconnect loop will fill it in.
      showToast(err.detail);
      connectWs();
    });
  }

  function createConversation() {
    var mySession = session;
    removeRetryNotice();
    return api('POST', '/conversations', { channel: 'web' }, { anonymous: true }).then(function (data) {
      if (mySession !== session) return;
      conv.id = data.id;
      conv.token = data.token;
      save();
      applyPayload(data);
      connectWs();
    }, function (err) {
      if (mySession !== session) return;
      showToast(err.detail);
      showRetryNotice();
    });
  }

  function resetConversation(notice) {
    session += 1;
    disconnectWs();
    clearSaved();
    conv = newConvState();
    rendered.clear();
    el.messages.textContent = '';
    pendingRequests = 0;
    hideRemoteTyping();
    setConnBanner(false);
    renderBanners();
    if (notice) showToast(notice);
    return createConversation();
  }

  function showRetryNotice() {
    removeRetryNotice();
    var box = h('div', 'notice');
    box.id = 'retry-notice';
    box.appendChild(h('p', 'notice-text', '暂时无法连接客服，请检查网络后重试'));
    var btn = h('button', 'notice-btn', '重试');
    btn.type = 'button';
    btn.addEventListener('click', function () { createConversation(); });
    box.appendChild(btn);
    el.messages.appendChild(box);
  }

  function removeRetryNotice() {
    var old = document.getElementById('retry-notice');
    if (old) old.remove();
  }

  /* Applies a create/send/history answer: messages, state, queue figures. */
  function applyPayload(data) {
    if (!data) return;
    addMessages(data.messages);
    if (typeof data.queue_position === 'number') conv.queuePos = data.queue_position;
    if (typeof data.estimated_wait_s === 'number') conv.queueWait = data.estimated_wait_s;
    setState(data.state, data.agent_name);
  }

  function setState(state, agentName) {
    if (state) conv.state = state;
    if (agentName) conv.agentName = agentName;
    if (conv.state === 'bot' || conv.state === 'closed') conv.agentName = null;
    if (conv.state !== 'queued') { conv.queuePos = null; conv.queueWait = null; }
    renderBanners();
  }

  /* ---------- banners ---------- */

  function renderBanners() {
    var s = conv.state;
    el.queueBanner.hidden = s !== 'queued';
    if (s === 'queued') el.queueText.textContent = queueText();
    el.agentBanner.hidden = s !== 'agent';
    if (s === 'agent') {
      el.agentBanner.textContent = conv.agentName ? '客服 ' + conv.agentName + ' 为您服务' : '人工客服为您服务';
    }
    el.closedBanner.hidden = s !== 'closed';
    var handoffBtn = el.quickReplies.querySelector('[data-handoff]');
    if (handoffBtn) handoffBtn.hidden = (s === 'queued' || s === 'agent');
  }

  /* queue_position is 1-based (1 = next in line), so the number of people ahead is position - 1,
   * the same figure the bridge's own queue notice uses. */
  function queueText() {
    if (typeof conv.queuePos !== 'number') return '正在为您转接人工客服，请稍候…';
    var ahead = Math.max(0, conv.queuePos - 1);
    var minutes = Math.max(1, Math.round((conv.queueWait || 0) / 60));
    return '正在为您转接人工客服，前面还有 ' + ahead + ' 位，预计等待约 ' + minutes + ' 分钟';
  }

  function setConnBanner(visible) {
    el.connBanner.hidden = !visible;
  }

  /* ---------- message rendering ---------- */

  function addMessages(list) {
    if (!Array.isArray(list)) return;
    list.slice().sort(function (a, b) { return Number(a.id) - Number(b.id); })
      .forEach(function (m) { addMessage(m, false); });
  }

  /* viaSocket: a customer message pushed by the socket may overtake the HTTP answer that
   * owns the optimistic bubble; it then replaces the oldest one. */
  function addMessage(m, viaSocket) {
    if (!m || m.id === undefined || m.id === null) return;
    var id = Number(m.id);
    if (!isFinite(id) || rendered.has(id)) return;
    var stick = isNearBottom() || m.from === 'customer';
    if (m.from !== 'customer') hideRemoteTyping();
    else if (viaSocket) removeOldestPending();
    var node = renderMessage(m, id);
    rendered.set(id, node);
    insertSorted(node, id);
    if (id > conv.lastId) conv.lastId = id;
    if (stick) scrollToBottom();
  }

  function insertSorted(node, id) {
    var items = el.messages.querySelectorAll('.msg');
    for (var i = items.length - 1; i >= 0; i--) {
      if (Number(items[i].dataset.id) < id) {
        items[i].after(node);
        return;
      }
    }
    el.messages.prepend(node);
  }

  function renderMessage(m, id) {
    var from = FROM_KINDS.indexOf(m.from) !== -1 ? m.from : 'bot';
    var row = h('div', 'msg from-' + from);
    row.dataset.id = String(id);
    if (from === 'system') {
      row.appendChild(h('div', 'system-text', m.text || ''));
      appendButtons(row, m.buttons);
      return row;
    }
    if (from === 'bot' || from === 'agent') {
      var avatar = h('div', 'avatar', from === 'agent' ? '人' : '智');
      avatar.setAttribute('aria-hidden', 'true');
      row.appendChild(avatar);
    }
    var body = h('div', 'msg-body');
    if (from === 'agent') body.appendChild(h('div', 'msg-sender', m.agent_name || '人工客服'));
    if (m.text) body.appendChild(h('div', 'bubble', m.text));
    appendButtons(body, m.buttons);
    var time = formatTime(m.created_at);
    if (time) body.appendChild(h('div', 'msg-time', time));
    row.appendChild(body);
    return row;
  }

  function isNps(payload) { return typeof payload === 'string' && payload.indexOf('/survey_nps') === 0; }
  function isCsat(payload) { return typeof payload === 'string' && payload.indexOf('/survey_csat') === 0; }

  function appendButtons(parent, buttons) {
    if (!Array.isArray(buttons) || !buttons.length) return;
    var valid = buttons.filter(function (b) { return b && typeof b.payload === 'string'; });
    var nps = valid.filter(function (b) { return isNps(b.payload); });
    var csat = valid.filter(function (b) { return isCsat(b.payload); });
    var other = valid.filter(function (b) { return !isNps(b.payload) && !isCsat(b.payload); });
    if (nps.length) parent.appendChild(renderNps(nps));
    if (csat.length) parent.appendChild(renderChipGroup(csat, 'chips chips-csat survey', '满意度评价'));
    if (other.length) parent.appendChild(renderChipGroup(other, 'chips', '可选操作'));
  }

  function renderChip(b) {
    var chip = h('button', 'chip', b.title || b.payload);
    chip.type = 'button';
    chip.dataset.payload = b.payload;
    return chip;
  }

  function renderChipGroup(buttons, className, label) {
    var group = h('div', className);
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', label);
    buttons.forEach(function (b) { group.appendChild(renderChip(b)); });
    return group;
  }

  function renderNps(buttons) {
    var wrap = h('div', 'nps survey');
    wrap.setAttribute('role', 'group');
    wrap.setAttribute('aria-label', '推荐意愿评分，0 表示不可能，10 表示非常可能');
    var scale = h('div', 'nps-scale');
    buttons.forEach(function (b) {
      var chip = renderChip(b);
      chip.classList.add('nps-chip');
      scale.appendChild(chip);
    });
    wrap.appendChild(scale);
    var legend = h('div', 'nps-legend');
    legend.setAttribute('aria-hidden', 'true');
    legend.appendChild(h('span', '', '0 不可能'));
    legend.appendChild(h('span', '', '10 非常可能'));
    wrap.appendChild(legend);
    return wrap;
  }

  /* Optimistic customer bubble while the request is in flight; it carries no data-id and is
   * replaced by the server's own copy of the message (rendered by id). */
  function addPending(text) {
    var row = h('div', 'msg-pending from-customer');
    row.setAttribute('aria-hidden', 'true');
    var body = h('div', 'msg-body');
    body.appendChild(h('div', 'bubble', text));
    row.appendChild(body);
    el.messages.appendChild(row);
    scrollToBottom();
    return row;
  }

  function removeOldestPending() {
    var first = el.messages.querySelector('.msg-pending');
    if (first) first.remove();
  }

  /* ---------- typing indicator ---------- */

  function updateTyping() {
    var visible = pendingRequests > 0 || remoteTyping;
    var stick = visible && el.typing.hidden && isNearBottom();
    el.typing.hidden = !visible;
    if (stick) scrollToBottom();
  }

  function showRemoteTyping() {
    remoteTyping = true;
    clearTimeout(remoteTypingTimer);
    remoteTypingTimer = setTimeout(hideRemoteTyping, REMOTE_TYPING_MS);
    updateTyping();
  }

  function hideRemoteTyping() {
    remoteTyping = false;
    clearTimeout(remoteTypingTimer);
    updateTyping();
  }

  function notifyTyping() {
    if (conv.state !== 'agent' || !conv.id) return;
    var now = Date.now();
    if (now - lastTypingSent < TYPING_THROTTLE_MS) return;
    lastTypingSent = now;
    api('POST', convPath('/typing')).catch(function () { /* best effort */ });
  }

  /* ---------- sending ---------- */

  function postMessage(body, displayText) {
    if (!conv.id) {
      showToast('正在连接客服，请稍候');
      return Promise.resolve(false);
    }
    var mySession = session;
    var pending = addPending(displayText);
    pendingRequests += 1;
    updateTyping();
    return api('POST', convPath('/messages'), body).then(function (data) {
      pending.remove();
      if (mySession !== session) return false;
      applyPayload(data);
      return true;
    }, function (err) {
      pending.remove();
      if (mySession !== session) return false;
      if (isGone(err)) {
        resetConversation('会话已失效，已为您开启新会话');
      } else {
        showToast(err.detail);
      }
      return false;
    }).then(function (ok) {
      if (mySession === session) {
        pendingRequests = Math.max(0, pendingRequests - 1);
        updateTyping();
      }
      return ok;
    });
  }

  function sendText(text) {
    var clean = (text || '').trim();
    if (!clean) return Promise.resolve(false);
    if (clean.length > MAX_LEN) {
      showToast('消息不能超过 ' + MAX_LEN + ' 个字');
      return Promise.resolve(false);
    }
    return postMessage({ text: clean }, clean);
  }

  function sendPayload(payload, title) {
    return postMessage({ payload: payload }, title || payload);
  }

  function onChipClick(chip) {
    var survey = chip.closest('.survey');
    if (survey) lockSurvey(survey, chip);
    sendPayload(chip.dataset.payload, chip.textContent).then(function (ok) {
      if (!ok && survey) unlockSurvey(survey);
    });
  }

  function lockSurvey(group, chosen) {
    group.querySelectorAll('.chip').forEach(function (c) { c.disabled = true; });
    chosen.classList.add('selected');
    chosen.setAttribute('aria-pressed', 'true');
  }

  function unlockSurvey(group) {
    group.querySelectorAll('.chip').forEach(function (c) {
      c.disabled = false;
      c.classList.remove('selected');
      c.removeAttribute('aria-pressed');
    });
  }

  function submitInput() {
    var text = el.input.value;
    if (!text.trim()) return;
    el.input.value = '';
    onInputChanged();
    sendText(text).then(function (ok) {
      if (!ok && !el.input.value) {
        el.input.value = text;   // give the customer their words back
        onInputChanged();
      }
    });
  }

  function onInputChanged() {
    var len = el.input.value.length;
    el.send.disabled = el.input.value.trim().length === 0 || len > MAX_LEN;
    el.charCount.hidden = len < COUNTER_FROM;
    el.charCount.textContent = len + '/' + MAX_LEN;
    autoGrow();
  }

  function autoGrow() {
    var box = el.input;
    var borders = box.offsetHeight - box.clientHeight;
    box.style.height = 'auto';
    var wanted = box.scrollHeight + borders;
    box.style.height = Math.min(wanted, INPUT_MAX_PX) + 'px';
    box.style.overflowY = wanted > INPUT_MAX_PX ? 'auto' : 'hidden';
  }

  /* ---------- WebSocket ---------- */

  function wsUrl() {
    var proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return proto + '//' + location.host + API + convPath('/ws') + '?token=' + encodeURIComponent(conv.token);
  }

  function connectWs() {
    if (!conv.id) return;
    wsWanted = true;
    clearTimeout(reconnectTimer);
    closeSocket();
    var sock;
    try {
      sock = new WebSocket(wsUrl());
    } catch (e) {
      setConnBanner(true);
      scheduleReconnect();
      return;
    }
    ws = sock;
    sock.onopen = function () {
      if (ws !== sock) return;
      backoffMs = BACKOFF_START_MS;
      setConnBanner(false);
      syncMissed();
    };
    sock.onmessage = function (ev) {
      if (ws === sock) handleEvent(parseJson(ev.data));
    };
    sock.onerror = function () { /* a close event follows */ };
    sock.onclose = function () {
      if (ws !== sock) return;
      ws = null;
      if (!wsWanted) return;
      setConnBanner(true);
      scheduleReconnect();
    };
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
  }

  function scheduleReconnect() {
    clearTimeout(reconnectTimer);
    var delay = backoffMs;
    backoffMs = Math.min(backoffMs * 2, BACKOFF_MAX_MS);
    reconnectTimer = setTimeout(reconnect, delay);
  }

  /* Checks the conversation is still ours (and fills the gap) before reopening the socket. */
  function reconnect() {
    if (!wsWanted || !conv.id) return;
    var mySession = session;
    syncMissed().then(function (result) {
      if (mySession !== session || !wsWanted) return;
      if (result === 'gone') {
        resetConversation('会话已失效，已为您开启新会话');
        return;
      }
      connectWs();
    });
  }

  function reconnectNow() {
    if (!wsWanted || ws) return;
    backoffMs = BACKOFF_START_MS;
    clearTimeout(reconnectTimer);
    reconnect();
  }

  function syncMissed() {
    if (!conv.id) return Promise.resolve('error');
    var mySession = session;
    return api('GET', convPath('/messages?after=' + encodeURIComponent(conv.lastId))).then(function (data) {
      if (mySession === session) applyPayload(data);
      return 'ok';
    }, function (err) {
      return isGone(err) ? 'gone' : 'error';
    });
  }

  function parseJson(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  function handleEvent(ev) {
    if (!ev || typeof ev !== 'object') return;
    switch (ev.type) {
      case 'message':
        addMessage(ev.message, true);
        break;
      case 'typing':
        if (ev.from !== 'customer') showRemoteTyping();
        break;
      case 'state':
        setState(ev.state, ev.agent_name);
        break;
      case 'queue':
        if (typeof ev.position === 'number') conv.queuePos = ev.position;
        if (typeof ev.estimated_wait_s === 'number') conv.queueWait = ev.estimated_wait_s;
        renderBanners();
        break;
      default:
        break;
    }
  }

  /* ---------- setup ---------- */

  function renderQuickReplies() {
    QUICK_REPLIES.forEach(function (q) {
      var btn = h('button', 'quick-reply', q.title);
      btn.type = 'button';
      if (q.payload) btn.dataset.payload = q.payload;
      else btn.dataset.text = q.text;
      if (q.handoff) btn.dataset.handoff = '1';
      el.quickReplies.appendChild(btn);
    });
  }

  function onQuickReply(btn) {
    if (btn.dataset.payload) sendPayload(btn.dataset.payload, btn.textContent);
    else sendText(btn.dataset.text);
  }

  function bindEvents() {
    el.messages.addEventListener('click', function (e) {
      var chip = e.target.closest('button.chip');
      if (chip && !chip.disabled && el.messages.contains(chip)) onChipClick(chip);
    });
    el.quickReplies.addEventListener('click', function (e) {
      var btn = e.target.closest('button.quick-reply');
      if (btn) onQuickReply(btn);
    });
    el.composer.addEventListener('submit', function (e) {
      e.preventDefault();
      submitInput();
    });
    el.input.addEventListener('input', function () {
      onInputChanged();
      if (el.input.value.trim()) notifyTyping();
    });
    el.input.addEventListener('keydown', function (e) {
      if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
      e.preventDefault();
      submitInput();
    });
    el.newSession.addEventListener('click', function () { resetConversation(); });
    el.closedRestart.addEventListener('click', function () { resetConversation(); });
    el.queueLeave.addEventListener('click', function () { sendPayload('/leave_message', '留言'); });
    window.addEventListener('online', reconnectNow);
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible') reconnectNow();
    });
  }

  function init() {
    el.messages = document.getElementById('messages');
    el.input = document.getElementById('input');
    el.send = document.getElementById('send');
    el.composer = document.getElementById('composer');
    el.charCount = document.getElementById('char-count');
    el.typing = document.getElementById('typing');
    el.quickReplies = document.getElementById('quick-replies');
    el.queueBanner = document.getElementById('queue-banner');
    el.queueText = document.getElementById('queue-text');
    el.queueLeave = document.getElementById('queue-leave');
    el.agentBanner = document.getElementById('agent-banner');
    el.closedBanner = document.getElementById('closed-banner');
    el.closedRestart = document.getElementById('closed-restart');
    el.connBanner = document.getElementById('conn-banner');
    el.newSession = document.getElementById('new-session');
    el.toast = document.getElementById('toast');
    el.input.maxLength = MAX_LEN;
    renderQuickReplies();
    bindEvents();
    onInputChanged();
    renderBanners();
    start();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
