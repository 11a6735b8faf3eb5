// Site settings (admins): the button's look and words, allowed origins,
// a live preview, the install snippet and the CSP lines to add; opening
// hours are in hours.js.

import { h, byId, replace, copyText, toast } from './dom.js';
import { post, patch } from './api.js';
import { state, emit, KINDS } from './state.js';
import { field, checkGroup, checkbox, showErrors, clearErrors, fieldError } from './forms.js';
import { availabilityCard } from './hours.js';
import { reviewsCard } from './reviews.js';
import { routingCard } from './teams-admin.js';
import { slaCard } from './sla.js';

/** @typedef {import('./api.js').Site} Site */

const LOCALES = [['', 'Visitor’s language'], ['en', 'English'], ['de', 'Deutsch'], ['fr', 'Français'], ['es', 'Español']];

/**
 * Renders the settings page into the page body.
 * @param {string} siteId the site to edit ('' for the first)
 */
export function renderSettings(siteId) {
  const body = byId('page-body');
  byId('page-title').textContent = 'Sites';
  const sites = [...state.sites.values()].sort((a, b) => a.name.localeCompare(b.name));
  const site = state.sites.get(siteId) || sites[0];

  const list = h('nav', { class: 'site-list', 'aria-label': 'Sites' },
    h('ul', { id: 'site-list' }, sites.map((s) => h('li', null,
      h('a', { href: '#/settings/' + encodeURIComponent(s.id), class: ['site-link', s === site && 'active'], 'aria-current': s === site ? 'page' : null },
        h('span', { class: 'swatch', style: { 'background-color': s.color || '#2563eb' } }),
        h('span', null, s.name || s.key))))),
    newSiteForm());

  replace(body, h('div', { class: 'settings' }, list, site ? editor(site) : h('p', { class: 'muted' }, 'No sites yet. Create one to get its snippet.')));
}

