// The live inbox: filters, the conversation list, paging, unread badges.

import { h, byId, replace, timeEl, debounce, store, toast } from './dom.js';
import { get, qs, describeError } from './api.js';
import { state, putConv, byActivity, customerName, isAdmin } from './state.js';
import { unreadOf, needsCount, countThread } from './unread.js';
import { teamParam, teamMatches, teamChip } from './teams-inbox.js';
import { angerMark, byAnger } from './anger.js';
import { slaBadge, byDue } from './sla.js';

/**
 * @typedef {import('./api.js').Conversation} Conversation
 * @typedef {{status: string, kind: string, assignee: string, site: string, q: string, sort: string}} Filters
 */

const FILTER_KEY = 'holler.filters';
const PAGE = 40;
/** @type {Filters} */
const DEFAULTS = { status: 'open', kind: 'all', assignee: 'any', site: 'all', q: '', sort: 'recent' };
/** The list orders (the server's sort=), each with its comparator. */
const SORTS = { recent: byActivity, due: byDue, anger: byAnger };

/** @type {Filters} */
let filters = { ...DEFAULTS };
/** Ids in the list, in no particular order; rendering sorts them. @type {Set<string>} */
const listed = new Set();
/** @type {Map<string, HTMLLIElement>} */
const items = new Map();
/** @type {Map<string, number>} typing-until per conversation */
const typing = new Map();
let nextCursor = '';
/** Conversations that changed live while a page was loading. @type {Set<string>} */
const liveDuringLoad = new Set();
let loadSeq = 0;
let loading = false;
let lastOrder = '';

const el = {
  /** @type {HTMLUListElement} */ list: byId('inbox'),
  /** @type {HTMLElement} */ status: byId('list-status'),
  /** @type {HTMLButtonElement} */ more: byId('load-more'),
  /** @type {HTMLInputElement} */ search: byId('search'),
  /** @type {HTMLSelectElement} */ fStatus: byId('filter-status'),
  /** @type {HTMLSelectElement} */ fKind: byId('filter-kind'),
  /** @type {HTMLSelectElement} */ fAssignee: byId('filter-assignee'),
  /** @type {HTMLSelectElement} */ fSite: byId('filter-site'),
  /** @type {HTMLSelectElement} */ fSort: byId('filter-sort'),
};

/** Wires the filter controls. Filters persist per browser. */
export function initInbox() {
  filters = { ...DEFAULTS, ...store.get(FILTER_KEY, {}) };
  el.search.value = filters.q;
  setSelect(el.fStatus, filters.status, DEFAULTS.status);
  setSelect(el.fKind, filters.kind, DEFAULTS.kind);
  setSelect(el.fSort, filters.sort, DEFAULTS.sort);
  filters.sort = el.fSort.value; // an order this version does not offer falls back

  const onFilter = () => {
    filters = {
      status: el.fStatus.value,
      kind: el.fKind.value,
      assignee: el.fAssignee.value,
      site: el.fSite.value,
      q: el.search.value.trim(),
      sort: el.fSort.value,
    };
    store.set(FILTER_KEY, filters);
    reloadInbox().catch(() => {});
  };
  for (const s of [el.fStatus, el.fKind, el.fAssignee, el.fSite, el.fSort]) s.addEventListener('change', onFilter);
  const onSearch = debounce(() => {
    if (el.search.value.trim() !== filters.q) onFilter();
  }, 300);
  el.search.addEventListener('input', onSearch);
  el.search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      onFilter();
    } else if (e.key === 'Escape') {
      if (el.search.value) {
        el.search.value = '';
        onFilter();
      } else {
        el.search.blur();
      }
    }
  });
  byId('filters-reset').addEventListener('click', () => {
    el.fStatus.value = DEFAULTS.status;
    el.fKind.value = DEFAULTS.kind;
    el.fAssignee.value = DEFAULTS.assignee;
    el.fSite.value = DEFAULTS.site;
    el.fSort.value = DEFAULTS.sort;
    el.search.value = '';
    onFilter();
  });
  el.more.addEventListener('click', () => { loadMore(); });
  // Keep relative times and typing hints fresh.
  window.setInterval(() => {
    const now = Date.now();
    for (const [id, until] of typing) {
      if (until < now) {
        typing.delete(id);
        touch(id);
      }
    }
  }, 1000);
}

