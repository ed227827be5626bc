/* The KB index status line (#kb-status): version, entry and question counts, and whether a rebuild runs.
 * Polled every 3 s while the 知识库 tab is open and a rebuild runs; after a change a few more polls, since
 * the rebuild may start a moment later. */

import { byId, clear, h } from '../shared/dom.js';
import { api, session, T } from './page.js';
import { activeTab } from './tabs.js';

const POLL_MS = 3000;

const line = byId('kb-status');
let timer = null;
let extraPolls = 0;

export function stop() {
  clearTimeout(timer);
  timer = null;
}

function again() {
  return session.auth() && activeTab() === 'kb';
}

/* Fetch the status now; keep polling every 3 s while building (plus `extra` more polls). */
export function poll(extra) {
  if (extra) extraPolls = Math.max(extraPolls, extra);
  stop();
  return api('GET', T + '/kb-status').then((st) => {
    render(st);
    let more = st && st.building;
    if (!more && extraPolls > 0) { extraPolls -= 1; more = true; }
    if (more && again()) timer = setTimeout(() => poll(0), POLL_MS);
    else if (!more) extraPolls = 0;
  }, (err) => {
    line.textContent = '索引状态获取失败：' + err.detail;
    line.className = 'status-line error';
    if (err.status !== 401 && again() && extraPolls > 0) {
      extraPolls -= 1;
      timer = setTimeout(() => poll(0), POLL_MS);
    }
  });
}

function render(st) {
  clear(line);
  if (!st) { line.textContent = '索引状态未知'; return; }
  line.className = 'status-line' + (st.building ? ' building' : '') + (st.last_error ? ' error' : '');
  const loaded = st.version != null;
  const parts = loaded ? ['索引版本 ' + st.version,
    '条目 ' + (st.entries != null ? st.entries : '—'),
    '问法 ' + (st.questions != null ? st.questions : '—')] : ['尚未加载知识库索引'];
  line.appendChild(h('span', null, parts.join(' · ')));
  line.appendChild(h('span', 'status-state ' + (st.building ? 'status-running' : 'muted'),
    st.building ? '正在重建索引…' : (loaded ? '索引已就绪' : '保存或导入条目后将自动构建')));
  if (st.last_error) line.appendChild(h('div', 'status-error', '上次重建失败：' + st.last_error));
}
