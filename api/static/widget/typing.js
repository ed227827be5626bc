/* The typing dots (#typing): shown while one of our messages is being answered, or for a few seconds after
 * the agent's typing notice. */

import { fadingFlag } from '../shared/dom.js';
import { isNearBottom, scrollToBottom } from './messages.js';

const REMOTE_TYPING_MS = 3000;

const node = document.getElementById('typing');
let pendingRequests = 0;
let remoteTyping = false;

const remote = fadingFlag(REMOTE_TYPING_MS, (on) => {
  remoteTyping = on;
  update();
});

function update() {
  const visible = pendingRequests > 0 || remoteTyping;
  const stick = visible && node.hidden && isNearBottom();
  node.hidden = !visible;
  if (stick) scrollToBottom();
}

export const showRemote = remote.show;
export const hideRemote = remote.hide;

export function requestStarted() {
  pendingRequests += 1;
  update();
}

export function requestDone() {
  pendingRequests = Math.max(0, pendingRequests - 1);
  update();
}

export function reset() {
  pendingRequests = 0;
  hideRemote();
}
