/* The queue length in the header (#queue-length): from the agent socket's queue events and, for a
 * supervisor, from the overview. */

const node = document.getElementById('queue-length');

export function showQueueLength(n) {
  node.textContent = n === null ? '–' : String(n);
}