/**
 * @param {HTMLSelectElement} sel
 * @param {string} value
 * @param {string} fallback
 */
function setSelect(sel, value, fallback) {
  sel.value = value;
  if (sel.value !== value) sel.value = fallback;
}

/** Fills the site and assignee filters from the loaded sites and users. */
export function refreshFilterOptions() {
  const site = filters.site;
  replace(el.fSite, h('option', { value: 'all' }, 'All sites'),
    [...state.sites.values()].sort((a, b) => a.name.localeCompare(b.name)).map((s) => h('option', { value: s.id }, s.name || s.key)));
  setSelect(el.fSite, site, 'all');

  const assignee = filters.assignee;
  const teammates = [...state.users.values()]
    .filter((u) => !u.disabled && u.id !== state.me?.id)
    .sort((a, b) => (a.name || a.email).localeCompare(b.name || b.email));
  replace(el.fAssignee,
    h('option', { value: 'any' }, 'Anyone'),
    h('option', { value: 'me' }, 'Me'),
    h('option', { value: 'none' }, 'Unassigned'),
    teammates.length && isAdmin() ? h('optgroup', { label: 'Teammates' }, teammates.map((u) => h('option', { value: u.id }, u.name || u.email))) : null);
  setSelect(el.fAssignee, assignee, 'any');
  filters.site = el.fSite.value;
  filters.assignee = el.fAssignee.value;
}

/** The server query for the current filters. */
function query() {
  return {
    site_id: filters.site === 'all' ? '' : filters.site,
    status: filters.status === 'all' ? '' : filters.status,
    kind: filters.kind === 'all' ? '' : filters.kind,
    assignee_id: filters.assignee === 'any' ? '' : filters.assignee === 'me' ? state.me?.id || '' : filters.assignee,
    q: filters.q,
    sort: filters.sort === DEFAULTS.sort ? '' : filters.sort,
    limit: PAGE,
    team_id: teamParam(),
  };
}

/**
 * Reloads the list for the current filters. Resolves with the event
 * stream position of the listing (for the websocket).
 * @returns {Promise<string>}
 */
export async function reloadInbox() {
  const seq = ++loadSeq;
  loading = true;
  liveDuringLoad.clear();
  setStatus('Loading…');
  el.more.hidden = true;
  try {
    const page = await get('/api/v1/conversations' + qs(query()));
    if (seq !== loadSeq) return page.events_cursor || '';
    listed.clear();
    for (const c of page.conversations || []) listed.add(putConv(c).id);
    // A change that arrived while the page was on its way may be missing
    // from it: keep what belongs at the top.
    const list = page.conversations || [];
    const oldest = list.length ? state.convs.get(list[list.length - 1].id) : null;
    for (const id of liveDuringLoad) {
      const c = state.convs.get(id);
      if (c && matches(c, true) && (!page.next_cursor || !oldest || compare(c, oldest) <= 0)) listed.add(id);
    }
    liveDuringLoad.clear();
    if (state.openId && state.convs.has(state.openId) && matches(/** @type {Conversation} */ (state.convs.get(state.openId)), true)) {
      listed.add(state.openId);
    }
    nextCursor = page.next_cursor || '';
    loading = false;
    render();
    countUnread(page.conversations || []);
    return page.events_cursor || '';
  } catch (err) {
    if (seq === loadSeq) {
      loading = false;
      setStatus('Could not load conversations: ' + describeError(err), true);
    }
    throw err;
  }
}

async function loadMore() {
  if (!nextCursor || loading) return;
  const seq = loadSeq;
  loading = true;
  el.more.disabled = true;
  el.more.textContent = 'Loading…';
  try {
    const page = await get('/api/v1/conversations' + qs({ ...query(), cursor: nextCursor }));
    if (seq !== loadSeq) return;
    for (const c of page.conversations || []) listed.add(putConv(c).id);
    nextCursor = page.next_cursor || '';
    render();
    countUnread(page.conversations || []);
  } catch (err) {
    toast('Could not load more: ' + describeError(err), 'error');
  } finally {
    loading = false;
    el.more.disabled = false;
    el.more.textContent = 'Load more';
    el.more.hidden = !nextCursor;
  }
}

