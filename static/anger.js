// Angry customers first: the inbox marker and order, and the empathy
// openers the reply box offers for an angry conversation.

import { h, replace } from './dom.js';
import { get } from './api.js';
import { byActivity } from './state.js';

/** @typedef {import('./api.js').Conversation & {anger?: number}} Conversation */

/** A conversation is angry from this score on: the server's anger.Threshold. */
export const ANGRY_AT = 0.5;

/** @param {Conversation | undefined | null} c */
export function isAngry(c) {
  return !!c && (c.anger || 0) >= ANGRY_AT;
}

/**
 * The inbox marker of an angry conversation, or null.
 * @param {Conversation} c
 */
export function angerMark(c) {
  if (!isAngry(c)) return null;
  return h('span', { class: 'anger-mark', title: 'Angry customer (score ' + (c.anger || 0).toFixed(2) + ')' }, 'angry');
}

/**
 * Angriest first, then newest activity, as the server orders sort=anger.
 * @param {Conversation} a
 * @param {Conversation} b
 */
export function byAnger(a, b) {
  return (b.anger || 0) - (a.anger || 0) || byActivity(a, b);
}

// ---------------------------------------------------------------- openers

/** Openers per conversation, as the server sent them with the thread. @type {Map<string, string[]>} */
const openers = new Map();
/** @type {{body: HTMLTextAreaElement, internal: HTMLInputElement, row: HTMLElement, conv: () => Conversation | undefined} | null} */
let box = null;

/**
 * Puts the openers row above the reply box.
 * @param {{composer: HTMLFormElement, body: HTMLTextAreaElement, internal: HTMLInputElement, conv: () => Conversation | undefined}} opts
 */
export function initOpeners(opts) {
  const row = h('div', { id: 'openers', class: 'openers', role: 'group', 'aria-label': 'Empathy openers', hidden: true });
  opts.composer.insertBefore(row, opts.body.labels?.[0] || opts.body);
  box = { body: opts.body, internal: opts.internal, row, conv: opts.conv };
  opts.internal.addEventListener('change', () => renderOpeners());
}

/**
 * Takes the openers of a thread the server sent.
 * @param {string} id
 * @param {string[] | undefined} list
 */
export function setOpeners(id, list) {
  if (list && list.length) openers.set(id, list);
  else openers.delete(id);
  renderOpeners();
}

let fetching = '';
/** What the row shows: the conversation and its openers, '' for nothing. */
let shown = '';

/**
 * Shows or hides the openers for the open conversation. With fetch (its
 * thread is loaded), one that turned angry since has its openers fetched.
 * @param {boolean} [fetch]
 */
export function renderOpeners(fetch = false) {
  if (!box) return;
  const c = box.conv();
  const list = c ? openers.get(c.id) : undefined;
  if (fetch && c && isAngry(c) && !list && fetching !== c.id) {
    fetching = c.id;
    get('/api/v1/conversations/' + encodeURIComponent(c.id))
      .then((t) => setOpeners(c.id, t.empathy_openers))
      .catch(() => { /* no openers this time; the reply box works without them */ })
      .finally(() => { fetching = ''; });
  }
  // Openers speak to the customer: not for an internal note.
  const show = !!c && isAngry(c) && !!list && !box.internal.checked;
  box.row.hidden = !show;
  // Redrawn only when they change, so a live update of the conversation
  // does not take the focus from an opener.
  const key = show && c && list ? c.id + '\n' + list.join('\n') : '';
  if (key === shown) return;
  shown = key;
  if (!show || !list) {
    box.row.replaceChildren();
    return;
  }
  replace(box.row,
    h('span', { class: 'openers-label' }, 'Angry customer — start with:'),
    list.map((text) => h('button', { type: 'button', class: 'opener', onclick: () => insertOpener(text, list) }, text)));
}

/**
 * Puts an opener at the start of the reply (in place of another opener
 * already there) and leaves the caret after it.
 * @param {string} text
 * @param {string[]} list
 */
function insertOpener(text, list) {
  if (!box) return;
  const body = box.body;
  let rest = body.value;
  const old = list.find((o) => rest.startsWith(o));
  if (old) rest = rest.slice(old.length);
  rest = rest.replace(/^[ \t]+/, '');
  body.value = text + ' ' + rest;
  body.focus();
  const at = text.length + 1;
  body.setSelectionRange(at, at);
  body.dispatchEvent(new Event('input', { bubbles: true }));
}