function newSiteForm() {
  const name = /** @type {HTMLInputElement} */ (h('input', { id: 'new-site-name', type: 'text', maxlength: 200, placeholder: 'e.g. My shop', required: true }));
  const form = h('form', { id: 'new-site', class: 'card compact', novalidate: true },
    h('h2', { class: 'card-title' }, 'New site'),
    field('Name', name, 'name'),
    h('p', { class: 'form-error', hidden: true, role: 'alert' }),
    h('button', { id: 'new-site-create', type: 'submit', class: 'btn primary' }, 'Create site'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!name.value.trim()) {
      fieldError(form, 'name', 'Give the site a name.');
      name.focus();
      return;
    }
    const btn = /** @type {HTMLButtonElement} */ (form.querySelector('button[type=submit]'));
    btn.disabled = true;
    try {
      const res = await post('/api/v1/sites', { name: name.value.trim() });
      state.sites.set(res.site.id, res.site);
      emit('sites');
      toast('Site created. Paste its snippet into your pages.');
      location.hash = '#/settings/' + encodeURIComponent(res.site.id);
    } catch (err) {
      showErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

/** @param {string} origin */
function wsOrigin(origin) {
  return origin.replace(/^http/, 'ws');
}

/** @param {string} hex */
function readableOn(hex) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return '#ffffff';
  const [r, g, b] = m.slice(1).map((x) => {
    const c = parseInt(x, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return lum > 0.45 ? '#111827' : '#ffffff';
}

/** @param {Site} site */
function editor(site) {
  const origin = location.origin;
  const color = site.color || '#2563eb';

  const inName = /** @type {HTMLInputElement} */ (h('input', { id: 'site-name', type: 'text', value: site.name, maxlength: 200, required: true }));
  const inOrigins = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'site-origins', rows: 3, spellcheck: 'false', placeholder: 'https://shop.example.com' }));
  inOrigins.value = (site.allowed_origins || []).join('\n');
  const inColor = /** @type {HTMLInputElement} */ (h('input', { id: 'site-color', type: 'color', value: color }));
  const inColorText = /** @type {HTMLInputElement} */ (h('input', { id: 'site-color-text', type: 'text', value: color, maxlength: 7, pattern: '#[0-9a-fA-F]{6}', 'aria-label': 'Colour as hex', spellcheck: 'false' }));
  const inPosition = /** @type {HTMLSelectElement} */ (h('select', { id: 'site-position' },
    h('option', { value: 'right' }, 'Bottom right'), h('option', { value: 'left' }, 'Bottom left')));
  inPosition.value = site.position === 'left' ? 'left' : 'right';
  const inGreeting = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'site-greeting', rows: 2, maxlength: 500, placeholder: 'Hi! How can we help?' }));
  inGreeting.value = site.greeting || '';
  const inLabel = /** @type {HTMLInputElement} */ (h('input', { id: 'site-button-label', type: 'text', value: site.button_label || '', maxlength: 40, placeholder: 'Help' }));
  const kinds = KINDS.map((k) => checkbox('site-kind-' + k, k, k.charAt(0).toUpperCase() + k.slice(1), (site.kinds || KINDS).includes(k), 'site-kind'));
  const inLocale = /** @type {HTMLSelectElement} */ (h('select', { id: 'site-locale' }, LOCALES.map(([v, t]) => h('option', { value: v }, t))));
  inLocale.value = site.locale || '';
  const inDelay = /** @type {HTMLInputElement} */ (h('input', { id: 'site-reply-delay', type: 'number', min: 0, max: 86400, step: 1, value: String(site.reply_email_delay_seconds ?? 120) }));

  const form = h('form', { id: 'site-form', class: 'card', novalidate: true },
    h('h2', { class: 'card-title' }, 'Button and panel'),
    field('Name', inName, 'name', 'Shown to visitors at the top of the panel.'),
    field('Allowed origins', inOrigins, 'allowed_origins', 'One per line, like https://shop.example.com. Leave empty to allow any site (not recommended).'),
    h('div', { class: 'row' },
      h('div', { class: 'field' },
        h('label', { for: 'site-color' }, 'Colour'),
        h('div', { class: 'color-row' }, inColor, inColorText),
        h('p', { class: 'field-error', dataset: { errorFor: 'color' }, hidden: true, role: 'alert' })),
      field('Position', inPosition, 'position')),
    field('Button label', inLabel, 'button_label'),
    field('Greeting', inGreeting, 'greeting'),
    checkGroup('What visitors can send', kinds, 'kinds'),
    field('Language', inLocale, 'locale'),
    field('Email a reply after (seconds)', inDelay, 'reply_email_delay_seconds', 'A staff reply the customer has not seen in the widget by then is emailed to them, if they left an address. 0 sends at once.'),
    h('p', { class: 'form-error', hidden: true, role: 'alert' }),
    h('div', { class: 'form-foot' },
      h('button', { id: 'site-save', type: 'submit', class: 'btn primary' }, 'Save changes'),
      h('span', { id: 'site-save-status', class: 'muted', role: 'status' })));

  // Live preview: a mock page with the button drawn from the form's values.
  const previewLabel = h('span', { id: 'preview-label' });
  const previewBtn = h('span', { id: 'preview-button', class: 'preview-button' },
    h('span', { class: 'preview-icon', 'aria-hidden': 'true' }, '?'), previewLabel);
  const previewGreeting = h('div', { id: 'preview-greeting', class: 'preview-greeting' });
  const frame = h('div', { id: 'site-preview', class: 'preview-frame', 'aria-label': 'Preview of the button on a page', role: 'img' },
    h('div', { class: 'mock-bar' }), h('div', { class: 'mock-line w60' }), h('div', { class: 'mock-line w80' }), h('div', { class: 'mock-line w40' }),
    h('div', { class: 'mock-cards' }, h('div'), h('div'), h('div')),
    previewGreeting, previewBtn);

  const updatePreview = () => {
    const c = /^#[0-9a-f]{6}$/i.test(inColorText.value) ? inColorText.value : inColor.value;
    previewBtn.style.setProperty('background-color', c);
    previewBtn.style.setProperty('color', readableOn(c));
    previewGreeting.style.setProperty('border-color', c);
    const left = inPosition.value === 'left';
    for (const el of [previewBtn, previewGreeting]) {
      el.style.setProperty(left ? 'left' : 'right', '14px');
      el.style.removeProperty(left ? 'right' : 'left');
    }
    previewLabel.textContent = inLabel.value.trim() || 'Help';
    previewGreeting.textContent = inGreeting.value.trim();
    previewGreeting.hidden = !inGreeting.value.trim();
  };
  inColor.addEventListener('input', () => {
    inColorText.value = inColor.value;
    updatePreview();
  });
  inColorText.addEventListener('input', () => {
    if (/^#[0-9a-f]{6}$/i.test(inColorText.value)) inColor.value = inColorText.value.toLowerCase();
    updatePreview();
  });
  for (const el of [inPosition, inLabel, inGreeting]) el.addEventListener('input', updatePreview);
  inPosition.addEventListener('change', updatePreview);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const chosen = /** @type {HTMLInputElement[]} */ ([...form.querySelectorAll('input.site-kind')]).filter((i) => i.checked).map((i) => i.value);
    let bad = false;
    if (!inName.value.trim()) {
      fieldError(form, 'name', 'Give the site a name.');
      bad = true;
    }
    if (!chosen.length) {
      fieldError(form, 'kinds', 'Choose at least one kind.');
      bad = true;
    }
    if (!/^#[0-9a-f]{6}$/i.test(inColorText.value)) {
      fieldError(form, 'color', 'Use a colour like #2563eb.');
      bad = true;
    }
    if (bad) return;
    const btn = /** @type {HTMLButtonElement} */ (byId('site-save'));
    const status = byId('site-save-status');
    btn.disabled = true;
    status.textContent = 'Saving…';
    try {
      const res = await patch('/api/v1/sites/' + encodeURIComponent(site.id), {
        name: inName.value.trim(),
        allowed_origins: inOrigins.value.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean),
        color: inColorText.value.toLowerCase(),
        position: inPosition.value,
        greeting: inGreeting.value.trim(),
        button_label: inLabel.value.trim(),
        kinds: chosen,
        locale: inLocale.value,
        reply_email_delay_seconds: Number(inDelay.value),
      });
      state.sites.set(res.site.id, res.site);
      inOrigins.value = (res.site.allowed_origins || []).join('\n');
      status.textContent = 'Saved.';
      toast('Site settings saved.');
      emit('sites');
      // Refresh the list's name and swatch without losing the form.
      const link = document.querySelector('.site-link.active');
      if (link) replace(link, h('span', { class: 'swatch', style: { 'background-color': res.site.color } }), h('span', null, res.site.name));
    } catch (err) {
      status.textContent = '';
      showErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  });

  const snippet = '<script src="' + origin + '/widget.js" data-site="' + site.key + '" async></script>';
  const csp = 'script-src ' + origin + '; connect-src ' + origin + ' ' + wsOrigin(origin) + '; style-src ' + origin;

  const install = h('section', { class: 'card', 'aria-labelledby': 'install-title' },
    h('h2', { id: 'install-title', class: 'card-title' }, 'Install'),
    h('p', null, 'Paste this before ', h('code', null, '</body>'), ' on every page that should show the button:'),
    codeBlock('site-snippet', snippet, 'copy-snippet', 'Copy snippet'),
    h('p', null, 'If the site sends a Content-Security-Policy, add these sources to its directives:'),
    codeBlock('site-csp', csp, 'copy-csp', 'Copy CSP'),
    h('p', { class: 'muted small' }, 'Site key: ', h('code', { id: 'site-key' }, site.key)));

  const preview = h('section', { class: 'card', 'aria-labelledby': 'preview-title' },
    h('h2', { id: 'preview-title', class: 'card-title' }, 'Preview'), frame);

  updatePreview();
  return h('div', { class: 'site-editor' }, form, h('div', { class: 'side-col' }, preview, install), availabilityCard(site),
    reviewsCard(site), routingCard(site), slaCard(site));
}

/**
 * @param {string} id
 * @param {string} text
 * @param {string} btnId
 * @param {string} label
 */
function codeBlock(id, text, btnId, label) {
  const btn = h('button', { id: btnId, type: 'button', class: 'btn small' }, label);
  btn.addEventListener('click', async () => {
    const ok = await copyText(text);
    btn.textContent = ok ? 'Copied' : 'Press Ctrl+C';
    if (!ok) {
      const sel = window.getSelection();
      const range = document.createRange();
      range.selectNodeContents(byId(id));
      sel?.removeAllRanges();
      sel?.addRange(range);
    }
    window.setTimeout(() => { btn.textContent = label; }, 1800);
  });
  return h('div', { class: 'code-block' }, h('pre', null, h('code', { id }, text)), btn);
}

