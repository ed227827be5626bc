/* The test console's 客户将收到的回复: what the bot in service answers a customer sending the sentence (the
 * bridge sends it through the REST channel on a throwaway conversation, erased afterwards), and why — who
 * answered (the KB after the bot/KB arbitration, the KB fallback, the intent, a handoff) with the intent and its
 * confidence, the KB's verdict and the arbitration's verdict. */

import { clear, elements, h } from '../shared/dom.js';
import { intentName } from '../shared/intent_names.js';
import { fixed, isNum, pct } from './format.js';

const KB_ACTIONS = { answer: '直接回答', suggest: '推荐候选问题', fallback: '无可用答案' };

const el = elements(['test-reply']);

function intentLabel(name) {
  if (!name) return '无';
  const zh = intentName(name);
  return zh && zh !== name ? zh + '（' + name + '）' : name;
}

const WINNERS = { kb: '知识库胜出', intent: '意图胜出', clarify: '向客户确认' };

function facts(reply) {
  const rows = [['意图', intentLabel(reply.intent) +
    (isNum(reply.intent_confidence) ? '，置信度 ' + pct(reply.intent_confidence) : '')]];
  if (reply.kb_action) {
    rows.push(['知识库判定', (KB_ACTIONS[reply.kb_action] || reply.kb_action) +
      (reply.kb_entry ? '，条目 ' + reply.kb_entry : '') +
      (isNum(reply.kb_confidence) ? '，置信度 ' + fixed(reply.kb_confidence, 2) : '')]);
  }
  const a = reply.arbitration;
  if (a) rows.push(['仲裁结果', (WINNERS[a.winner] || a.winner) + '（意图 ' +
    intentLabel(a.intent) + ' ' + pct(a.intent_confidence) + ' 对 知识库 ' +
    (isNum(a.kb_confidence) ? fixed(a.kb_confidence, 2) : '未校准') + '）']);
  else if (reply.source === 'kb_fallback') rows.push(['仲裁结果', '未仲裁：意图未命中，由知识库兜底回答']);
  if (reply.handoff_reason) rows.push(['转人工原因', reply.handoff_reason]);
  const dl = h('dl', 'reply-facts');
  rows.forEach(([k, v]) => { dl.appendChild(h('dt', null, k)); dl.appendChild(h('dd', null, v)); });
  return dl;
}

export function render(reply) {
  clear(el.testReply);
  if (!reply) return;
  // the headline and its tone are the server's (api/workbench/console_reply.headline)
  el.testReply.appendChild(h('span', 'decision decision-' + (reply.tone || 'fallback') + ' reply-source',
    '回复来源：' + (reply.headline || reply.source)));
  const bubbles = h('div', 'reply-bubbles');
  (Array.isArray(reply.messages) ? reply.messages : []).forEach((m) => {
    const bubble = h('div', 'reply-bubble', m.text);
    if (Array.isArray(m.buttons) && m.buttons.length) {
      const row = h('div', 'reply-buttons');
      m.buttons.forEach((b) => row.appendChild(h('span', 'chip', b.title)));
      bubble.appendChild(row);
    }
    bubbles.appendChild(bubble);
  });
  if (!bubbles.childNodes.length) bubbles.appendChild(h('p', 'empty', '（客户收不到回复）'));
  el.testReply.appendChild(bubbles);
  const why = h('ul', 'reply-why');
  (Array.isArray(reply.why) ? reply.why : []).forEach((w) => why.appendChild(h('li', null, w)));
  el.testReply.appendChild(h('p', 'reply-why-title', '原因：'));
  el.testReply.appendChild(why);
  el.testReply.appendChild(facts(reply));
}
