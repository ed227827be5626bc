/* The signed-in staff member of the console or the workbench: the login kept for the browser tab, the API
 * client that sends their token, the login form, sign-out, and expiry (any 401 to a call that sent the token
 * goes back to the login form with 登录已过期). */

import { apiClient } from './api.js';
import { h } from './dom.js';
import { storedJson } from './storage.js';

export const ROLE_LABELS = { agent: '坐席', supervisor: '班长', trainer: '训练师', reviewer: '质检员', owner: '意见处理人' };

/* The login kept for the tab (sessionStorage); an expired one is not resumed. */
function savedLogin(key) {
  const stored = storedJson('sessionStorage', key);
  return {
    load() {
      const data = stored.load();
      if (!data || !data.token) return null;
      if (data.expires_at && new Date(data.expires_at).getTime() < Date.now()) return null;
      return data;
    },
    save: stored.save,
    forget: stored.forget
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
    const username = fields.username.value.trim();
    const password = fields.password.value;
    if (!username || !password) {
      showError('请输入用户名和密码');
      return;
    }
    showError('');
    fields.submit.disabled = true;
    fields.submit.textContent = '登录中…';
    api('POST', '/auth/login', { username, password }, { anonymous: true })
      .then((data) => {
        const auth = {
          token: data.token, role: data.role, username: data.username,
          display_name: data.display_name, expires_at: data.expires_at
        };
        saved.save(auth);
        fields.password.value = '';
        onLogin(auth);
      }, (err) => {
        showError(err.status === 401 ? (err.detail || '用户名或密码错误') : err.detail);
      })
      .then(() => {
        fields.submit.disabled = false;
        fields.submit.textContent = '登录';
      });
  }

  return { submit, showError };
}

/* options.key: the sessionStorage key of the saved login; options.base, options.statusText: as for apiClient.
 * The page's modules call session.api as soon as they are loaded; start(loginView, page) then wires the
 * login view {view, form, username, password, submit, error} and resumes a saved login:
 *   page.onEnter(auth)   show the page for this member (the login view is already hidden)
 *   page.onLeave()       stop timers and sockets, reset and hide the page (the login view is shown after) */
export function staffSession(options) {
  const saved = savedLogin(options.key);
  let auth = null;
  let login = null;
  let view = null;
  let page = null;
  const api = apiClient({
    base: options.base,
    token: () => auth && auth.token,
    onUnauthorized: () => { if (auth) leave('登录已过期，请重新登录'); },
    statusText: options.statusText
  });

  function enter(signedIn) {
    auth = signedIn;
    view.view.hidden = true;
    page.onEnter(auth);
  }

  function leave(message) {
    auth = null;
    saved.forget();
    page.onLeave();
    view.view.hidden = false;
    login.showError(message);
    view.username.focus();
  }

  return {
    api,
    auth: () => auth,
    logout() {
      if (auth) api('POST', '/auth/logout').catch(() => { /* token may already be gone */ });
      leave('');
    },
    start(loginView, handlers) {
      view = loginView;
      page = handlers;
      login = loginForm(view, api, saved, enter);
      view.form.addEventListener('submit', login.submit);
      const resumed = saved.load();
      if (resumed) enter(resumed);
      else leave('');
    }
  };
}

/* The login view every staff page has (#login-view with #login-form, #login-username, #login-password,
 * #login-submit, #login-error). */
/* The staff sign-in form, the same on every staff page: drawn into #login-view from its data-title and data-sub. */
function drawLoginForm(view) {
  const form = h('form', 'login-card');
  form.id = 'login-form';
  form.autocomplete = 'on';
  form.noValidate = true;
  const field = (id, name, type, autocomplete, text) => {
    const label = h('label', '', text);
    label.htmlFor = id;
    const input = h('input', '');
    Object.assign(input, { id, name, type, autocomplete, required: true });
    form.append(label, input);
  };
  form.append(h('h1', 'login-title', view.dataset.title || ''), h('p', 'login-sub', view.dataset.sub || ''));
  field('login-username', 'username', 'text', 'username', '用户名');
  field('login-password', 'password', 'password', 'current-password', '密码');
  const error = h('div', 'login-error');
  Object.assign(error, { id: 'login-error', hidden: true });
  error.setAttribute('role', 'alert');
  const submit = h('button', 'btn btn-primary btn-block', '登录');
  Object.assign(submit, { id: 'login-submit', type: 'submit' });
  form.append(error, submit);
  view.replaceChildren(form);
}

export function loginView() {
  const get = (id) => document.getElementById(id);
  if (!get('login-form')) drawLoginForm(get('login-view'));
  return { view: get('login-view'), form: get('login-form'), username: get('login-username'),
           password: get('login-password'), submit: get('login-submit'), error: get('login-error') };
}
