/* DOM helpers shared by the chat widget, the agent console and the trainer workbench.
 * Text is only ever set with textContent (never innerHTML): message text and data from the server are shown,
 * never run. */

export function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function clear(node) { node.textContent = ''; }

export function byId(id) { return document.getElementById(id); }

/* Replaces what a panel shows with a muted one-line note (加载中…, 暂无推荐). */
export function note(panel, text) {
  clear(panel);
  panel.appendChild(h('p', 'empty', text));
}

/* The elements with these ids, keyed by their camelCased id ('conv-list' -> elements.convList). */
export function elements(ids) {
  const found = {};
  ids.forEach((id) => {
    found[id.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = document.getElementById(id);
  });
  return found;
}

export function pad2(n) { return (n < 10 ? '0' : '') + n; }

/* HH:MM today; M月D日 HH:MM on another day (timeOnly: always HH:MM). */
export function formatTime(iso, timeOnly) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '';
  const hm = pad2(d.getHours()) + ':' + pad2(d.getMinutes());
  if (timeOnly || d.toDateString() === new Date().toDateString()) return hm;
  return (d.getMonth() + 1) + '月' + d.getDate() + '日 ' + hm;
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/* Calls fn at most once every ms (the first call goes through at once): typing notices. */
export function throttle(fn, ms) {
  let last = 0;
  return (...args) => {
    const now = Date.now();
    if (now - last < ms) return;
    last = now;
    fn(...args);
  };
}

/* A flag shown by set(true) that turns itself off ms after the last show(): "the other side is typing". */
export function fadingFlag(ms, set) {
  let timer = null;
  function hide() {
    clearTimeout(timer);
    set(false);
  }
  return {
    show() {
      set(true);
      clearTimeout(timer);
      timer = setTimeout(hide, ms);
    },
    hide
  };
}

/* Whether a scrolled box is (within px of) its end, so new content should keep it there. */
export function nearBottom(box, px) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < px;
}

/* Enter sends, Shift+Enter is a new line, and Enter that ends an IME composition (Chinese input) does neither. */
export function isSendKey(e) {
  return e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229;
}

/* Messages sorted by their numeric id (the order the server stored them in). */
export function sortedById(list) {
  return list.slice().sort((a, b) => Number(a.id) - Number(b.id));
}

/* Puts a message node (data-id = id) after the last .msg in box with a smaller id: a message that arrives
 * over the socket and by HTTP lands in the same place either way. */
export function insertInOrder(box, node, id) {
  const items = box.querySelectorAll('.msg');
  for (let i = items.length - 1; i >= 0; i--) {
    if (Number(items[i].dataset.id) < id) {
      items[i].after(node);
      return;
    }
  }
  box.prepend(node);
}

/* A plain table: a header row, then one row per array of cells (a Node is placed as it is, anything else as text). */
export function table(headers, rows) {
  const t = h('table', 'table');
  const head = h('tr');
  headers.forEach((text) => head.appendChild(h('th', null, text)));
  t.appendChild(head);
  rows.forEach((cells) => {
    const tr = h('tr');
    cells.forEach((cell) => {
      const td = h('td');
      if (cell instanceof Node) td.appendChild(cell);
      else td.textContent = String(cell);
      tr.appendChild(td);
    });
    t.appendChild(tr);
  });
  return t;
}
