// Form building blocks shared by the settings and team pages.

import { h, toast } from './dom.js';
import { ApiError, describeError, patch } from './api.js';
import { state, emit } from './state.js';

/**
 * A labelled field with a slot for its error.
 * @param {string} label
 * @param {HTMLElement} control  must have an id
 * @param {string} [name]        the API field the error slot answers to
 * @param {string} [hint]
 */
export function field(label, control, name, hint) {
  return h('div', { class: 'field' },
    h('label', { for: control.id }, label),
    control,
    hint ? h('p', { class: 'hint' }, hint) : null,
    h('p', { class: 'field-error', dataset: { errorFor: name || control.id }, hidden: true, role: 'alert' }));
}

/**
 * A group of checkboxes in a fieldset.
 * @param {string} legend
 * @param {HTMLElement[]} boxes  labels wrapping inputs
 * @param {string} name
 */
export function checkGroup(legend, boxes, name) {
  return h('fieldset', { class: 'field checks' },
    h('legend', null, legend),
    h('div', { class: 'check-list' }, boxes),
    h('p', { class: 'field-error', dataset: { errorFor: name }, hidden: true, role: 'alert' }));
}

/**
 * @param {string} id
 * @param {string} value
 * @param {string} text
 * @param {boolean} checked
 * @param {string} [cls]
 */
export function checkbox(id, value, text, checked, cls) {
  return h('label', { class: 'check', for: id },
    h('input', { type: 'checkbox', id, value, checked, class: cls }),
    h('span', null, text));
}

/**
 * Shows an API error on a form: field messages beside their fields, the
 * rest in the form's general error slot.
 * @param {HTMLElement} form
 * @param {unknown} err
 * @param {Record<string, string>} [extra] messages for codes (e.g. 409)
 */
export function showErrors(form, err, extra = {}) {
  clearErrors(form);
  let general = describeError(err);
  if (err instanceof ApiError) {
    const fields = err.fields || {};
    let placed = 0;
    for (const [name, msg] of Object.entries(fields)) {
      const slot = form.querySelector('[data-error-for="' + CSS.escape(name) + '"]');
      if (slot) {
        slot.textContent = cap(name.replace(/_/g, ' ')) + ' ' + msg + '.';
        /** @type {HTMLElement} */ (slot).hidden = false;
        placed++;
      }
    }
    if (placed && placed === Object.keys(fields).length) general = 'Please fix the fields marked below.';
    if (extra[err.code]) general = extra[err.code];
    else if (extra[String(err.status)]) general = extra[String(err.status)];
  }
  const slot = form.querySelector('.form-error');
  if (slot) {
    slot.textContent = general;
    /** @type {HTMLElement} */ (slot).hidden = false;
  }
}

/** @param {HTMLElement} form */
export function clearErrors(form) {
  for (const slot of form.querySelectorAll('.field-error, .form-error')) {
    slot.textContent = '';
    /** @type {HTMLElement} */ (slot).hidden = true;
  }
}

/**
 * Shows one field's error (client-side checks).
 * @param {HTMLElement} form
 * @param {string} name
 * @param {string} msg
 */
export function fieldError(form, name, msg) {
  const slot = form.querySelector('[data-error-for="' + CSS.escape(name) + '"]');
  if (slot) {
    slot.textContent = msg;
    /** @type {HTMLElement} */ (slot).hidden = false;
  }
}

/** @param {string} s */
function cap(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Makes a card of a site's settings save on submit: PATCH /api/v1/sites/{id}
 * with change(), the card's button disabled and its status line saying how
 * it went, a refusal's errors beside their fields; the saved site replaces
 * the one in state, and after(site) shows what the server made of the values.
 * @param {HTMLElement} form  with a submit button and a [role=status] line in its .form-foot
 * @param {string} siteId
 * @param {() => Record<string, any>} change
 * @param {string} done  the toast once saved
 * @param {(site: any) => void} after
 */
export function savesSite(form, siteId, change, done, after) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const btn = /** @type {HTMLButtonElement} */ (form.querySelector('.form-foot button[type=submit]'));
    const status = /** @type {HTMLElement} */ (form.querySelector('.form-foot [role=status]'));
    btn.disabled = true;
    status.textContent = 'Saving…';
    try {
      const res = await patch('/api/v1/sites/' + encodeURIComponent(siteId), change());
      state.sites.set(res.site.id, res.site);
      after(res.site);
      status.textContent = 'Saved.';
      toast(done);
      emit('sites');
    } catch (err) {
      status.textContent = '';
      showErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  });
}
