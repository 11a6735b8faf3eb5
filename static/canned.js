// Canned replies in the reply box: a "/" at the start of the box or after
// white space opens the list of the replies usable on the conversation's
// site, filtered by what follows the "/" as you type. Up and Down move,
// Enter inserts the reply (its variables filled by the server, which counts
// the use), Escape closes. The box keeps the focus throughout: the list is
// its listbox, the active option named by aria-activedescendant.

import { h, replace, toast } from './dom.js';
import { get, post, qs, describeError } from './api.js';

/**
 * @typedef {import('./api.js').Conversation} Conversation
 * @typedef {{id: string, site_id: string | null, shortcut: string, title: string, body: string, use_count: number, created_at?: string, updated_at?: string}} CannedReply
 */

// ---------------------------------------------------------------- the lists

/** Each site's replies (its own and the shared ones), in the server's order. @type {Map<string, Promise<CannedReply[]>>} */
const bySite = new Map();
/** @type {Set<() => void>} */
const listeners = new Set();

/**
 * The replies usable on a site, most used first (read once, then kept
 * until a change or a use makes the server's order news).
 * @param {string} siteId
 * @returns {Promise<CannedReply[]>}
 */
export function cannedFor(siteId) {
  let p = bySite.get(siteId);
  if (!p) {
    p = get('/api/v1/canned-replies' + qs({ site_id: siteId })).then((r) => r.canned_replies || []);
    p.catch(() => bySite.delete(siteId));
    bySite.set(siteId, p);
  }
  return p;
}

/**
 * Calls fn whenever canned replies changed (live events, a resync).
 * @param {() => void} fn
 */
export function onCannedChange(fn) {
  listeners.add(fn);
}

/** A canned_reply.* event, or a resync: what was read is stale. */
export function cannedChanged() {
  bySite.clear();
  for (const fn of listeners) fn();
}

// ---------------------------------------------------------------- the menu

const MAX_SHOWN = 20;

/**
 * @param {CannedReply[]} list
 * @param {string} query
 */
function filter(list, query) {
  const q = query.toLowerCase();
  const first = [];
  const then = [];
  for (const r of list) {
    if (r.shortcut.startsWith(q)) first.push(r);
    else if ((r.shortcut + '\n' + r.title + '\n' + r.body).toLowerCase().includes(q)) then.push(r);
  }
  return first.concat(then).slice(0, MAX_SHOWN);
}

/**
 * Where a "/" trigger starts before the caret, and what follows it.
 * @param {string} text
 * @param {number} caret
 * @returns {{start: number, query: string} | null}
 */
function trigger(text, caret) {
  const m = /(?:^|\s)\/([^\s/]*)$/.exec(text.slice(0, caret));
  return m ? { start: caret - m[1].length - 1, query: m[1] } : null;
}

/**
 * Wires the "/" menu to the reply box.
 * @param {{composer: HTMLFormElement, body: HTMLTextAreaElement, conv: () => Conversation | undefined}} opts
 */
