/* The buttons a bot or system message carries: the NPS scale (0–10), the CSAT choices and other chips.
 * A survey answer locks its group until the server has it (and unlocks if sending failed). Buttons act once:
 * those whose step is over (buttons_expired from the server, or the customer has moved on since) are drawn
 * disabled and never sent. */

import { h } from '../shared/dom.js';

function isNps(payload) { return typeof payload === 'string' && payload.indexOf('/survey_nps') === 0; }
function isCsat(payload) { return typeof payload === 'string' && payload.indexOf('/survey_csat') === 0; }

export function appendButtons(parent, buttons, expired) {
  if (!Array.isArray(buttons) || !buttons.length) return;
  const valid = buttons.filter((b) => b && typeof b.payload === 'string');
  const nps = valid.filter((b) => isNps(b.payload));
  const csat = valid.filter((b) => isCsat(b.payload));
  const other = valid.filter((b) => !isNps(b.payload) && !isCsat(b.payload));
  if (nps.length) parent.appendChild(renderNps(nps));
  if (csat.length) parent.appendChild(renderChipGroup(csat, 'chips chips-csat survey', '满意度评价'));
  if (other.length) parent.appendChild(renderChipGroup(other, 'chips', '可选操作'));
  if (expired) expireChips(parent);
}

/* The step these chips belong to is over: inert from now on (a survey answer already chosen keeps its mark). */
export function expireChips(root) {
  root.querySelectorAll('.chip').forEach((c) => {
    c.disabled = true;
    c.classList.add('expired');
    c.setAttribute('aria-disabled', 'true');
  });
}

// next-action links (a 手机银行 deep link, the hotline): only https: and tel: with a plain number open; any
// other scheme (javascript:, data:, http:) is never a link and is sent as text like any other payload
const SAFE_LINK = /^(https:\/\/[^\s"'<>]+|tel:\+?[0-9][0-9-]{2,19})$/;

export function isSafeLink(payload) { return typeof payload === 'string' && SAFE_LINK.test(payload); }

function renderLink(b) {
  const link = h('a', 'chip chip-link', b.title || b.payload);
  link.href = b.payload;
  if (b.payload.indexOf('https:') === 0) {
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
  }
  return link;
}

function renderChip(b) {
  if (isSafeLink(b.payload)) return renderLink(b);
  const chip = h('button', 'chip', b.title || b.payload);
  chip.type = 'button';
  chip.dataset.payload = b.payload;
  return chip;
}

function renderChipGroup(buttons, className, label) {
  const group = h('div', className);
  group.setAttribute('role', 'group');
  group.setAttribute('aria-label', label);
  buttons.forEach((b) => group.appendChild(renderChip(b)));
  return group;
}

function renderNps(buttons) {
  const wrap = h('div', 'nps survey');
  wrap.setAttribute('role', 'group');
  wrap.setAttribute('aria-label', '推荐意愿评分，0 表示不可能，10 表示非常可能');
  const scale = h('div', 'nps-scale');
  buttons.forEach((b) => {
    const chip = renderChip(b);
    chip.classList.add('nps-chip');
    scale.appendChild(chip);
  });
  wrap.appendChild(scale);
  const legend = h('div', 'nps-legend');
  legend.setAttribute('aria-hidden', 'true');
  legend.appendChild(h('span', '', '0 不可能'));
  legend.appendChild(h('span', '', '10 非常可能'));
  wrap.appendChild(legend);
  return wrap;
}

export function lockSurvey(group, chosen) {
  group.querySelectorAll('.chip').forEach((c) => { c.disabled = true; });
  chosen.classList.add('selected');
  chosen.setAttribute('aria-pressed', 'true');
}

export function unlockSurvey(group) {
  group.querySelectorAll('.chip:not(.expired)').forEach((c) => {
    c.disabled = false;
    c.classList.remove('selected');
    c.removeAttribute('aria-pressed');
  });
}
