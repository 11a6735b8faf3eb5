// The Replies page: the canned replies the signed-in user may use, to add,
// change and delete. Shared replies (every site) are the admins' to write;
// a site's own replies are written by whoever answers that site.

import { h, byId, replace, toast } from './dom.js';
import { get, post, patch, request, describeError } from './api.js';
import { state, isAdmin } from './state.js';
import { field, showErrors, clearErrors, fieldError } from './forms.js';
import { onCannedChange } from './canned.js';

/** @typedef {import('./canned.js').CannedReply} CannedReply */

const VARIABLES = ['{{customer.name}}', '{{conversation.ref}}', '{{agent.name}}', '{{site.name}}'];

/** The reply being edited in the form ('' for a new one). */
let editing = '';
/** @type {CannedReply[]} */
let replies = [];
let loadSeq = 0;

/** Renders the Replies page into the page body. */
export function renderCannedAdmin() {
  byId('page-title').textContent = 'Canned replies';
  editing = '';
  replace(byId('page-body'), h('div', { class: 'canned-admin' },
    h('section', { class: 'card', 'aria-labelledby': 'canned-list-title' },
      h('h2', { id: 'canned-list-title', class: 'card-title' }, 'Canned replies'),
      h('p', { class: 'muted' }, 'In the reply box, type / and a few letters, choose with the arrow keys and press Enter. ',
        'Variables are filled in for the conversation: ', VARIABLES.map((v, i) => [i ? ', ' : '', h('code', null, v)]),
        '; give an empty one a fallback with ', h('code', null, '{{customer.name|there}}'), '.'),
      h('p', { id: 'canned-admin-status', class: 'muted', role: 'status' }, 'Loading…'),
      h('ul', { id: 'canned-admin-list', class: 'canned-admin-list' })),
    form()));
  load();
}

onCannedChange(() => {
  if (state.view === 'canned') load();
});

async function load() {
  const seq = ++loadSeq;
  try {
    const res = await get('/api/v1/canned-replies');
    if (seq !== loadSeq || state.view !== 'canned') return;
    replies = res.canned_replies || [];
    renderList();
  } catch (err) {
    if (seq === loadSeq && state.view === 'canned') byId('canned-admin-status').textContent = 'Could not load the canned replies: ' + describeError(err);
  }
}

/** @param {string | null} siteId */
function scopeName(siteId) {
  return siteId ? state.sites.get(siteId)?.name || 'a site' : 'Shared by every site';
}

/** @param {string | null} siteId */
function mayWrite(siteId) {
  return siteId ? state.sites.has(siteId) : isAdmin();
}

function renderList() {
  const list = byId('canned-admin-list');
  byId('canned-admin-status').textContent = replies.length ? '' : 'No canned replies yet. Add the first one below.';
  replace(list, replies.map((r) => h('li', { class: 'canned-admin-row', dataset: { id: r.id, shortcut: r.shortcut } },
    h('div', { class: 'canned-admin-main' },
      h('div', { class: 'canned-admin-head' },
        h('code', { class: 'canned-shortcut' }, '/' + r.shortcut),
        h('strong', null, r.title),
        h('span', { class: 'chip subtle' }, scopeName(r.site_id)),
        h('span', { class: 'muted small' }, r.use_count === 1 ? 'used once' : 'used ' + r.use_count + ' times')),
      h('p', { class: 'canned-admin-body' }, r.body)),
    mayWrite(r.site_id) ? h('div', { class: 'row-actions' },
      h('button', { type: 'button', class: 'btn small canned-edit', 'aria-label': 'Edit /' + r.shortcut, onclick: () => edit(r) }, 'Edit'),
      h('button', { type: 'button', class: 'btn small danger canned-delete', 'aria-label': 'Delete /' + r.shortcut, onclick: () => remove(r) }, 'Delete')) : null)));
}

