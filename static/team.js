// Team (admins): staff accounts, their roles and sites (for admins: the
// sites they answer). Everyone gets a "your account" card to change their
// own name and password.

import { h, byId, replace, toast } from './dom.js';
import { post, patch, describeError, ApiError } from './api.js';
import { state, isAdmin, emit } from './state.js';
import { field, checkGroup, checkbox, showErrors, clearErrors, fieldError } from './forms.js';
import { teamsCard, capacityCard } from './teams-admin.js';

/** @typedef {import('./api.js').User} User */

const MIN_PASSWORD = 12;

/** Renders the team page into the page body. */
export function renderTeam() {
  byId('page-title').textContent = isAdmin() ? 'Team' : 'Your account';
  const parts = [];
  if (isAdmin()) {
    const users = [...state.users.values()].sort((a, b) => Number(a.disabled) - Number(b.disabled) || (a.name || a.email).localeCompare(b.name || b.email));
    parts.push(h('section', { class: 'card', 'aria-labelledby': 'team-title' },
      h('h2', { id: 'team-title', class: 'card-title' }, 'People ', h('span', { class: 'muted' }, '(' + users.length + ')')),
      h('ul', { id: 'user-list', class: 'user-list' }, users.map(userRow))));
    parts.push(newUserForm());
    parts.push(teamsCard(), capacityCard());
  }
  parts.push(accountForm(), notificationsForm());
  replace(byId('page-body'), h('div', { class: 'team' }, parts));
}

/** @param {string[]} ids */
function siteNames(ids) {
  return ids.map((id) => state.sites.get(id)?.name || 'unknown site');
}

/**
 * @param {User} u
 * @returns {HTMLElement}
 */
function userRow(u) {
  const self = u.id === state.me?.id;
  const li = h('li', { class: ['user-row', u.disabled && 'is-disabled'], dataset: { id: u.id } });
  const role = /** @type {HTMLSelectElement} */ (h('select', { class: 'user-role', 'aria-label': 'Role of ' + (u.name || u.email), disabled: self },
    h('option', { value: 'agent' }, 'Agent'), h('option', { value: 'admin' }, 'Admin')));
  role.value = u.role;
  role.addEventListener('change', () => save(u, { role: role.value }, li));

  // An agent belongs to (and answers) the sites ticked; an admin sees every
  // site and answers, for the widget's "online", only the sites ticked.
  const admin = u.role === 'admin';
  const key = admin ? 'answer_site_ids' : 'site_ids';
  const sitesCell = h('div', { class: 'user-sites' });
  const showSites = () => {
    const names = siteNames(u[key] || []);
    const edit = h('button', { type: 'button', class: 'link-btn user-sites-edit' }, admin ? 'Change answered sites' : 'Change sites');
    edit.addEventListener('click', editSites);
    replace(sitesCell, admin ? h('span', { class: 'muted' }, 'All sites (admin); answers:') : null,
      names.length ? names.map((n) => h('span', { class: 'chip' }, n)) : h('span', { class: 'muted' }, admin ? 'none' : 'No sites'), edit);
  };
  const editSites = () => {
    const boxes = [...state.sites.values()].map((s) => checkbox('user-' + u.id + '-site-' + s.id, s.id, s.name, (u[key] || []).includes(s.id), 'user-site'));
    const ok = h('button', { type: 'button', class: 'btn small primary user-sites-save' }, admin ? 'Save answered sites' : 'Save sites');
    const cancel = h('button', { type: 'button', class: 'btn small subtle' }, 'Cancel');
    ok.addEventListener('click', () => {
      const ids = /** @type {HTMLInputElement[]} */ ([...sitesCell.querySelectorAll('input.user-site')]).filter((i) => i.checked).map((i) => i.value);
      save(u, { [key]: ids }, li);
    });
    cancel.addEventListener('click', showSites);
    replace(sitesCell, h('div', { class: 'check-list' }, boxes), h('div', { class: 'row-actions' }, ok, cancel));
  };
  showSites();

  const toggle = self ? null : h('button', { type: 'button', class: ['btn', 'small', u.disabled ? 'primary' : 'danger', 'user-toggle'] }, u.disabled ? 'Enable' : 'Disable');
  toggle?.addEventListener('click', () => {
    if (!u.disabled && !window.confirm('Disable ' + (u.name || u.email) + '? They are signed out at once.')) return;
    save(u, { disabled: !u.disabled }, li);
  });

  replace(li,
    h('div', { class: 'user-main' },
      h('div', { class: 'user-name' }, u.name || u.email, self ? h('span', { class: 'chip subtle' }, 'you') : null,
        u.disabled ? h('span', { class: 'chip warn' }, 'disabled') : null),
      h('div', { class: 'user-email muted' }, u.email)),
    h('div', { class: 'user-controls' }, role, sitesCell, toggle));
  return li;
}

