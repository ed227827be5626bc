/* One review (GET /quality/reviews/{id}): the transcript with the messages the automatic checks failed marked
 * and the reviewers' comments under each message, the checklist items (automatic results; the reviewer's
 * scores while the review is open), the coaching mark and summary, submitting; the agent's one appeal and a
 * supervisor's decision. The server decides who may do what: a refused action shows its reason. */

import { clear, h, note } from '../shared/dom.js';
import { DECISION_LABELS, SENDER_LABELS, STATUS_LABELS, api, score, session, toast, when } from './page.js';

const SCORE_CHOICES = [['', '未评'], ['1', '达标'], ['0.5', '部分达标'], ['0', '未达标']];

function canReview(review) {
  const me = session.auth();
  return review.status === 'open' && me && ['reviewer', 'supervisor'].includes(me.role) && review.agent !== me.username;
}

function canAppeal(review) {
  const me = session.auth();
  return me && review.agent === me.username && review.status === 'submitted';
}

function canDecide(review) {
  const me = session.auth();
  return me && me.role === 'supervisor' && review.status === 'appealed';
}

function header(review) {
  const box = h('div');
  box.appendChild(h('h2', 'q-h2', '会话 ' + review.conversation_id + ' · ' +
    (review.target === 'agent' ? '坐席 ' + (review.agent_name || review.agent) : '机器人')));
  const facts = h('p', 'muted', [STATUS_LABELS[review.status], review.reason_names.join('、'),
    '抽取于 ' + when(review.created_at), review.reviewer ? '质检员 ' + review.reviewer : ''].filter(Boolean).join(' · '));
  box.appendChild(facts);
  const total = h('p');
  total.appendChild(h('span', 'muted', '总分 '));
  total.appendChild(h('span', 'q-total', score(review.total)));
  total.id = 'q-total';
  if (review.submitted_total !== null && review.submitted_total !== review.total) {
    total.appendChild(h('span', 'muted', '（质检员原评 ' + review.submitted_total + '）'));
  }
  if (review.needs_coaching) total.appendChild(h('span', 'q-tag targeted', '需辅导'));
  box.appendChild(total);
  return box;
}

function itemsTable(review, editable) {
  const table = h('table', 'table');
  const head = h('tr');
  ['检查项', '权重', '方式', '结果'].forEach((t) => head.appendChild(h('th', null, t)));
  table.appendChild(head);
  review.items.forEach((item) => {
    const row = h('tr');
    row.appendChild(h('td', null, item.title));
    row.appendChild(h('td', null, item.weight));
    row.appendChild(h('td', null, item.automatic ? '自动' : '人工'));
    const cell = h('td');
    if (editable && !item.automatic) {
      const select = h('select', 'q-item-score');
      select.dataset.item = item.id;
      SCORE_CHOICES.forEach(([value, label]) => {
        const option = h('option', null, label);
        option.value = value;
        select.appendChild(option);
      });
      select.value = item.score === null ? '' : String(item.score);
      cell.appendChild(select);
    } else if (item.score === null) {
      cell.appendChild(h('span', 'muted', '未评'));
    } else {
      cell.appendChild(h('span', item.score >= 1 ? 'q-pass' : 'q-fail',
        item.score >= 1 ? '✓ 达标' : (item.score > 0 ? '◐ 部分达标' : '✗ 未达标')));
      if (item.detail) cell.appendChild(h('div', 'muted', item.detail));
    }
    row.appendChild(cell);
    table.appendChild(row);
  });
  return table;
}

function commentForm(review, message, reload) {
  const form = h('form', 'q-form');
  const input = h('input');
  input.maxLength = 500;
  input.placeholder = '批注';
  form.appendChild(input);
  let wrong = null;
  if (message.from === 'bot') {
    const label = h('label');
    wrong = h('input');
    wrong.type = 'checkbox';
    label.appendChild(wrong);
    label.appendChild(document.createTextNode(' 机器人答错'));
    form.appendChild(label);
  }
  const send = h('button', 'btn btn-small', '保存批注');
  send.type = 'submit';
  form.appendChild(send);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    api('POST', '/quality/reviews/' + review.id + '/comments',
      { message_id: message.id, text: input.value.trim(), wrong_answer: !!(wrong && wrong.checked) })
      .then(reload, toast.error);
  });
  return form;
}

function transcript(review, editable, reload) {
  const failed = new Set();
  review.items.forEach((item) => { if (item.automatic && item.score < 1) item.message_ids.forEach((id) => failed.add(id)); });
  const list = h('ul', 'q-transcript');
  review.messages.forEach((message) => {
    const li = h('li', 'q-msg' + (failed.has(message.id) ? ' flagged' : ''));
    li.dataset.id = message.id;
    li.appendChild(h('span', 'q-msg-from', SENDER_LABELS[message.from] || message.from));
    li.appendChild(h('span', null, message.text));
    review.comments.filter((c) => c.message_id === message.id).forEach((c) => {
      li.appendChild(h('div', 'q-comment' + (c.wrong_answer ? ' wrong' : ''),
        (c.wrong_answer ? '【答错】' : '') + c.text + ' —— ' + (c.author || '')));
    });
    if (editable && message.from !== 'customer') {
      const open = h('button', 'btn btn-small q-comment-open', '批注');
      open.type = 'button';
      open.addEventListener('click', () => { open.replaceWith(commentForm(review, message, reload)); });
      li.appendChild(open);
    }
    list.appendChild(li);
  });
  return list;
}