function form() {
  const scope = /** @type {HTMLSelectElement} */ (h('select', { id: 'canned-scope' },
    isAdmin() ? h('option', { value: '' }, 'Shared by every site') : null,
    [...state.sites.values()].sort((a, b) => a.name.localeCompare(b.name)).map((s) => h('option', { value: s.id }, s.name))));
  const shortcut = /** @type {HTMLInputElement} */ (h('input', { id: 'canned-shortcut', type: 'text', maxlength: 41, autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. late-delivery' }));
  const title = /** @type {HTMLInputElement} */ (h('input', { id: 'canned-title', type: 'text', maxlength: 200, autocomplete: 'off' }));
  const body = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'canned-body', rows: 5, maxlength: 10000 }));
  const heading = h('h2', { id: 'canned-form-title', class: 'card-title' }, 'Add a canned reply');
  const submit = h('button', { id: 'canned-save', type: 'submit', class: 'btn primary' }, 'Add reply');
  const cancel = h('button', { id: 'canned-cancel', type: 'button', class: 'btn subtle', hidden: true }, 'Cancel');
  const f = /** @type {HTMLFormElement} */ (h('form', { id: 'canned-form', class: 'card', novalidate: true, 'aria-labelledby': 'canned-form-title' },
    heading,
    h('div', { class: 'row' }, field('Where', scope, 'site_id'), field('Shortcut', shortcut, 'shortcut', 'What you type after /: letters, digits, - and _.')),
    field('Title', title, 'title'),
    field('Text', body, 'body', 'Variables: ' + VARIABLES.join(' ')),
    h('p', { class: 'form-error', hidden: true, role: 'alert' }),
    h('div', { class: 'form-foot' }, submit, cancel)));

  const reset = () => {
    editing = '';
    f.reset();
    scope.disabled = false;
    heading.textContent = 'Add a canned reply';
    submit.textContent = 'Add reply';
    cancel.hidden = true;
    clearErrors(f);
  };
  cancel.addEventListener('click', reset);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(f);
    if (!shortcut.value.trim()) {
      fieldError(f, 'shortcut', 'Give it a shortcut.');
      shortcut.focus();
      return;
    }
    const values = { shortcut: shortcut.value.trim(), title: title.value.trim(), body: body.value };
    /** @type {HTMLButtonElement} */ (submit).disabled = true;
    try {
      if (editing) {
        await patch('/api/v1/canned-replies/' + encodeURIComponent(editing), values);
        toast('Saved /' + values.shortcut.replace(/^\//, '') + '.');
      } else {
        await post('/api/v1/canned-replies', { ...values, site_id: scope.value || null });
        toast('Added /' + values.shortcut.replace(/^\//, '') + '.');
      }
      reset();
      load();
    } catch (err) {
      showErrors(f, err, { shortcut_taken: 'This shortcut is taken here already.' });
    } finally {
      /** @type {HTMLButtonElement} */ (submit).disabled = false;
    }
  });

  /** @param {CannedReply} r */
  edit = (r) => {
    editing = r.id;
    scope.value = r.site_id || '';
    scope.disabled = true; // where a reply applies is fixed
    shortcut.value = r.shortcut;
    title.value = r.title;
    body.value = r.body;
    heading.textContent = 'Edit /' + r.shortcut;
    submit.textContent = 'Save changes';
    cancel.hidden = false;
    clearErrors(f);
    shortcut.focus();
  };
  return f;
}

/** Fills the form with a reply to change (set by form()). @type {(r: CannedReply) => void} */
let edit = () => {};

/** @param {CannedReply} r */
async function remove(r) {
  if (!window.confirm('Delete /' + r.shortcut + ' (' + r.title + ')?')) return;
  try {
    await request('DELETE', '/api/v1/canned-replies/' + encodeURIComponent(r.id));
    toast('Deleted /' + r.shortcut + '.');
    load();
  } catch (err) {
    toast('Could not delete: ' + describeError(err), 'error');
  }
}
