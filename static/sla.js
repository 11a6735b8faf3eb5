// SLAs on the dashboard: a live countdown per conversation in the inbox
// (it ticks every second from the due time the server set, coloured by the
// SLA state), the due-first order, the notices of warnings and escalations,
// and the SLA card of a site's settings.

import { h, byId, toast, ms, clockTime } from './dom.js';
import { get, request } from './api.js';
import { state, KINDS } from './state.js';
import { field, showErrors, clearErrors } from './forms.js';
import { beep, desktopNotify } from './notify.js';

/**
 * @typedef {import('./api.js').Conversation} Conversation
 * @typedef {import('./api.js').Site} Site
 * @typedef {import('./socket.js').Frame} Frame
 * @typedef {{first_response_due: string|null, resolution_due: string|null, state: 'none'|'ok'|'warning'|'breached'|'met', due_at: string|null, paused_at: string|null}} SLA
 * @typedef {{first_response_minutes: number|null, resolution_minutes: number|null}} Target
 */

/** @param {Conversation} c @returns {SLA | undefined} */
function slaOf(c) {
  return /** @type {any} */ (c).sla;
}

/**
 * Time left as the countdown shows it: m:ss, h:mm:ss, or days and hours.
 * @param {number} left milliseconds (negative: overdue)
 */
export function formatLeft(left) {
  const s = Math.floor(Math.abs(left) / 1000);
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const two = (/** @type {number} */ n) => String(n).padStart(2, '0');
  let text = d > 0 ? d + 'd ' + hh + 'h' : hh > 0 ? hh + ':' + two(mm) + ':' + two(ss) : mm + ':' + two(ss);
  if (left < 0) text = '−' + text;
  return text;
}

/**
 * Sets a countdown's text and colour at now: overdue is breached at once,
 * before the server's state says so; otherwise the server's state
 * (warning from 80 % of the business time) colours it.
 * @param {HTMLElement} el
 * @param {number} now
 */
function tick(el, now) {
  const left = ms(el.dataset.due) - now;
  const text = formatLeft(left);
  if (el.textContent !== text) el.textContent = text;
  const cls = 'sla sla-' + (left <= 0 ? 'breached' : el.dataset.state);
  if (el.className !== cls) el.className = cls;
}

/** Ticks every countdown on the page. */
function tickAll() {
  const now = Date.now();
  for (const el of document.querySelectorAll('.sla[data-due]')) tick(/** @type {HTMLElement} */ (el), now);
}
window.setInterval(tickAll, 1000);

/** @param {string} state */
function stateText(state) {
  return { ok: 'on time', warning: 'due soon', breached: 'overdue', met: 'met' }[state] || state;
}

/**
 * The SLA mark of an inbox item: a live countdown to the nearest due time
 * while a target runs, a still one while the clock is paused, a word when
 * it is over; nothing for a kind without targets.
 * @param {Conversation} c
 * @returns {HTMLElement | null}
 */
export function slaBadge(c) {
  const sla = slaOf(c);
  if (!sla || sla.state === 'none') return null;
  if (!sla.due_at) {
    return h('span', { class: 'sla sla-' + sla.state, title: 'SLA ' + stateText(sla.state) }, sla.state === 'met' ? 'SLA met' : 'SLA missed');
  }
  const title = 'SLA ' + stateText(sla.state) + ' · due ' + clockTime(sla.due_at);
  if (sla.paused_at) {
    return h('span', { class: 'sla sla-paused', title: title + ' (paused while pending)' }, '⏸ ' + formatLeft(ms(sla.due_at) - ms(sla.paused_at)));
  }
  const el = h('span', { class: 'sla', role: 'timer', title, 'aria-label': title, dataset: { due: sla.due_at, state: sla.state } });
  tick(el, Date.now());
  return el;
}

/**
 * Due first, as the server orders sort=due: the nearest due time of a
 * running target first, conversations without one last, by id.
 * @param {Conversation} a
 * @param {Conversation} b
 */
