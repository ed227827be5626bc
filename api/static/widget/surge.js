/* The surge notice (二级话务应急响应, GET /api/v1/surge/notice): at level 1 and 2 a banner above the chat tells
 * the customer the expected wait for a person and offers 留言; at level 2 留言 is offered first (the button
 * leads). Shown only while the bot serves: a queued customer has the queue banner (their own wait and its 留言),
 * an agent's customer needs no notice, nor a closed chat. Polled, since the level changes with the whole
 * centre's queue, not with this conversation. */

const POLL_MS = 30000;
let banner = null;
let text = null;
let leave = null;
let state = 'bot';
let notice = { level: 0, notice: null, leave_message_first: false };

function build(onLeave) {
  banner = document.createElement('div');
  banner.id = 'surge-banner';
  banner.className = 'banner banner-queue';
  banner.setAttribute('role', 'status');
  banner.hidden = true;
  text = document.createElement('span');
  text.className = 'banner-text';
  leave = document.createElement('button');
  leave.type = 'button';
  leave.id = 'surge-leave';
  leave.className = 'banner-action';
  leave.addEventListener('click', onLeave);
  banner.append(text, leave);
  const queue = document.getElementById('queue-banner');
  queue.parentNode.insertBefore(banner, queue);
}

function render() {
  if (!banner) return;
  const show = notice.level > 0 && !!notice.notice && state === 'bot';
  banner.hidden = !show;
  if (!show) return;
  text.textContent = notice.notice;
  leave.textContent = notice.leave_message_first ? '先留言，回电处理' : '留言';
  leave.setAttribute('aria-label', notice.leave_message_first ? '人工繁忙，先留言，我们按时限回电' : '给客服留言');
  if (notice.leave_message_first) banner.insertBefore(leave, text); else banner.append(leave);
}

async function poll() {
  try {
    const r = await fetch('/api/v1/surge/notice');
    if (r.ok) notice = await r.json();
  } catch (e) { /* offline: keep the last notice; the connection banner says so */ }
  render();
}

/* The conversation's state changed (bot, queued, agent, closed). */
export function setState(s) {
  state = s;
  render();
}

/* onLeave(): opens the 留言 form. */
export function init(onLeave) {
  build(onLeave);
  poll();
  setInterval(poll, POLL_MS);
}
