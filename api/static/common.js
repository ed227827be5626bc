/* Shared by the chat widget, the agent console and the trainer workbench: DOM helpers, time formatting, the
 * JSON API client and the staff session (saved login, login form, sign-out, expiry). Plain JS, no
 * dependencies; loaded before each page's own script and exposed as window.BankCS. Text is only ever set with textContent. */
(function () {
  'use strict';

  function h(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) { node.textContent = ''; }

  function pad2(n) { return (n < 10 ? '0' : '') + n; }

  /* HH:MM today; M月D日 HH:MM on another day (timeOnly: always HH:MM). */
  function formatTime(iso, timeOnly) {
    if (!iso) return '';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    var hm = pad2(d.getHours()) + ':' + pad2(d.getMinutes());
    if (timeOnly || d.toDateString() === new Date().toDateString()) return hm;
    return (d.getMonth() + 1) + '月' + d.getDate() + '日 ' + hm;
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  /* ---------- HTTP ---------- */

  function ApiError(status, detail, problems) {
    this.status = status;
    this.detail = detail;
    // the server puts a single problem in detail as well; do not show it twice
    this.problems = (problems || []).filter(function (p) { return p !== detail; });
    this.message = detail;
  }

  /* The message to show for an error body: the server's detail (validation errors joined, with the field
   * named), else a page-specific text for the status (statusText), else a generic one. */
  function detailText(body, status, statusText) {
    var d = body && body.detail;
    if (typeof d === 'string' && d) return d;
    if (Array.isArray(d) && d.length) {
      return d.map(function (x) {
        if (x && x.msg) {
          var loc = Array.isArray(x.loc) ? x.loc.filter(function (p) { return p !== 'body'; }).join('.') : '';
          return (loc ? loc + '：' : '') + x.msg;
        }
        return String(x);
      }).join('；');
    }
    if (status === 0) return '网络异常，请检查网络后重试';
    if (statusText && statusText[status]) return statusText[status];
    return '请求失败（' + status + '），请稍后重试';
  }

  function problemsOf(body) {
    var p = body && body.problems;
    if (!Array.isArray(p)) return [];
    return p.map(function (x) { return typeof x === 'string' ? x : JSON.stringify(x); });
  }

  /* A client for the JSON API under options.base:
   *   options.token()          the bearer token to send, or null
   *   options.onUnauthorized() called on a 401 to a call that sent a token
   *   options.statusText       messages by HTTP status for errors without a detail
   * api(method, path, body, opts): body may be a FormData (multipart upload); opts.anonymous sends no token
   * (the login itself, creating a conversation). Resolves to the parsed body (null for 204), rejects with
   * an ApiError. */
  function apiClient(options) {
    function readResponse(res, sentToken) {
      if (res.status === 204) return null;
      var isJson = (res.headers.get('content-type') || '').indexOf('json') !== -1;
      var parsed = isJson ? res.json().catch(function () { return null; }) : Promise.resolve(null);
      return parsed.then(function (data) {
        if (res.ok) return data;
        var err = new ApiError(res.status, detailText(data, res.status, options.statusText), problemsOf(data));
        if (res.status === 401 && sentToken && options.onUnauthorized) options.onUnauthorized();
        throw err;
      });
    }

    return function api(method, path, body, opts) {
      var headers = { 'Accept': 'application/json' };
      var isForm = typeof FormData !== 'undefined' && body instanceof FormData;
      if (body !== undefined && !isForm) headers['Content-Type'] = 'application/json';
      var token = opts && opts.anonymous ? null : options.token();
      if (token) headers['Authorization'] = 'Bearer ' + token;
      var init = { method: method, headers: headers, cache: 'no-store' };
      if (body !== undefined) init.body = isForm ? body : JSON.stringify(body);
      return fetch(options.base + path, init).then(function (res) {
        return readResponse(res, !!token);
      }, function () {
        throw new ApiError(0, detailText(null, 0));
      });
    };
  }

  /* ---------- staff login kept for the browser tab (sessionStorage) ---------- */

  function savedLogin(key) {
    return {
      load: function () {
        try {
          var data = JSON.parse(sessionStorage.getItem(key) || 'null');
          if (!data || !data.token) return null;
          if (data.expires_at && new Date(data.expires_at).getTime() < Date.now()) return null;
          return data;
        } catch (e) {
          return null;
        }
      },
      save: function (auth) {
        try { sessionStorage.setItem(key, JSON.stringify(auth)); } catch (e) { /* private mode: ignore */ }
      },
      forget: function () {
        try { sessionStorage.removeItem(key); } catch (e) { /* ignore */ }
      }
    };
  }

  /* The staff login form: fields {username, password, submit, error} (elements), api (an apiClient), saved (a
   * savedLogin), onLogin(auth) once signed in. Returns {submit: the form's submit handler, showError(text)}. */
  function loginForm(fields, api, saved, onLogin) {
    function showError(text) {
      fields.error.textContent = text || '';
      fields.error.hidden = !text;
    }

    function submit(e) {
      e.preventDefault();
      var username = fields.username.value.trim();
      var password = fields.password.value;
      if (!username || !password) {
        showError('请输入用户名和密码');
        return;
      }
      showError('');
      fields.submit.disabled = true;
      fields.submit.textContent = '登录中…';
      api('POST', '/auth/login', { username: username, password: password }, { anonymous: true })
        .then(function (data) {
          var auth = {
            token: data.token, role: data.role, username: data.username,
            display_name: data.display_name, expires_at: data.expires_at
          };
          saved.save(auth);
          fields.password.value = '';
          onLogin(auth);
        }, function (err) {
          showError(err.status === 401 ? (err.detail || '用户名或密码错误') : err.detail);
        })
        .then(function () {
          fields.submit.disabled = false;
          fields.submit.textContent = '登录';
        });
    }

    return { submit: submit, showError: showError };
  }

  /* The signed-in staff member of a console or workbench page: the login kept for the tab, the API client
   * that sends their token, the login form, sign-out and session expiry (a 401 goes back to the form).
   *   options.key, options.base, options.statusText   as for savedLogin / apiClient
   *   options.onEnter(auth)   show the page for this member (the login view is already hidden)
   *   options.onLeave()       stop timers and sockets, reset and hide the page (the login view is shown after)
   * start(view) wires the login view {view, form, username, password, submit, error} and resumes a saved login. */
  function staffSession(options) {
    var saved = savedLogin(options.key);
    var auth = null;
    var login = null;
    var view = null;
    var api = apiClient({
      base: options.base,
      token: function () { return auth && auth.token; },
      onUnauthorized: function () { if (auth) leave('登录已过期，请重新登录'); },
      statusText: options.statusText
    });

    function enter(signedIn) {
      auth = signedIn;
      view.view.hidden = true;
      options.onEnter(auth);
    }

    function leave(message) {
      auth = null;
      saved.forget();
      options.onLeave();
      view.view.hidden = false;
      login.showError(message);
      view.username.focus();
    }

    return {
      api: api,
      auth: function () { return auth; },
      logout: function () {
        if (auth) api('POST', '/auth/logout').catch(function () { /* token may already be gone */ });
        leave('');
      },
      start: function (loginView) {
        view = loginView;
        login = loginForm(view, api, saved, enter);
        view.form.addEventListener('submit', login.submit);
        var resumed = saved.load();
        if (resumed) enter(resumed);
        else leave('');
      }
    };
  }

  window.BankCS = {
    h: h, clear: clear, pad2: pad2, formatTime: formatTime, debounce: debounce,
    ApiError: ApiError, detailText: detailText, apiClient: apiClient, staffSession: staffSession
  };
})();
