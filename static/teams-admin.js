// Teams and routing (admins): teams with their members and each person's
// capacity, on the team page; a site's ordered routing rules, on its
// settings page.

import { h, replace, toast } from './dom.js';
import { get, post, patch, request, describeError } from './api.js';
import { state, KINDS } from './state.js';
import { field, checkbox, showErrors, clearErrors } from './forms.js';
import { teams, loadTeams } from './teams-inbox.js';

/**
 * @typedef {import('./teams-inbox.js').Team} Team
 * @typedef {import('./api.js').User} User
 * @typedef {import('./api.js').Site} Site
 * @typedef {{kinds: string[], page_glob: string, languages: string[], email_domains: string[], team_id: string}} Rule
 */

const LANGUAGES = [['en', 'English'], ['de', 'Deutsch'], ['fr', 'Français'], ['es', 'Español']];

/** Active staff, by name. */
function people() {
  return [...state.users.values()].filter((u) => !u.disabled)
    .sort((a, b) => (a.name || a.email).localeCompare(b.name || b.email));
}

/**
 * The names of a list of user ids.
 * @param {string[]} ids
 */
function memberNames(ids) {
  return ids.map((id) => state.users.get(id)).filter((u) => !!u).map((u) => /** @type {User} */ (u).name || /** @type {User} */ (u).email);
}

// ---------------------------------------------------------------- teams

/** The teams card of the team page. */
export function teamsCard() {
  const list = h('ul', { id: 'team-list', class: 'user-list' },
    [...teams.values()].sort((a, b) => a.name.localeCompare(b.name)).map(teamRow));
  return h('section', { id: 'teams', class: 'card', 'aria-labelledby': 'teams-title' },
    h('h2', { id: 'teams-title', class: 'card-title' }, 'Teams ', h('span', { class: 'muted' }, '(' + teams.size + ')')),
    h('p', { class: 'muted' }, 'A site’s routing rules send new conversations to a team; each goes to the next member who is online and below their capacity. Someone may be in several teams.'),
    teams.size ? list : h('p', { class: 'muted' }, 'No teams yet.'),
    teamForm(null));
}

/**
 * @param {Team} t
 * @returns {HTMLElement}
 */
function teamRow(t) {
  const li = h('li', { class: 'user-row team-row', dataset: { id: t.id } });
  const edit = h('button', { type: 'button', class: 'link-btn team-edit' }, 'Edit');
  const del = h('button', { type: 'button', class: 'btn small danger team-delete' }, 'Delete');
  edit.addEventListener('click', () => li.replaceChildren(teamForm(t)));
  del.addEventListener('click', async () => {
    if (!window.confirm('Delete the team ' + t.name + '? Its conversations stay, without a team.')) return;
    try {
      await request('DELETE', '/api/v1/teams/' + encodeURIComponent(t.id));
      teams.delete(t.id);
      li.remove();
      toast('Team deleted.');
      await loadTeams();
    } catch (err) {
      toast('Could not delete: ' + describeError(err), 'error');
    }
  });
  const names = memberNames(t.member_ids);
  replace(li,
    h('div', { class: 'user-main' }, h('div', { class: 'user-name team-name' }, t.name),
      h('div', { class: 'user-email muted' }, names.length + (names.length === 1 ? ' member' : ' members'))),
    h('div', { class: 'user-controls' },
      h('div', { class: 'user-sites' }, names.length ? names.map((n) => h('span', { class: 'chip' }, n)) : h('span', { class: 'muted' }, 'No members')),
      edit, del));
  return li;
}

/**
 * The form that creates a team (t null) or edits one.
 * @param {Team | null} t
 */
function teamForm(t) {
  const key = t ? t.id : 'new';
  const name = /** @type {HTMLInputElement} */ (h('input', { id: 'team-name-' + key, type: 'text', maxlength: 200, value: t ? t.name : '', required: true }));
  const boxes = people().map((u) => checkbox('team-' + key + '-member-' + u.id, u.id, u.name || u.email, !!t && t.member_ids.includes(u.id), 'team-member'));
  const form = h('form', { id: 'team-form-' + key, class: ['team-form', t ? '' : 'new-team'], novalidate: true },
    t ? null : h('h3', { class: 'card-title' }, 'New team'),
    field('Name', name, 'name'),
    h('fieldset', { class: 'field checks' }, h('legend', null, 'Members'), h('div', { class: 'check-list' }, boxes),
      h('p', { class: 'field-error', dataset: { errorFor: 'member_ids' }, hidden: true, role: 'alert' })),
    h('p', { class: 'form-error', hidden: true, role: 'alert' }),
    h('div', { class: 'form-foot' },
      h('button', { type: 'submit', class: 'btn primary' }, t ? 'Save team' : 'Create team'),
      t ? h('button', { type: 'button', class: 'btn subtle', onclick: () => form.closest('li')?.replaceWith(teamRow(t)) }, 'Cancel') : null));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = {
      name: name.value.trim(),
      member_ids: /** @type {HTMLInputElement[]} */ ([...form.querySelectorAll('input.team-member')]).filter((i) => i.checked).map((i) => i.value),
    };
    try {
      const res = t ? await patch('/api/v1/teams/' + encodeURIComponent(t.id), body) : await post('/api/v1/teams', body);
      teams.set(res.team.id, res.team);
      toast(t ? 'Team saved.' : 'Team created.');
      await loadTeams();
    } catch (err) {
      showErrors(form, err, { team_name_taken: 'Another team has this name.' });
    }
  });
  return form;
}

