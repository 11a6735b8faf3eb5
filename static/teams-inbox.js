// Teams in the inbox: the teams the signed-in user may see (admins: all,
// agents: their own), the team filter, the "mine" and "my teams'
// unassigned" keys, and the live team and routing events.

import { h, byId, replace, store, toast } from './dom.js';
import { get, describeError } from './api.js';
import { state, emit } from './state.js';
import { reloadInbox } from './inbox.js';

/**
 * @typedef {{id: string, name: string, member_ids: string[]}} Team
 * @typedef {import('./api.js').Conversation & {team_id?: string | null}} Conversation
 * @typedef {import('./socket.js').Frame} Frame
 */

const FILTER_KEY = 'holler.filters.team';

/** The teams this user may see, by id. @type {Map<string, Team>} */
export const teams = new Map();

/** @type {HTMLSelectElement} */
const select = byId('filter-team');
/** @type {HTMLSelectElement} */
const assignee = byId('filter-assignee');

/** 'any', 'mine' or a team id. */
let filter = store.get(FILTER_KEY, 'any');

/** Reloads the teams; the filter and the pages that show teams follow. */
export async function loadTeams() {
  const res = await get('/api/v1/teams');
  teams.clear();
  for (const t of res.teams || []) teams.set(t.id, t);
  const before = filter;
  refreshTeamFilter(true);
  if (filter !== before) {
    store.set(FILTER_KEY, filter);
    reloadInbox().catch(() => {});
  }
  emit('teams');
}

/** The teams the signed-in user is in. */
export function myTeamIds() {
  return [...teams.values()].filter((t) => t.member_ids.includes(state.me?.id || '')).map((t) => t.id);
}

/**
 * A team's name for display ('' for none).
 * @param {string | null | undefined} id
 */
export function teamName(id) {
  if (!id) return '';
  return teams.get(id)?.name || 'Another team';
}

/**
 * Fills the team filter from the teams, keeping the choice; once they are
 * loaded, a team that is gone (or no longer visible) falls back to any.
 * @param {boolean} loaded
 */
function refreshTeamFilter(loaded) {
  replace(select,
    h('option', { value: 'any' }, 'Any team'),
    h('option', { value: 'mine' }, 'My teams'),
    [...teams.values()].sort((a, b) => a.name.localeCompare(b.name)).map((t) => h('option', { value: t.id }, t.name)));
  select.value = filter;
  if (select.value !== filter) select.value = 'any';
  if (loaded) filter = select.value;
}

/**
 * Sets the filters and reloads the list.
 * @param {string} team
 * @param {string} [who] the assignee filter, when it changes too
 */
function applyFilter(team, who) {
  filter = team;
  select.value = team;
  store.set(FILTER_KEY, team);
  if (who !== undefined && assignee.value !== who) {
    assignee.value = who;
    // The inbox reads its own filters on change, then reloads with ours.
    assignee.dispatchEvent(new Event('change'));
    return;
  }
  if (state.view !== 'inbox') location.hash = '#/inbox';
  reloadInbox().catch(() => {});
}

/** Wires the team filter; call before the inbox wires its own controls. */
export function initTeamFilter() {
  refreshTeamFilter(false);
  select.addEventListener('change', () => applyFilter(select.value));
  // Runs before the inbox's own reset (registered first), so its reload
  // already sees "any team".
  byId('filters-reset').addEventListener('click', () => {
    filter = 'any';
    select.value = 'any';
    store.set(FILTER_KEY, 'any');
  });
}

/** The team_id query parameter of the inbox ('' for no filter). */
export function teamParam() {
  return filter === 'any' ? '' : filter;
}

/**
 * Whether a live conversation belongs in the list under the team filter.
 * @param {Conversation} c
 */
export function teamMatches(c) {
  if (filter === 'any') return true;
  if (filter === 'mine') return !!c.team_id && myTeamIds().includes(c.team_id);
  return c.team_id === filter;
}

/**
 * The team chip of an inbox item.
 * @param {Conversation} c
 */
export function teamChip(c) {
  return c.team_id ? h('span', { class: 'ci-team', title: 'Team' }, teamName(c.team_id)) : null;
}

/**
 * The inbox keys of teams: m shows the open conversations assigned to you,
 * u the unassigned ones of your teams. Returns whether it took the key.
 * @param {KeyboardEvent} e
 */
export function teamKey(e) {
  if (e.key === 'm') {
    applyFilter('any', 'me');
    toast('Showing your conversations.');
    return true;
  }
  if (e.key === 'u') {
    applyFilter('mine', 'none');
    toast('Showing your teams’ unassigned conversations.');
    return true;
  }
  return false;
}

/**
 * Live events of teams and routing. A team event carries only the team's
 * id: the teams are reloaded as this user may see them.
 * @param {Frame} f
 */
export function onTeamsFrame(f) {
  if (f.type === 'team.updated') {
    loadTeams().catch((err) => toast('Could not reload teams: ' + describeError(err), 'error'));
  } else if (f.type === 'routing.updated') {
    emit('routing', f.data || {});
  }
}
