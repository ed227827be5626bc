/* The period and filter pickers: a preset (最近 7/30 天, 本月, 上月, 今天, 昨天) fills the dates, editing a date
 * makes it 自定义; the channel, skill group and agent lists come from the report itself (the values present
 * in the period and the one before). params() is what the API is asked with. */

import { elements } from '../shared/dom.js';
import { isoDate } from './format.js';

const el = elements(['filters', 'f-preset', 'f-start', 'f-end', 'f-granularity', 'f-channel', 'f-skill-group',
  'f-agent']);

function addDays(d, n) {
  const copy = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  copy.setDate(copy.getDate() + n);
  return copy;
}

/* [start, end] Dates of a preset, relative to today. */
export function presetRange(preset, today) {
  const t = new Date(today.getFullYear(), today.getMonth(), today.getDate());
  switch (preset) {
    case 'today': return [t, t];
    case 'yesterday': return [addDays(t, -1), addDays(t, -1)];
    case 'last7': return [addDays(t, -6), t];
    case 'month': return [new Date(t.getFullYear(), t.getMonth(), 1), t];
    case 'prev-month': return [new Date(t.getFullYear(), t.getMonth() - 1, 1), new Date(t.getFullYear(), t.getMonth(), 0)];
    default: return [addDays(t, -29), t];
  }
}

function applyPreset() {
  if (el.fPreset.value === 'custom') return;
  const [start, end] = presetRange(el.fPreset.value, new Date());
  el.fStart.value = isoDate(start);
  el.fEnd.value = isoDate(end);
}

function fillSelect(select, values) {
  const chosen = select.value;
  while (select.options.length > 1) select.remove(1);
  values.forEach((v) => {
    const option = document.createElement('option');
    option.value = v;
    option.textContent = v;
    select.appendChild(option);
  });
  if (chosen && values.indexOf(chosen) === -1) {  // keep a filter that found nothing this time
    const option = document.createElement('option');
    option.value = chosen;
    option.textContent = chosen;
    select.appendChild(option);
  }
  select.value = chosen;
}

export function setOptions(options) {
  fillSelect(el.fChannel, options.channels);
  fillSelect(el.fSkillGroup, options.skill_groups);
  fillSelect(el.fAgent, options.agents);
}

export function params() {
  return { start: el.fStart.value, end: el.fEnd.value, granularity: el.fGranularity.value,
           channel: el.fChannel.value, skill_group: el.fSkillGroup.value, agent: el.fAgent.value };
}

/* Wire the pickers; onChange() runs on 查询 and whenever a picker changes. */
export function init(onChange) {
  applyPreset();
  el.fPreset.addEventListener('change', () => { applyPreset(); onChange(); });
  [el.fStart, el.fEnd].forEach((input) => input.addEventListener('change', () => { el.fPreset.value = 'custom'; }));
  [el.fGranularity, el.fChannel, el.fSkillGroup, el.fAgent].forEach((s) => s.addEventListener('change', onChange));
  el.filters.addEventListener('submit', (e) => { e.preventDefault(); onChange(); });
}