/** The capacity card: how many open conversations routing gives each person. */
export function capacityCard() {
  const rows = people().map((u) => {
    const input = /** @type {HTMLInputElement} */ (h('input', { id: 'capacity-' + u.id, class: 'capacity-input', type: 'number', min: 0, max: 1000, step: 1, value: String(/** @type {any} */ (u).capacity || 0) }));
    input.addEventListener('change', async () => {
      try {
        const res = await patch('/api/v1/users/' + encodeURIComponent(u.id), { capacity: Number(input.value) });
        state.users.set(res.user.id, res.user);
        toast('Capacity of ' + (u.name || u.email) + ' saved.');
      } catch (err) {
        toast('Could not save: ' + describeError(err), 'error');
        input.value = String(/** @type {any} */ (u).capacity || 0);
      }
    });
    return h('div', { class: 'capacity-row' }, h('label', { for: input.id }, u.name || u.email), input);
  });
  return h('section', { id: 'capacity', class: 'card', 'aria-labelledby': 'capacity-title' },
    h('h2', { id: 'capacity-title', class: 'card-title' }, 'Capacity'),
    h('p', { class: 'muted' }, 'At most this many open conversations are assigned to each person by routing; 0 means no limit.'),
    h('div', { class: 'capacity-list' }, rows));
}

// ---------------------------------------------------------------- routing

/**
 * The routing card of a site's settings.
 * @param {Site} site
 */
export function routingCard(site) {
  const list = h('ol', { id: 'routing-rules', class: 'routing-rules' });
  const status = h('span', { id: 'routing-status', class: 'muted', role: 'status' });
  const add = h('button', { id: 'routing-add', type: 'button', class: 'btn small' }, 'Add rule');
  const save = h('button', { id: 'routing-save', type: 'submit', class: 'btn primary' }, 'Save rules');
  const form = h('form', { id: 'routing-form', class: 'card span-all', novalidate: true, 'aria-labelledby': 'routing-title', dataset: { site: site.id } },
    h('h2', { id: 'routing-title', class: 'card-title' }, 'Routing'),
    h('p', { class: 'muted' }, 'A new conversation goes to the team of the first rule that matches it. An empty condition matches anything. Page: a pattern of the page address where * is any text and ? one character; one starting with / is matched against the path (e.g. /checkout*).'),
    list,
    h('p', { class: 'form-error', hidden: true, role: 'alert' }),
    h('div', { class: 'form-foot' }, add, save, status));

  /** @param {Rule} r */
  const addRule = (r) => list.appendChild(ruleItem(r, list));
  /** The rules as last loaded or saved, to tell another admin's change from our own. */
  let shown = '';
  add.addEventListener('click', () => {
    if (!teams.size) {
      toast('Create a team first (Team page).', 'error');
      return;
    }
    addRule({ kinds: [], page_glob: '', languages: [], email_domains: [], team_id: [...teams.keys()][0] });
    renumber(list);
    /** @type {HTMLElement | null} */ (list.lastElementChild?.querySelector('select'))?.focus();
  });
  const load = async (/** @type {boolean} */ initial) => {
    try {
      const res = await get('/api/v1/sites/' + encodeURIComponent(site.id) + '/routing');
      shown = JSON.stringify(res.rules || []);
      list.replaceChildren();
      for (const r of res.rules || []) addRule(r);
      renumber(list);
      status.textContent = !list.children.length ? 'No rules: conversations go to no team.' : initial ? '' : 'Changed by someone else: these are the saved rules.';
    } catch (err) {
      status.textContent = 'Could not load the rules: ' + describeError(err);
    }
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const rules = [...list.children].map((li) => readRule(/** @type {HTMLElement} */ (li)));
    save.disabled = true;
    // Our own change comes back as an event too, maybe before the answer.
    shown = JSON.stringify(rules);
    try {
      const res = await request('PUT', '/api/v1/sites/' + encodeURIComponent(site.id) + '/routing', { rules });
      shown = JSON.stringify(res.rules || []);
      toast('Routing saved.');
      status.textContent = 'Saved.';
    } catch (err) {
      showErrors(form, err);
    } finally {
      save.disabled = false;
    }
  });
  // Another admin changed these rules: show theirs.
  form.addEventListener('holler:routing', (e) => {
    if (JSON.stringify(/** @type {CustomEvent} */ (e).detail.rules || []) !== shown) load(false);
  });
  load(true);
  return form;
}