export function byDue(a, b) {
  const da = ms(slaOf(a)?.due_at);
  const db = ms(slaOf(b)?.due_at);
  if (da !== db) {
    if (!da) return 1;
    if (!db) return -1;
    return da - db;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Shows a warning or an escalation from the server (sla.warning,
 * sla.escalation) to the staff it names; one that names nobody is for
 * everyone on the site.
 * @param {Frame} f
 */
export function slaNotice(f) {
  const d = f.data || {};
  const ids = Array.isArray(d.user_ids) ? d.user_ids : [];
  if (ids.length && !ids.includes(state.me?.id)) return;
  const escalation = f.type === 'sla.escalation';
  const what = d.target === 'resolution' ? 'resolution' : 'first response';
  const text = (escalation ? 'Overdue: ' : 'Due soon: ') + (d.kind || 'conversation') + ' #' + (d.ref || '') + ' — ' + what + ' due ' + clockTime(d.due);
  toast(text, escalation ? 'error' : 'info');
  if (escalation) {
    beep();
    desktopNotify(text, 'Open the conversation', f.conversation_id, () => {
      location.hash = '#/inbox/' + encodeURIComponent(f.conversation_id);
    });
  }
}

/**
 * The SLA card of a site's settings: targets per kind in business minutes
 * (counted in the opening hours) and whether pending stops the clock.
 * @param {Site} site
 * @returns {HTMLElement}
 */
export function slaCard(site) {
  const path = '/api/v1/sites/' + encodeURIComponent(site.id) + '/sla';
  /** @type {Map<string, [HTMLInputElement, HTMLInputElement]>} */
  const inputs = new Map();
  const minutes = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ (h('input', { id, type: 'number', min: 1, max: 525600, step: 1, inputmode: 'numeric', placeholder: 'none' }));
  const rows = KINDS.map((k) => {
    const first = minutes('sla-' + k + '-first');
    const resolution = minutes('sla-' + k + '-resolution');
    inputs.set(k, [first, resolution]);
    const name = k.charAt(0).toUpperCase() + k.slice(1);
    return h('div', { class: 'row sla-row' },
      field(name + ': first response (minutes)', first, 'targets.' + k + '.first_response_minutes'),
      field(name + ': resolution (minutes)', resolution, 'targets.' + k + '.resolution_minutes'));
  });
  const pause = /** @type {HTMLInputElement} */ (h('input', { id: 'sla-pause', type: 'checkbox' }));
  const form = h('form', { id: 'sla-form', class: 'card span-all', novalidate: true, 'aria-labelledby': 'sla-title' },
    h('h2', { id: 'sla-title', class: 'card-title' }, 'Response targets (SLA)'),
    h('p', { class: 'hint' }, 'Minutes of opening hours (no hours: around the clock). Leave empty for no target. The inbox counts down to the nearest one; at 80 % of the time the assignee is warned, and when it passes the assignee and the admins are alerted, live and by email.'),
    rows,
    h('label', { class: 'check', for: 'sla-pause' }, pause, h('span', null, 'Stop the clock while a conversation is pending (waiting for the customer)')),
    h('p', { class: 'field-error', dataset: { errorFor: 'targets' }, hidden: true, role: 'alert' }),
    h('p', { class: 'form-error', hidden: true, role: 'alert' }),
    h('div', { class: 'form-foot' },
      h('button', { id: 'sla-save', type: 'submit', class: 'btn primary' }, 'Save targets'),
      h('span', { id: 'sla-save-status', class: 'muted', role: 'status' })));

  /** @param {{targets: Record<string, Target>, pause_when_pending: boolean}} v */
  const show = (v) => {
    for (const [k, [first, resolution]] of inputs) {
      const t = v.targets[k];
      first.value = t?.first_response_minutes ? String(t.first_response_minutes) : '';
      resolution.value = t?.resolution_minutes ? String(t.resolution_minutes) : '';
    }
    pause.checked = !!v.pause_when_pending;
    form.dataset.loaded = '1';
  };
  const num = (/** @type {HTMLInputElement} */ el) => (el.value.trim() === '' ? null : Number(el.value));
  get(path).then(show).catch((err) => showErrors(form, err));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    /** @type {Record<string, Target>} */
    const targets = {};
    for (const [k, [first, resolution]] of inputs) {
      const t = { first_response_minutes: num(first), resolution_minutes: num(resolution) };
      if (t.first_response_minutes !== null || t.resolution_minutes !== null) targets[k] = t;
    }
    const btn = /** @type {HTMLButtonElement} */ (byId('sla-save'));
    const status = byId('sla-save-status');
    btn.disabled = true;
    status.textContent = 'Saving…';
    try {
      show(await request('PUT', path, { targets, pause_when_pending: pause.checked }));
      status.textContent = 'Saved.';
      toast('Response targets saved.');
    } catch (err) {
      status.textContent = '';
      showErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}
