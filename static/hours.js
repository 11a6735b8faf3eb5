// Site availability settings (admins): the site's time zone, weekly opening
// hours and holidays, with a live preview of what the widget says now.
// The preview is computed by the server from the unsaved values
// (POST /api/v1/sites/{id}/availability/preview) and worded by the widget's
// own avLine, so it is exactly what a visitor reads.

import { h, replace, debounce } from './dom.js';
import { post } from './api.js';
import { field, showErrors, clearErrors, savesSite } from './forms.js';

/** @typedef {import('./api.js').Site} Site */
/** @typedef {{day: string, open: string, close: string}} Range */

const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'], ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];

/** The widget's module, loaded once, only when this card is shown. */
let widget;

/**
 * The availability card of a site's settings.
 * @param {Site & {time_zone?: string, hours?: Range[], holidays?: string[]}} site
 * @returns {HTMLElement}
 */
export function availabilityCard(site) {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const inZone = /** @type {HTMLInputElement} */ (h('input', { id: 'site-tz', type: 'text', list: 'site-tz-list', value: site.time_zone || 'UTC', autocomplete: 'off', spellcheck: 'false' }));
  const zoneList = h('datalist', { id: 'site-tz-list' }, ['UTC', ...zones].map((z) => h('option', { value: z })));
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const useHere = h('button', { type: 'button', class: 'link-btn', id: 'site-tz-here' }, 'Use my zone (' + here + ')');
  useHere.addEventListener('click', () => { inZone.value = here; changed(); });

  /** @type {Map<string, HTMLElement>} */
  const dayLists = new Map();
  const week = h('div', { class: 'hours-week' }, DAYS.map(([day, label]) => {
    const list = h('div', { class: 'hours-ranges', id: 'hours-' + day });
    dayLists.set(day, list);
    const add = h('button', { type: 'button', class: 'btn small subtle hours-add', id: 'hours-add-' + day, 'aria-label': 'Add opening hours on ' + label }, 'Add');
    add.addEventListener('click', () => {
      const r = addRange(list, day, label, { day, open: '09:00', close: '17:00' });
      /** @type {HTMLInputElement} */ (r.querySelector('input')).focus();
      changed();
    });
    return h('div', { class: 'hours-day', dataset: { day } }, h('span', { class: 'hours-label' }, label), list, add);
  }));
  for (const r of site.hours || []) {
    const d = DAYS.find(([day]) => day === r.day);
    if (d) addRange(/** @type {HTMLElement} */ (dayLists.get(r.day)), r.day, d[1], r);
  }
  week.addEventListener('input', () => changed());

  const inHolidays = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'site-holidays', rows: 3, spellcheck: 'false', placeholder: '2026-12-25' }));
  inHolidays.value = (site.holidays || []).join('\n');
  inHolidays.addEventListener('input', () => changed());
  inZone.addEventListener('input', () => changed());

  const preview = h('p', { id: 'availability-preview', class: 'availability-preview', role: 'status' }, '…');
  const form = h('form', { id: 'hours-form', class: 'card span-all', novalidate: true, 'aria-labelledby': 'hours-title' },
    h('h2', { id: 'hours-title', class: 'card-title' }, 'Opening hours'),
    h('div', { class: 'field' }, h('span', { class: 'muted small' }, 'The widget says now:'), preview),
    field('Time zone', inZone, 'time_zone', 'The zone the hours and holidays are in.'), zoneList, h('p', { class: 'small' }, useHere),
    h('fieldset', { class: 'field' }, h('legend', null, 'Weekly hours'),
      h('p', { class: 'hint' }, 'No hours at all: always open. Past midnight: close at 24:00 and open again at 00:00 the next day.'),
      week,
      h('p', { class: 'field-error', dataset: { errorFor: 'hours' }, hidden: true, role: 'alert' })),
    field('Holidays', inHolidays, 'holidays', 'Closed all day. One date per line, like 2026-12-25.'),
    h('p', { class: 'form-error', hidden: true, role: 'alert' }),
    h('div', { class: 'form-foot' },
      h('button', { id: 'hours-save', type: 'submit', class: 'btn primary' }, 'Save hours'),
      h('span', { id: 'hours-save-status', class: 'muted', role: 'status' })));

  const values = () => ({
    time_zone: inZone.value.trim(),
    hours: [...week.querySelectorAll('.hours-range')].map((r) => ({
      day: /** @type {HTMLElement} */ (r).dataset.day,
      open: /** @type {HTMLInputElement} */ (r.querySelector('.hours-open')).value.trim(),
      close: /** @type {HTMLInputElement} */ (r.querySelector('.hours-close')).value.trim(),
    })),
    holidays: inHolidays.value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean),
  });

  let asked = 0;
  const refresh = async () => {
    const n = ++asked;
    try {
      widget ||= await import('/widget-panel.js');
      const res = await post('/api/v1/sites/' + encodeURIComponent(site.id) + '/availability/preview', values());
      if (n !== asked) return; // a later edit's answer is on its way
      clearErrors(form);
      const av = res.availability;
      const line = widget.avLine(av, 'en', widget.strings.en);
      const what = av.online ? '' : av.reply_by_email ? 'The widget asks for an email address to send the answer to.' : widget.strings.en.here + ' (Email is not configured.)';
      replace(preview, h('span', { class: ['dot', av.online && 'on'], 'aria-hidden': 'true' }), h('span', null, line, what && h('span', { class: 'muted small block' }, what)));
    } catch (err) {
      if (n !== asked) return;
      showErrors(form, err);
      replace(preview, 'Fix the hours above to see what the widget says.');
    }
  };
  const changed = debounce(refresh, 250);

  savesSite(form, site.id, values, 'Opening hours saved.', (saved) => { inHolidays.value = (saved.holidays || []).join('\n'); });
  refresh();
  return form;
}

/**
 * Adds one open-close range to a day's list.
 * @param {HTMLElement} list
 * @param {string} day
 * @param {string} label
 * @param {Range} r
 */
function addRange(list, day, label, r) {
  const n = list.children.length + 1;
  const time = (/** @type {string} */ cls, /** @type {string} */ value, /** @type {string} */ what) => h('input', {
    type: 'text', class: cls, value, maxlength: 5, inputmode: 'numeric', pattern: '[0-2][0-9]:[0-5][0-9]', placeholder: 'HH:MM',
    'aria-label': label + ' ' + what + ' (range ' + n + ')',
  });
  const row = h('div', { class: 'hours-range', dataset: { day } },
    time('hours-open', r.open, 'opens'), h('span', { 'aria-hidden': 'true' }, '–'), time('hours-close', r.close, 'closes'));
  const remove = h('button', { type: 'button', class: 'link-btn hours-remove', 'aria-label': 'Remove ' + label + ' range ' + n }, 'Remove');
  remove.addEventListener('click', () => {
    row.remove();
    list.dispatchEvent(new Event('input', { bubbles: true }));
  });
  row.append(remove);
  list.append(row);
  return row;
}