/**
 * Tells the routing card of a site, if shown, that its rules changed.
 * @param {{site_id?: string, rules?: Rule[]}} data
 */
export function routingChanged(data) {
  const form = document.getElementById('routing-form');
  if (form && data.site_id && form.dataset.site === data.site_id) form.dispatchEvent(new CustomEvent('holler:routing', { detail: data }));
}

/** @param {HTMLElement} list */
function renumber(list) {
  [...list.children].forEach((li, i) => {
    /** @type {HTMLElement} */ (li).dataset.index = String(i);
    const title = li.querySelector('.rule-title');
    if (title) title.textContent = 'Rule ' + (i + 1);
    for (const slot of li.querySelectorAll('[data-field]')) {
      /** @type {HTMLElement} */ (slot).dataset.errorFor = 'rules[' + i + '].' + /** @type {HTMLElement} */ (slot).dataset.field;
    }
  });
}

/**
 * One rule's editor.
 * @param {Rule} r
 * @param {HTMLElement} list
 */
function ruleItem(r, list) {
  const id = 'rule-' + Math.random().toString(36).slice(2, 8);
  const team = /** @type {HTMLSelectElement} */ (h('select', { id: id + '-team', class: 'rule-team' },
    [...teams.values()].sort((a, b) => a.name.localeCompare(b.name)).map((t) => h('option', { value: t.id }, t.name))));
  team.value = r.team_id;
  if (team.value !== r.team_id) team.appendChild(h('option', { value: r.team_id, selected: true }, 'A team you cannot see'));
  const glob = h('input', { id: id + '-glob', class: 'rule-glob', type: 'text', value: r.page_glob || '', maxlength: 2048, placeholder: 'any page', spellcheck: 'false' });
  const domains = h('input', { id: id + '-domains', class: 'rule-domains', type: 'text', value: (r.email_domains || []).join(', '), placeholder: 'any email', spellcheck: 'false' });
  const kinds = KINDS.map((k) => checkbox(id + '-kind-' + k, k, k, (r.kinds || []).includes(k), 'rule-kind'));
  const langs = LANGUAGES.map(([v, t]) => checkbox(id + '-lang-' + v, v, t, (r.languages || []).includes(v), 'rule-lang'));
  const up = h('button', { type: 'button', class: 'btn small subtle', 'aria-label': 'Move rule up' }, '↑');
  const down = h('button', { type: 'button', class: 'btn small subtle', 'aria-label': 'Move rule down' }, '↓');
  const remove = h('button', { type: 'button', class: 'btn small danger', 'aria-label': 'Remove rule' }, 'Remove');
  const slot = (/** @type {string} */ f) => h('p', { class: 'field-error', dataset: { field: f }, hidden: true, role: 'alert' });
  const li = h('li', { class: 'routing-rule' },
    h('div', { class: 'rule-head' }, h('strong', { class: 'rule-title' }), up, down, remove),
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: team.id }, 'Send to team'), team, slot('team_id')),
      h('div', { class: 'field' }, h('label', { for: glob.id }, 'Page'), glob, slot('page_glob')),
      h('div', { class: 'field' }, h('label', { for: domains.id }, 'Email domains'), domains, slot('email_domains'))),
    h('div', { class: 'row' },
      h('fieldset', { class: 'field checks' }, h('legend', null, 'Kinds (none: any)'), h('div', { class: 'check-list' }, kinds), slot('kinds')),
      h('fieldset', { class: 'field checks' }, h('legend', null, 'Languages (none: any)'), h('div', { class: 'check-list' }, langs), slot('languages'))));
  up.addEventListener('click', () => {
    if (li.previousElementSibling) list.insertBefore(li, li.previousElementSibling);
    renumber(list);
    up.focus();
  });
  down.addEventListener('click', () => {
    if (li.nextElementSibling) list.insertBefore(li.nextElementSibling, li);
    renumber(list);
    down.focus();
  });
  remove.addEventListener('click', () => {
    li.remove();
    renumber(list);
  });
  return li;
}

/**
 * Reads one rule's editor.
 * @param {HTMLElement} li
 * @returns {Rule}
 */
function readRule(li) {
  const checked = (/** @type {string} */ cls) => /** @type {HTMLInputElement[]} */ ([...li.querySelectorAll('input.' + cls)]).filter((i) => i.checked).map((i) => i.value);
  const value = (/** @type {string} */ cls) => /** @type {HTMLInputElement} */ (li.querySelector('.' + cls)).value.trim();
  return {
    kinds: checked('rule-kind'),
    page_glob: value('rule-glob'),
    languages: checked('rule-lang'),
    email_domains: value('rule-domains').split(/[\s,]+/).filter(Boolean),
    team_id: value('rule-team'),
  };
}