export function initCannedMenu(opts) {
  const { composer, body, conv } = opts;
  const list = h('ul', { id: 'canned-menu', class: 'canned-list', role: 'listbox', 'aria-label': 'Canned replies' });
  const empty = h('p', { class: 'canned-empty' });
  const pop = h('div', { class: 'canned-pop', hidden: true }, list, empty);
  const status = h('p', { class: 'sr-only', role: 'status' });
  composer.append(pop, status);
  body.setAttribute('aria-autocomplete', 'list');

  const menu = {
    open: false,
    start: 0,
    query: '',
    /** @type {CannedReply[]} */ items: [],
    active: 0,
    seq: 0,
    busy: false,
  };

  function close() {
    menu.open = false;
    menu.seq++;
    pop.hidden = true;
    body.removeAttribute('aria-controls');
    body.removeAttribute('aria-activedescendant');
    status.textContent = '';
  }

  /** @param {string} id */
  const optionId = (id) => 'canned-opt-' + id;

  function render() {
    replace(list, menu.items.map((r, i) => h('li', {
      id: optionId(r.id),
      class: 'canned-option',
      role: 'option',
      'aria-selected': String(i === menu.active),
      dataset: { id: r.id, shortcut: r.shortcut },
      onmousedown: (/** @type {MouseEvent} */ e) => e.preventDefault(), // the box keeps the focus
      onclick: () => choose(r),
    },
    h('span', { class: 'canned-shortcut' }, '/' + r.shortcut),
    h('span', { class: 'canned-title' }, r.title),
    h('span', { class: 'canned-preview' }, r.body.replace(/\s+/g, ' ')))));
    list.hidden = menu.items.length === 0;
    empty.hidden = menu.items.length > 0;
    empty.textContent = menu.query ? 'No canned reply matches “' + menu.query + '”.' : 'No canned replies yet: add them on the Replies page.';
    pop.hidden = false;
    body.setAttribute('aria-controls', list.id);
    const active = menu.items[menu.active];
    if (active) {
      body.setAttribute('aria-activedescendant', optionId(active.id));
      document.getElementById(optionId(active.id))?.scrollIntoView({ block: 'nearest' });
    } else {
      body.removeAttribute('aria-activedescendant');
    }
    const n = menu.items.length;
    status.textContent = n ? n + (n === 1 ? ' canned reply' : ' canned replies') + ': Up and Down to choose, Enter to insert, Escape to close.' : empty.textContent;
  }

  /** Opens, narrows or closes the menu for the text before the caret. */
  function update() {
    const c = conv();
    const t = c && !menu.busy && body.selectionStart === body.selectionEnd ? trigger(body.value, body.selectionStart) : null;
    if (!c || !t) {
      if (menu.open) close();
      return;
    }
    const fresh = !menu.open || t.query !== menu.query;
    menu.open = true;
    menu.start = t.start;
    menu.query = t.query;
    const seq = ++menu.seq;
    cannedFor(c.site_id).then((all) => {
      if (seq !== menu.seq) return;
      const active = menu.items[menu.active];
      menu.items = filter(all, t.query);
      // Keep the chosen option when the list is only re-read.
      const keep = fresh || !active ? -1 : menu.items.findIndex((r) => r.id === active.id);
      menu.active = Math.max(0, keep);
      render();
    }).catch((err) => {
      if (seq !== menu.seq) return;
      close();
      toast('Could not load canned replies: ' + describeError(err), 'error');
    });
  }

  /**
   * Replaces the "/query" with the reply, filled for the conversation.
   * @param {CannedReply} r
   */
  async function choose(r) {
    const c = conv();
    if (!c || menu.busy) return;
    const start = menu.start;
    const end = body.selectionStart;
    const typed = body.value.slice(start, end);
    close();
    menu.busy = true;
    try {
      const res = await post('/api/v1/canned-replies/' + encodeURIComponent(r.id) + '/use', { conversation_id: c.id });
      if (conv()?.id !== c.id) return;
      let from = start;
      let to = end;
      if (body.value.slice(from, to) !== typed) from = to = body.selectionStart; // the text moved meanwhile
      body.value = body.value.slice(0, from) + res.body + body.value.slice(to);
      const at = from + res.body.length;
      body.focus();
      body.setSelectionRange(at, at);
      body.dispatchEvent(new Event('input', { bubbles: true }));
      bySite.delete(c.site_id); // its order may have changed
    } catch (err) {
      toast('Could not insert the canned reply: ' + describeError(err), 'error');
    } finally {
      menu.busy = false;
    }
  }

  body.addEventListener('input', update);
  body.addEventListener('click', update);
  body.addEventListener('keyup', (e) => {
    if (['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) update();
  });
  body.addEventListener('blur', () => { if (menu.open) close(); });
  // Capture on the form: these keys belong to the menu while it is open,
  // before the reply box's own handlers (Escape there leaves the box).
  composer.addEventListener('keydown', (e) => {
    if (!menu.open || e.target !== body || e.isComposing) return;
    if (e.altKey || e.ctrlKey || e.metaKey) {
      close(); // e.g. Ctrl+Enter sends: the list has no part in it
      return;
    }
    const n = menu.items.length;
    if (e.key === 'Escape') {
      close();
    } else if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && n) {
      menu.active = (menu.active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      render();
    } else if (e.key === 'Enter' && !e.shiftKey && n) {
      choose(menu.items[menu.active]);
    } else {
      return;
    }
    e.preventDefault();
    e.stopPropagation();
  }, true);

  onCannedChange(() => { if (menu.open) update(); });
}
