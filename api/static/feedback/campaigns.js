/* Themed surveys (专项NPS调查), supervisors only: the campaigns, a form to create one (topic, question, follow-up
 * by score band, target, sample rate, period) and the selected campaign's results, refreshed every 5 s (live). */

import { clear, elements, h, note } from '../shared/dom.js';
import { api, localToIso, toLocalInput, toast, when } from './page.js';

const GROUPS = ['信用卡', '理财', '证券', '通用'];
const el = elements(['campaign-list', 'campaign-form', 'c-topic', 'c-question', 'c-followup-detractor',
  'c-followup-passive', 'c-followup-promoter', 'c-channels', 'c-skill-groups', 'c-areas', 'c-rate', 'c-start',
  'c-end', 'c-submit', 'campaign-results', 'r-topic', 'r-live', 'r-question', 'r-nps', 'r-answered', 'r-asked',
  'r-detractors', 'r-items', 'r-distribution', 'r-toggle', 'r-comments']);

let selected = null;
let timer = null;

function checkboxes(holder, name) {
  clear(holder);
  GROUPS.forEach((g) => {
    const label = h('label', '');
    const box = h('input');
    box.type = 'checkbox';
    box.name = name;
    box.value = g;
    label.appendChild(box);
    label.appendChild(document.createTextNode(' ' + g));
    holder.appendChild(label);
  });
}

function checked(holder) {
  return Array.from(holder.querySelectorAll('input:checked')).map((b) => b.value);
}

function resetForm() {
  el.campaignForm.reset();
  checkboxes(el.cSkillGroups, 'skill_groups');
  checkboxes(el.cAreas, 'areas');
  const now = new Date();
  el.cStart.value = toLocalInput(now);
  el.cEnd.value = toLocalInput(new Date(now.getTime() + 14 * 86400000));
}

function loadList() {
  return api('GET', '/campaigns').then((data) => {
    clear(el.campaignList);
    if (!data.campaigns.length) note(el.campaignList, '暂无调查活动');
    data.campaigns.forEach((c) => {
      const li = h('li', 'fb-row' + (c.id === selected ? ' selected' : ''));
      li.dataset.id = String(c.id);
      const head = h('div', 'fb-row-head');
      head.appendChild(h('span', '', c.live ? '进行中' : (c.active ? '未在期内' : '已暂停')));
      head.appendChild(h('span', '', when(c.starts_at) + ' – ' + when(c.ends_at)));
      head.appendChild(h('span', '', '抽样 ' + Math.round(c.sample_rate * 100) + '%'));
      li.appendChild(head);
      li.appendChild(h('div', 'fb-row-text', c.topic + '：' + c.question));
      li.addEventListener('click', () => select(c.id));
      el.campaignList.appendChild(li);
    });
  }, toast.error);
}

function band(score) { return score <= 6 ? 'detractor' : (score <= 8 ? 'passive' : 'promoter'); }

function renderResults(r) {
  const c = r.campaign;
  el.campaignResults.hidden = false;
  el.rTopic.textContent = c.topic;
  el.rLive.textContent = c.live ? '进行中' : (c.active ? '未在期内' : '已暂停');
  el.rQuestion.textContent = c.question;
  el.rNps.textContent = r.nps === null ? '–' : String(r.nps);
  el.rAnswered.textContent = String(r.answered);
  el.rAsked.textContent = String(r.asked);
  el.rDetractors.textContent = String(r.detractors);
  el.rItems.textContent = String(r.feedback_items);
  el.rToggle.textContent = c.active ? '暂停' : '恢复';
  el.rToggle.dataset.active = c.active ? '1' : '';
  clear(el.rDistribution);
  const top = Math.max(1, ...r.distribution);
  r.distribution.forEach((n, score) => {
    const bar = h('div', 'fb-bar ' + band(score));
    bar.title = score + '分：' + n;
    bar.appendChild(h('span', 'count', n ? String(n) : ''));
    const fill = h('span', 'fill');
    fill.style.height = Math.round(100 * n / top) + '%';
    bar.appendChild(fill);
    bar.appendChild(h('span', '', String(score)));
    el.rDistribution.appendChild(bar);
  });
  clear(el.rComments);
  if (!r.comments.length) note(el.rComments, '暂无追问回答');
  r.comments.forEach((x) => {
    el.rComments.appendChild(h('li', '', when(x.at) + '（' + x.score + '分）' + x.text));
  });
}

function loadResults() {
  if (selected === null) return Promise.resolve();
  return api('GET', '/campaigns/' + selected + '/results').then(renderResults, toast.error);
}

function select(id) {
  selected = id;
  el.campaignList.querySelectorAll('.fb-row').forEach((li) => {
    li.classList.toggle('selected', li.dataset.id === String(id));
  });
  return loadResults();
}

el.campaignForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const followups = {};
  [['detractor', el.cFollowupDetractor], ['passive', el.cFollowupPassive], ['promoter', el.cFollowupPromoter]]
    .forEach(([b, input]) => { if (input.value.trim()) followups[b] = input.value.trim(); });
  const body = {
    topic: el.cTopic.value.trim(), question: el.cQuestion.value.trim(), followups,
    target: {
      channels: el.cChannels.value.split(/[,，\s]+/).filter(Boolean),
      skill_groups: checked(el.cSkillGroups), areas: checked(el.cAreas)
    },
    sample_rate: Math.min(100, Math.max(0, Number(el.cRate.value) || 0)) / 100,
    starts_at: localToIso(el.cStart.value), ends_at: localToIso(el.cEnd.value)
  };
  if (!body.topic || !body.question) { toast.show('请填写主题和问题'); return; }
  el.cSubmit.disabled = true;
  api('POST', '/campaigns', body).then((c) => {
    toast.show('调查已创建', 'ok');
    resetForm();
    selected = c.id;
    return loadList().then(loadResults);
  }, toast.error).then(() => { el.cSubmit.disabled = false; });
});

el.rToggle.addEventListener('click', () => {
  if (selected === null) return;
  api('PATCH', '/campaigns/' + selected, { active: !el.rToggle.dataset.active })
    .then(() => loadList().then(loadResults), toast.error);
});

export function start() {
  if (!el.cSkillGroups.childNodes.length) resetForm();
  loadList().then(loadResults);
  clearInterval(timer);
  timer = setInterval(loadResults, 5000);
}

export function stop() { clearInterval(timer); timer = null; }

export function reset() {
  selected = null;
  clear(el.campaignList);
  el.campaignResults.hidden = true;
  resetForm();
}
