/* What every tab of the trainer workbench shares: the signed-in trainer's session and API client (a body may
 * be a FormData), and the toast. Contract: docs/trainer_api.md; login as in docs/bridge_api.md. */

import { byId } from '../shared/dom.js';
import { staffSession } from '../shared/session.js';
import { toaster } from '../shared/toast.js';

/* The trainer API under the client's base (/api/v1). */
export const T = '/trainer';

export const session = staffSession({
  key: 'bankcs.trainer.auth',
  base: '/api/v1',
  statusText: {
    403: '无权执行该操作（仅限训练师）',
    404: '对象不存在或已被删除',
    409: '操作冲突，请稍后重试',
    413: '文件过大'
  }
});
export const api = session.api;
export const toast = toaster(byId('toast'), { ms: 5000, okMs: 2500, dismissOnClick: true });

export function enc(s) { return encodeURIComponent(String(s)); }

/* GET a list from the trainer API and hand it to use() (an answer that is not a list counts as empty);
 * a failure goes to the toast. */
export function getList(path, use) {
  return api('GET', T + path).then((list) => use(Array.isArray(list) ? list : []), toast.error);
}

/* Maker-checker on (202 with a pending change): nothing changed yet; a reviewer or supervisor approves it on
 * /quality (待复核变更) before customers see it. True when ``answer`` is such a change (the toast says so). */
export function held(answer) {
  if (!answer || answer.status !== 'pending' || !answer.diff) return false;
  toast.show('已提交复核（编号 ' + answer.id + '）：另一人批准后客户才会看到', 'ok');
  return true;
}