function scoring(review, node, reload) {
  const form = h('div', 'q-form');
  const coaching = h('label');
  const box = h('input');
  box.type = 'checkbox';
  box.id = 'q-coaching';
  box.checked = review.needs_coaching;
  coaching.appendChild(box);
  coaching.appendChild(document.createTextNode(' 需要辅导'));
  const summary = h('textarea');
  summary.id = 'q-summary';
  summary.rows = 2;
  summary.maxLength = 2000;
  summary.placeholder = '质检小结';
  summary.value = review.summary;
  const actions = h('div', 'q-actions');
  const save = h('button', 'btn', '保存草稿');
  save.id = 'q-save';
  const submit = h('button', 'btn btn-primary', '提交（提交后不可修改）');
  submit.id = 'q-submit';
  actions.append(save, submit);
  form.append(coaching, summary, actions);

  function draft() {
    const scores = {};
    node.querySelectorAll('select.q-item-score').forEach((s) => { if (s.value !== '') scores[s.dataset.item] = Number(s.value); });
    return api('PUT', '/quality/reviews/' + review.id + '/scores',
      { scores, needs_coaching: box.checked, summary: summary.value });
  }
  save.addEventListener('click', () => draft().then(() => { toast.show('已保存草稿', 'ok'); reload(); }, toast.error));
  submit.addEventListener('click', () => draft()
    .then(() => api('POST', '/quality/reviews/' + review.id + '/submit'))
    .then(() => { toast.show('已提交', 'ok'); reload(); }, toast.error));
  return form;
}

function appealPart(review, reload) {
  const part = h('div');
  if (review.appeal_text) {
    part.appendChild(h('h3', 'q-h3', '申诉'));
    part.appendChild(h('p', 'q-note', review.appeal_text));
  }
  if (review.decision) {
    part.appendChild(h('p', null, DECISION_LABELS[review.decision] + '：' + (review.decision_comment || '')));
  }
  if (canAppeal(review)) {
    const form = h('form', 'q-form');
    const text = h('textarea');
    text.id = 'q-appeal-text';
    text.rows = 2;
    text.maxLength = 1000;
    text.placeholder = '申诉理由（每次质检只能申诉一次）';
    const send = h('button', 'btn btn-primary btn-small', '提交申诉');
    send.id = 'q-appeal';
    send.type = 'submit';
    form.append(text, send);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      api('POST', '/quality/reviews/' + review.id + '/appeal', { reason: text.value.trim() })
        .then(() => { toast.show('已提交申诉', 'ok'); reload(); }, toast.error);
    });
    part.appendChild(form);
  }
  if (canDecide(review)) {
    const form = h('form', 'q-form');
    const upheld = h('select');
    upheld.id = 'q-decision';
    [['false', '驳回申诉（维持原评分）'], ['true', '申诉成立（调整总分）']].forEach(([value, label]) => {
      const option = h('option', null, label);
      option.value = value;
      upheld.appendChild(option);
    });
    const total = h('input');
    total.id = 'q-decision-total';
    total.type = 'number';
    total.min = '0';
    total.max = '100';
    total.placeholder = '调整后的总分';
    const comment = h('input');
    comment.id = 'q-decision-comment';
    comment.placeholder = '裁决意见';
    const send = h('button', 'btn btn-primary btn-small', '裁决');
    send.id = 'q-decide';
    send.type = 'submit';
    form.append(upheld, total, comment, send);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const body = { upheld: upheld.value === 'true', comment: comment.value.trim() };
      if (total.value !== '') body.total = Number(total.value);
      api('POST', '/quality/reviews/' + review.id + '/decision', body)
        .then(() => { toast.show('已裁决', 'ok'); reload(); }, toast.error);
    });
    part.appendChild(form);
  }
  return part;
}

/* Show review ``id`` in ``node``; ``changed`` is called after every saved action (lists refresh). */
export function show(node, id, changed) {
  const reload = () => { show(node, id, changed); if (changed) changed(); };
  note(node, '加载中…');
  api('GET', '/quality/reviews/' + id).then((review) => {
    clear(node);
    const editable = canReview(review);
    node.dataset.review = String(review.id);
    node.appendChild(header(review));
    node.appendChild(itemsTable(review, editable));
    if (editable) node.appendChild(scoring(review, node, reload));
    else if (review.summary) node.appendChild(h('p', 'q-note', review.summary));
    node.appendChild(appealPart(review, reload));
    node.appendChild(h('h3', 'q-h3', '会话记录'));
    node.appendChild(transcript(review, editable, reload));
  }, (err) => { note(node, '无法加载'); toast.error(err); });
}