/**
 * @param {User} u
 * @param {Record<string, any>} change
 * @param {HTMLElement} li
 */
async function save(u, change, li) {
  li.classList.add('busy');
  try {
    const res = await patch('/api/v1/users/' + encodeURIComponent(u.id), change);
    state.users.set(res.user.id, res.user);
    li.replaceWith(userRow(res.user));
    emit('users');
    toast('Saved ' + (res.user.name || res.user.email) + '.');
  } catch (err) {
    toast('Could not save: ' + describeError(err), 'error');
    li.replaceWith(userRow(u));
  }
}

function newUserForm() {
  const email = h('input', { id: 'new-user-email', type: 'email', autocomplete: 'off', required: true, maxlength: 254 });
  const name = h('input', { id: 'new-user-name', type: 'text', autocomplete: 'off', maxlength: 200 });
  const password = h('input', { id: 'new-user-password', type: 'password', autocomplete: 'new-password', minlength: MIN_PASSWORD, required: true });
  const role = /** @type {HTMLSelectElement} */ (h('select', { id: 'new-user-role' }, h('option', { value: 'agent' }, 'Agent — the sites ticked below'), h('option', { value: 'admin' }, 'Admin — every site and settings')));
  const sites = [...state.sites.values()].map((s) => checkbox('new-user-site-' + s.id, s.id, s.name, state.sites.size === 1, 'new-user-site'));
  const sitesGroup = checkGroup('Sites', sites, 'site_ids');
  role.addEventListener('change', () => { sitesGroup.hidden = role.value === 'admin'; });

  const form = h('form', { id: 'new-user', class: 'card', novalidate: true, 'aria-labelledby': 'new-user-title' },
    h('h2', { id: 'new-user-title', class: 'card-title' }, 'Add a teammate'),
    h('div', { class: 'row' }, field('Email', email, 'email'), field('Name', name, 'name')),
    h('div', { class: 'row' }, field('Password', password, 'password', 'At least ' + MIN_PASSWORD + ' characters. Share it safely; they can change it.'), field('Role', role, 'role')),
    sitesGroup,
    h('p', { class: 'form-error', hidden: true, role: 'alert' }),
    h('div', { class: 'form-foot' }, h('button', { id: 'new-user-create', type: 'submit', class: 'btn primary' }, 'Create account')));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const em = /** @type {HTMLInputElement} */ (email).value.trim();
    const pw = /** @type {HTMLInputElement} */ (password).value;
    let bad = false;
    if (!/^[^\s@]+@[^\s@]+$/.test(em)) {
      fieldError(form, 'email', 'Enter an email address.');
      bad = true;
    }
    if (pw.length < MIN_PASSWORD) {
      fieldError(form, 'password', 'Use at least ' + MIN_PASSWORD + ' characters.');
      bad = true;
    }
    if (bad) return;
    const btn = /** @type {HTMLButtonElement} */ (byId('new-user-create'));
    btn.disabled = true;
    try {
      const res = await post('/api/v1/users', {
        email: em,
        name: /** @type {HTMLInputElement} */ (name).value.trim(),
        password: pw,
        role: role.value,
        site_ids: role.value === 'admin' ? [] : /** @type {HTMLInputElement[]} */ ([...form.querySelectorAll('input.new-user-site')]).filter((i) => i.checked).map((i) => i.value),
      });
      state.users.set(res.user.id, res.user);
      emit('users');
      toast('Account created for ' + res.user.email + '.');
      renderTeam();
    } catch (err) {
      showErrors(form, err, { email_taken: 'A user with this email already exists.', 409: 'A user with this email already exists.' });
      if (err instanceof ApiError && err.status === 409) fieldError(form, 'email', 'This email already has an account.');
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

function accountForm() {
  const me = /** @type {User} */ (state.me);
  const name = /** @type {HTMLInputElement} */ (h('input', { id: 'account-name', type: 'text', value: me.name || '', maxlength: 200, autocomplete: 'name' }));
  const password = /** @type {HTMLInputElement} */ (h('input', { id: 'account-password', type: 'password', autocomplete: 'new-password', minlength: MIN_PASSWORD, placeholder: 'Leave empty to keep it' }));
  const form = h('form', { id: 'account', class: 'card', novalidate: true, 'aria-labelledby': 'account-title' },
    h('h2', { id: 'account-title', class: 'card-title' }, 'Your account'),
    h('p', { class: 'muted', id: 'account-answers' }, me.email + ' · ' + me.role + ' · answers ' + (siteNames(me.answer_site_ids || []).join(', ') || 'no site')),
    h('div', { class: 'row' }, field('Name', name, 'name', 'Customers see it on your replies.'), field('New password', password, 'password', 'Changing it signs you out everywhere.')),
    h('p', { class: 'form-error', hidden: true, role: 'alert' }),
    h('div', { class: 'form-foot' }, h('button', { id: 'account-save', type: 'submit', class: 'btn primary' }, 'Save')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    /** @type {Record<string, string>} */
    const change = {};
    if (name.value.trim() !== (me.name || '')) change.name = name.value.trim();
    if (password.value) {
      if (password.value.length < MIN_PASSWORD) {
        fieldError(form, 'password', 'Use at least ' + MIN_PASSWORD + ' characters.');
        return;
      }
      change.password = password.value;
    }
    if (!Object.keys(change).length) {
      toast('Nothing to save.');
      return;
    }
    const btn = /** @type {HTMLButtonElement} */ (byId('account-save'));
    btn.disabled = true;
    try {
      const res = await patch('/api/v1/users/' + encodeURIComponent(me.id), change);
      state.me = res.user;
      state.users.set(res.user.id, res.user);
      emit('me');
      if (change.password) {
        emit('signout', 'Password changed. Sign in with your new password.');
        return;
      }
      toast('Saved.');
    } catch (err) {
      showErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

/** Which emails the signed-in user gets: new conversations (each, digest, none) and replies on their conversations. */
function notificationsForm() {
  const me = /** @type {User} */ (state.me);
  const n = me.notifications || { new_conversations: 'each', digest_minutes: 60, assigned_replies: true };
  const mode = /** @type {HTMLSelectElement} */ (h('select', { id: 'notify-new' },
    h('option', { value: 'each' }, 'An email for each one'), h('option', { value: 'digest' }, 'A summary'), h('option', { value: 'none' }, 'No email')));
  mode.value = n.new_conversations;
  const minutes = /** @type {HTMLInputElement} */ (h('input', { id: 'notify-digest-minutes', type: 'number', min: 1, max: 1440, value: String(n.digest_minutes) }));
  const assigned = checkbox('notify-assigned', 'on', 'Email me when a customer answers on a conversation assigned to me', n.assigned_replies);
  const form = h('form', { id: 'notifications', class: 'card', novalidate: true, 'aria-labelledby': 'notifications-title' },
    h('h2', { id: 'notifications-title', class: 'card-title' }, 'Email notifications'),
    h('p', { class: 'muted' }, 'Nothing is emailed while you have the dashboard open.'),
    h('div', { class: 'row' }, field('New conversations', mode, 'notifications.new_conversations'),
      field('Summary every (minutes)', minutes, 'notifications.digest_minutes')),
    assigned,
    h('p', { class: 'form-error', hidden: true, role: 'alert' }),
    h('div', { class: 'form-foot' }, h('button', { id: 'notifications-save', type: 'submit', class: 'btn primary' }, 'Save')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const box = /** @type {HTMLInputElement} */ (assigned.querySelector('input'));
    try {
      const res = await patch('/api/v1/users/' + encodeURIComponent(me.id), {
        notifications: { new_conversations: mode.value, digest_minutes: Number(minutes.value), assigned_replies: box.checked },
      });
      state.me = res.user;
      state.users.set(res.user.id, res.user);
      toast('Saved.');
    } catch (err) {
      showErrors(form, err);
    }
  });
  return form;
}