/**
 * @param {string} text
 * @param {boolean} [error]
 */
function setStatus(text, error = false) {
  el.status.textContent = text;
  el.status.classList.toggle('error', error);
  el.status.hidden = !text;
}

/**
 * Whether a conversation belongs in the list under the current filters.
 * The search text is matched on what we hold (the server also searches
 * message bodies, so listed results are never dropped for it).
 * @param {Conversation} c
 * @param {boolean} withQuery
 */
function matches(c, withQuery) {
  if (filters.site !== 'all' && c.site_id !== filters.site) return false;
  if (filters.status !== 'all' && c.status !== filters.status) return false;
  if (filters.kind !== 'all' && c.kind !== filters.kind) return false;
  if (filters.assignee === 'me' && c.assignee_id !== state.me?.id) return false;
  if (filters.assignee === 'none' && c.assignee_id) return false;
  if (!['any', 'me', 'none'].includes(filters.assignee) && c.assignee_id !== filters.assignee) return false;
  if (!teamMatches(c)) return false;
  if (withQuery && filters.q) {
    const q = filters.q.toLowerCase();
    const hay = [c.ref, c.name, c.email, c.preview, ...(c.tags || [])].join('\n').toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}

/**
 * Takes a new or changed conversation into the list: inserted when it now
 * matches the filters, dropped when it no longer does (unless it is open).
 * @param {Conversation} c
 */
export function upsertConv(c) {
  if (loading) liveDuringLoad.add(c.id);
  if (listed.has(c.id)) {
    if (!matches(c, false) && c.id !== state.openId) listed.delete(c.id);
  } else if (matches(c, true)) {
    listed.add(c.id);
  }
  touch(c.id);
  render();
}

/** Drops listed conversations that stopped matching, except the open one. */
export function pruneList() {
  let changed = false;
  for (const id of listed) {
    const c = state.convs.get(id);
    if (id !== state.openId && (!c || !matches(c, false))) {
      listed.delete(id);
      changed = true;
    }
  }
  if (changed) render();
  else syncSelection();
}

/**
 * The order of the list under the current filters.
 * @param {Conversation} a
 * @param {Conversation} b
 */
function compare(a, b) {
  return (SORTS[/** @type {keyof SORTS} */ (filters.sort)] || byActivity)(a, b);
}

/** The listed ids in display order. */
function order() {
  return [...listed]
    .map((id) => state.convs.get(id))
    .filter((c) => !!c)
    .sort(/** @type {any} */ (compare))
    .map((c) => /** @type {Conversation} */ (c).id);
}

/** Renders the list: keyed items, moved rather than rebuilt. */
export function render() {
  const ids = order();
  for (const [id, li] of items) {
    if (!listed.has(id)) {
      li.remove();
      items.delete(id);
    }
  }
  for (const id of ids) {
    if (!items.has(id)) {
      const li = /** @type {HTMLLIElement} */ (h('li', { class: 'conv-item' }));
      items.set(id, li);
      fill(li, /** @type {Conversation} */ (state.convs.get(id)));
    }
  }
  const key = ids.join(',');
  if (key !== lastOrder || el.list.children.length !== ids.length) {
    ids.forEach((id, i) => {
      const li = /** @type {HTMLLIElement} */ (items.get(id));
      if (el.list.children[i] !== li) el.list.insertBefore(li, el.list.children[i] || null);
    });
    lastOrder = key;
  }
  if (!loading) {
    if (ids.length === 0) {
      setStatus(filters.q ? 'Nothing found for “' + filters.q + '”.' : 'No conversations here. New ones appear live.');
    } else {
      setStatus('');
    }
  }
  el.more.hidden = !nextCursor;
  syncSelection();
}

/**
 * Re-renders one item (unread count, typing, a field changed).
 * @param {string} id
 */
export function touch(id) {
  const li = items.get(id);
  const c = state.convs.get(id);
  if (li && c) fill(li, c);
}

/** Re-renders every item (unread marks changed in another tab). */
export function touchAll() {
  for (const id of items.keys()) touch(id);
}

/**
 * @param {HTMLLIElement} li
 * @param {Conversation} c
 */
function fill(li, c) {
  const unread = c.id === state.openId ? 0 : unreadOf(c.id);
  li.dataset.id = c.id;
  li.dataset.ref = c.ref;
  li.dataset.status = c.status;
  li.dataset.kind = c.kind;
  li.classList.toggle('has-unread', unread > 0);
  const isTyping = (typing.get(c.id) || 0) > Date.now();
  const site = state.sites.size > 1 ? state.sites.get(c.site_id) : null;
  replace(li, h('a', { class: 'conv-link', href: '#/inbox/' + encodeURIComponent(c.id), 'aria-label': null },
    h('div', { class: 'ci-top' },
      h('span', { class: 'ci-name' }, customerName(c)),
      unread > 0 ? h('span', { class: 'unread', 'aria-label': unread + ' unread' }, String(unread)) : null,
      timeEl(c.last_message_at || c.created_at, 'ci-time')),
    h('div', { class: 'ci-meta' },
      h('span', { class: 'badge kind-' + c.kind }, c.kind),
      h('span', { class: 'ci-ref' }, '#' + c.ref),
      h('span', { class: 'status-pill small status-' + c.status }, c.status),
      site ? h('span', { class: 'ci-site' }, site.name) : null,
      teamChip(c),
      angerMark(c),
      c.assignee_id ? h('span', { class: 'ci-assignee', title: 'Assignee' }, assigneeInitials(c.assignee_id)) : null,
      slaBadge(c)),
    h('p', { class: ['ci-preview', isTyping && 'is-typing'] }, isTyping ? 'typing…' : c.preview || '')));
}

/** @param {string} id */
function assigneeInitials(id) {
  if (id === state.me?.id) return 'You';
  const u = state.users.get(id);
  const name = u ? u.name || u.email : '?';
  return name.split(/[\s@.]+/).filter(Boolean).slice(0, 2).map((p) => p[0].toUpperCase()).join('');
}

/** Highlights the open conversation. */
export function syncSelection() {
  for (const [id, li] of items) {
    const sel = id === state.openId;
    li.classList.toggle('selected', sel);
    const a = li.firstElementChild;
    if (a) {
      if (sel) a.setAttribute('aria-current', 'true');
      else a.removeAttribute('aria-current');
    }
  }
}

/**
 * The id delta steps away from the open one in display order.
 * @param {number} delta
 * @returns {string}
 */
export function neighbour(delta) {
  const ids = order();
  if (!ids.length) return '';
  const i = ids.indexOf(state.openId);
  if (i < 0) return delta > 0 ? ids[0] : ids[ids.length - 1];
  const j = Math.max(0, Math.min(ids.length - 1, i + delta));
  if (j === ids.length - 1 && delta > 0 && nextCursor && !loading) loadMore();
  return ids[j];
}

/** @param {string} id */
export function scrollToItem(id) {
  items.get(id)?.scrollIntoView({ block: 'nearest' });
}

/**
 * Marks the visitor typing in a conversation for a few seconds.
 * @param {string} id
 */
export function setTyping(id) {
  typing.set(id, Date.now() + 5000);
  touch(id);
}

/** @param {string} id */
export function clearTyping(id) {
  if (typing.delete(id)) touch(id);
}

// Unread counts for conversations with activity we have not counted:
// fetch their threads, a few at a time.
/** @type {string[]} */
const countQueue = [];
const queued = new Set();
let counting = 0;

/** @param {Conversation[]} list */
function countUnread(list) {
  for (const c of list) ensureCount(c);
}

/**
 * Queues a recount when the conversation has uncounted activity.
 * @param {Conversation} c
 */
export function ensureCount(c) {
  if (c.id === state.openId || queued.has(c.id) || !needsCount(c)) return;
  queued.add(c.id);
  countQueue.push(c.id);
  pump();
}

function pump() {
  while (counting < 3 && countQueue.length) {
    const id = /** @type {string} */ (countQueue.shift());
    counting++;
    get('/api/v1/conversations/' + encodeURIComponent(id))
      .then((t) => {
        const c = putConv(t.conversation);
        if (c.id !== state.openId) countThread(c, t.messages || []);
        touch(c.id);
      })
      .catch(() => { /* the badge stays as it was; a later event recounts */ })
      .finally(() => {
        counting--;
        queued.delete(id);
        pump();
      });
  }
}

/** Current filters (read-only copy). */
export function currentFilters() {
  return { ...filters };
}

