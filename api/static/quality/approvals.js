/* 待复核变更 (reviewers and supervisors): trainers' changes to what the bot says, held by maker-checker with their
 * diff; approve (applied at once: the KB rebuilt and hot-swapped, or the model deployed) or reject with a
 * comment. The server refuses a checker's own change. */

import { clear, elements, h, note } from '../shared/dom.js';
import { api, toast, when } from './page.js';

const KIND_LABELS = { kb_create: '新增知识条目', kb_update: '修改知识条目', kb_retire: '下线知识条目',
  kb_add_similar: '新增相似问题', kb_import: '导入知识库文件', deploy: '模型上线/回滚',
  response: '修改机器人回复', institution: '修改机构信息' };
const STATUS = { pending: '待复核', approving: '生效中', approved: '已批准', rejected: '已驳回', failed: '未能生效' };
const el = elements(['approvals-status', 'approvals-list']);

function decide(change, verb, comment) {
  api('POST', '/approvals/' + change.id + '/' + verb, { comment })
    .then((done) => {
      toast.show(done.status === 'failed' ? '未能生效：' + (done.comment || '') : (verb === 'approve' ? '已批准，已生效' : '已驳回'),
        done.status === 'failed' ? undefined : 'ok');
      load();
    }, toast.error);
}

function row(change) {
  const li = h('li', 'q-row q-change');
  li.dataset.id = change.id;
  const head = h('div', 'q-row-head');
  [STATUS[change.status], KIND_LABELS[change.kind] || change.kind, change.target, '提交人 ' + change.maker,
    when(change.created_at)].forEach((text) => head.appendChild(h('span', null, text)));
  if (change.checker) head.appendChild(h('span', null, '复核人 ' + change.checker));
  li.appendChild(head);
  li.appendChild(h('pre', 'q-diff', change.diff));
  if (change.comment) li.appendChild(h('p', 'q-note', change.comment));
  if (change.status === 'pending') {
    const comment = h('input', 'q-change-comment');
    comment.placeholder = '复核意见';
    comment.maxLength = 1000;
    const approve = h('button', 'btn btn-primary btn-small q-approve', '批准');
    const reject = h('button', 'btn btn-small q-reject', '驳回');
    approve.addEventListener('click', () => decide(change, 'approve', comment.value.trim()));
    reject.addEventListener('click', () => decide(change, 'reject', comment.value.trim()));
    const actions = h('div', 'q-actions');
    actions.append(comment, approve, reject);
    li.appendChild(actions);
  }
  return li;
}

function load() {
  const status = el.approvalsStatus.value;
  api('GET', '/approvals' + (status ? '?status=' + status : '')).then((changes) => {
    clear(el.approvalsList);
    if (!changes.length) note(el.approvalsList, '暂无');
    changes.forEach((change) => el.approvalsList.appendChild(row(change)));
  }, toast.error);
}

el.approvalsStatus.addEventListener('change', load);

export function start() { load(); }
export function stop() { }
export function reset() { clear(el.approvalsList); }
