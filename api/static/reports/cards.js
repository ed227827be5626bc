/* The KPI cards: each KPI's value for the period, its change against the period before, its formula as the
 * tooltip. A card whose number stands for conversations opens the drill-down (DRILL_OF: KPI -> drill-down). */

import { byId, clear, h } from '../shared/dom.js';
import { formatChange, formatValue } from './format.js';

/* Which drill-down lists what a KPI counts (for a rate: its numerator, or what it misses). */
export const DRILL_OF = {
  conversations: 'conversations', messages: 'messages', bot_self_service_rate: 'bot_self_service',
  kb_lookups: 'kb_lookups', kb_answer_rate: 'kb_answer', kb_suggest_rate: 'kb_suggest',
  kb_fallback_rate: 'kb_fallback', handoff_requests: 'handoff_requests',
  out_of_hours_requests: 'out_of_hours_requests', connect_rate: 'not_connected', avg_wait_s: 'connected',
  p90_wait_s: 'connected', abandon_rate: 'abandoned', avg_handle_s: 'handoff_requests',
  leave_messages: 'leave_messages', callback_sla_rate: 'leave_late', csat_answers: 'csat_answers',
  satisfaction_rate: 'dissatisfied', nps: 'detractors', nps_answers: 'nps_answers', complaints: 'complaints',
  complaint_rate: 'complaints', sensitive_hits: 'sensitive_hits'
};

/* Draw the cards of report; onDrill(drillKey, title) when one is clicked. */
export function render(report, onDrill) {
  const box = byId('kpi-cards');
  clear(box);
  report.definitions.forEach((def) => {
    const card = h('button', 'kpi-card');
    card.type = 'button';
    card.dataset.kpi = def.key;
    card.title = def.label + '：' + def.formula;
    card.appendChild(h('div', 'kpi-label', def.label));
    card.appendChild(h('div', 'kpi-value', formatValue(report.current[def.key], def.unit)));
    const change = formatChange(def.key, report.change[def.key], def.unit);
    card.appendChild(h('div', 'kpi-change ' + change.direction, change.text));
    const drill = DRILL_OF[def.key];
    if (drill) {
      card.classList.add('drillable');
      card.addEventListener('click', () => onDrill(drill, null));
    }
    box.appendChild(card);
  });
}
