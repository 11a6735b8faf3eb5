// Unread counts: visitor messages since you last opened a conversation.
// Read marks live in localStorage per user, so they survive reloads and
// are shared by the tabs of this browser.
//
// For each conversation we keep {r, u, n}: r is the read mark (time of the
// newest message when you last looked), u the time up to which visitor
// messages have been counted, n the count of visitor messages in (r, u].
// A live visitor message newer than u adds one; a conversation whose last
// activity is newer than u needs a recount from its thread.

import { store, ms } from './dom.js';

/** @typedef {import('./api.js').Conversation} Conversation */
/** @typedef {import('./api.js').Message} Message */
/** @typedef {{r: number, u: number, n: number}} Mark */

const MAX_MARKS = 3000;

let key = '';
/** @type {Record<string, Mark>} */
let marks = {};
/** @type {Set<() => void>} */
const listeners = new Set();
/** @type {number | undefined} */
let saveTimer;

/** @param {string} userId */
export function initUnread(userId) {
  key = 'holler.unread.' + userId;
  marks = store.get(key, {});
  if (typeof marks !== 'object' || marks === null) marks = {};
}

// Write pending marks before the page goes away.
window.addEventListener('pagehide', () => {
  if (saveTimer !== undefined) save();
});

window.addEventListener('storage', (e) => {
  if (!key || e.key !== key) return;
  marks = store.get(key, {}) || {};
  changed(false);
});

let notifying = false;

/**
 * Saves soon and tells the listeners once per burst of changes.
 * @param {boolean} persist
 */
function changed(persist = true) {
  if (persist) {
    clearTimeout(saveTimer);
    saveTimer = window.setTimeout(save, 200);
  }
  if (notifying) return;
  notifying = true;
  queueMicrotask(() => {
    notifying = false;
    for (const fn of listeners) fn();
  });
}

function save() {
  clearTimeout(saveTimer);
  saveTimer = undefined;
  const ids = Object.keys(marks);
  if (ids.length > MAX_MARKS) {
    ids.sort((a, b) => marks[a].u - marks[b].u);
    for (const id of ids.slice(0, ids.length - MAX_MARKS)) delete marks[id];
  }
  if (key) store.set(key, marks);
}

/** @param {() => void} fn */
export function onUnreadChange(fn) {
  listeners.add(fn);
}

/** @param {string} id */
export function unreadOf(id) {
  return marks[id]?.n || 0;
}

/** The total unread count over every conversation we know of. */
export function totalUnread() {
  let n = 0;
  for (const m of Object.values(marks)) n += m.n || 0;
  return n;
}

/**
 * True when the conversation's activity is newer than what was counted.
 * Resolved conversations never looked at are taken as read, so a fresh
 * browser does not light up the whole history.
 * @param {Conversation} c
 */
export function needsCount(c) {
  const m = marks[c.id];
  const last = ms(c.last_message_at);
  if (!m) {
    if (c.status === 'resolved') {
      marks[c.id] = { r: last, u: last, n: 0 };
      changed();
      return false;
    }
    return true;
  }
  return last > m.u;
}

/**
 * Counts the unread visitor messages of a whole thread.
 * @param {Conversation} c
 * @param {Message[]} messages
 */
export function countThread(c, messages) {
  const m = marks[c.id] || { r: 0, u: 0, n: 0 };
  let n = 0;
  let u = ms(c.last_message_at);
  for (const msg of messages) {
    const t = ms(msg.created_at);
    if (t > u) u = t;
    if (msg.author_kind === 'visitor' && !msg.internal && t > m.r) n++;
  }
  marks[c.id] = { r: m.r, u, n };
  changed();
}

/**
 * Counts one live message: a visitor's adds one, any moves the counted
 * mark on. Returns true when a visitor message was counted.
 * Unknown conversations are left for a recount (see needsCount), except
 * for a brand-new conversation's first message.
 * A mark that had not caught up with the conversation's previous activity
 * (prevLast) is stale: the message is left to the recount too.
 * @param {Message} msg
 * @param {boolean} first
 * @param {number} [prevLast] the conversation's last activity before msg
 */
export function countMessage(msg, first, prevLast = 0) {
  if (msg.internal) return false; // notes do not move the conversation
  const visitor = msg.author_kind === 'visitor';
  const t = ms(msg.created_at);
  const m = marks[msg.conversation_id];
  if (!m) {
    if (!first || !visitor) return false;
    marks[msg.conversation_id] = { r: 0, u: t, n: 1 };
    changed();
    return true;
  }
  if (t <= m.u || m.u < prevLast) return false;
  m.u = t;
  if (visitor && t > m.r) m.n++;
  changed();
  return visitor;
}

/**
 * Marks a conversation read up to its newest message.
 * @param {Conversation} c
 * @param {Message[]} [messages]
 */
export function markRead(c, messages = []) {
  let t = ms(c.last_message_at);
  for (const msg of messages) t = Math.max(t, ms(msg.created_at));
  const m = marks[c.id];
  if (m && m.n === 0 && m.r >= t && m.u >= t) return;
  marks[c.id] = { r: t, u: Math.max(t, m?.u || 0), n: 0 };
  changed();
}

/**
 * Whether a mark exists: a conversation we have counted or read before.
 * @param {string} id
 */
export function known(id) {
  return id in marks;
}
