/* Lookup tables (entity values such as cities) in the trainer workbench: list and add entries.
   Uses the session the workbench stored (sessionStorage 'bankcs.trainer.auth'); data shown with textContent. */
(function () {
  'use strict';
  var T = '/api/v1/trainer';

  function token() {
    try { return (JSON.parse(sessionStorage.getItem('bankcs.trainer.auth') || 'null') || {}).token || null; }
    catch (e) { return null; }
  }

  function call(method, path, body) {
    var headers = { 'Authorization': 'Bearer ' + token() };
    if (body) headers['Content-Type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (data) {
          if (!res.ok) throw new Error((data && data.detail) || ('请求失败（' + res.status + '）'));
          return data;
        });
      });
  }

  var tables = [];

  function render() {
    var select = document.getElementById('lookup-name');
    var list = document.getElementById('lookup-list');
    var chosen = select.value;
    while (select.firstChild) select.removeChild(select.firstChild);
    tables.forEach(function (t) {
      var opt = document.createElement('option');
      opt.value = t.name;
      opt.textContent = t.name + '（' + t.entries.length + '）';
      select.appendChild(opt);
    });
    if (chosen) select.value = chosen;
    while (list.firstChild) list.removeChild(list.firstChild);
    var table = tables.filter(function (t) { return t.name === select.value; })[0];
    (table ? table.entries.slice(-30).reverse() : []).forEach(function (entry) {
      var li = document.createElement('li');
      li.textContent = entry;
      list.appendChild(li);
    });
  }

  function load() {
    if (!token()) return;
    call('GET', T + '/lookups').then(function (data) { tables = data; render(); }).catch(function () { /* not logged in yet */ });
  }

  function add(event) {
    event.preventDefault();
    var error = document.getElementById('lookup-error');
    var name = document.getElementById('lookup-name').value;
    var input = document.getElementById('lookup-entry');
    var entry = input.value.trim();
    error.hidden = true;
    if (!name || !entry) { error.textContent = '请选择查找表并填写条目'; error.hidden = false; return; }
    call('POST', T + '/lookups', { name: name, entry: entry }).then(function (table) {
      tables = tables.map(function (t) { return t.name === table.name ? table : t; });
      input.value = '';
      render();
    }).catch(function (err) { error.textContent = err.message; error.hidden = false; });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('lookup-form');
    if (!form) return;
    form.addEventListener('submit', add);
    document.getElementById('lookup-name').addEventListener('change', render);
    var tab = document.getElementById('tab-intents');
    if (tab) tab.addEventListener('click', load);
    document.getElementById('login-form').addEventListener('submit', function () { setTimeout(load, 800); });
    load();
  });
})();
