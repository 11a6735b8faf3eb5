// Shared state of the dashboard and a tiny event bus between the views.

/**
 * @typedef {import('./api.js').User} User
 * @typedef {import('./api.js').Site} Site
 * @typedef {import('./api.js').Conversation} Conversation
 * @typedef {import('./api.js').Message} Message
 */

export const state = {
  /** @type {User | null} */
  me: null,
  /** @type {Map<string, Site>} */
  sites: new Map(),
  /** @type {Map<string, User>} */
  users: new Map(),
  /** Every conversation this tab knows, listed or not. @type {Map<string, Conversation>} */
  convs: new Map(),
  /** The open conversation's id, or ''. */
  openId: '',
  /** Which main view shows: inbox, settings or team. */
  view: 'inbox',
};

export const KINDS = ['question', 'complaint', 'feedback', 'praise'];
export const STATUSES = ['open', 'pending', 'resolved'];

/** @returns {boolean} */
export function isAdmin() {
  return state.me?.role === 'admin';
}

const bus = new EventTarget();

/**
 * @param {string} name
 * @param {any} [detail]
 */
export function emit(name, detail) {
  bus.dispatchEvent(new CustomEvent(name, { detail }));
}

/**
 * @param {string} name
 * @param {(detail: any) => void} fn
 */
export function on(name, fn) {
  bus.addEventListener(name, (e) => fn(/** @type {CustomEvent} */ (e).detail));
}

/** @param {string} iso */
function t(iso) {
  const v = Date.parse(iso || '');
  return Number.isNaN(v) ? 0 : v;
}

/**
 * Stores a conversation unless what we hold is newer. Returns the one kept.
 * @param {Conversation} c
 * @returns {Conversation}
 */
export function putConv(c) {
  const old = state.convs.get(c.id);
  if (old) {
    if (t(c.updated_at) < t(old.updated_at)) {
      // An older snapshot; still take a later last message time from it.
      if (t(c.last_message_at) > t(old.last_message_at)) {
        old.last_message_at = c.last_message_at;
        old.preview = c.preview;
      }
      return old;
    }
    // Keep the later last message known from message events.
    if (t(old.last_message_at) > t(c.last_message_at)) {
      c = { ...c, last_message_at: old.last_message_at, preview: old.preview };
    }
  }
  state.convs.set(c.id, c);
  return c;
}

/**
 * Newest activity first, then id, as the server orders the inbox.
 * @param {Conversation} a
 * @param {Conversation} b
 */
export function byActivity(a, b) {
  const d = t(b.last_message_at) - t(a.last_message_at);
  if (d) return d;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * A display name for a staff user id.
 * @param {string | null | undefined} id
 */
export function userName(id) {
  if (!id) return 'Unassigned';
  if (state.me && id === state.me.id) return 'You';
  const u = state.users.get(id);
  return u ? u.name || u.email : 'Someone';
}

/**
 * A display name for a conversation's customer.
 * @param {Conversation} c
 */
export function customerName(c) {
  return c.name || c.email || 'Visitor';
}
