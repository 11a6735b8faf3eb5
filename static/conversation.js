// The conversation view: thread, details, reply box and the actions
// (status, assignee, kind, tags).

import { h, byId, replace, linkify, fullTime, clockTime, describeUA, httpUrl, extLink, toast, ms, store } from './dom.js';
import { get, post, patch, describeError, ApiError } from './api.js';
import { state, putConv, customerName, emit, KINDS } from './state.js';
import { markRead } from './unread.js';
import { teamName } from './teams-inbox.js';
import { initOpeners, setOpeners, renderOpeners } from './anger.js';
import { initCannedMenu } from './canned.js';

/**
 * @typedef {import('./api.js').Conversation} Conversation
 * @typedef {import('./api.js').Message} Message
 */

const el = {
  /** @type {HTMLElement} */ empty: byId('conv-empty'),
  /** @type {HTMLElement} */ conv: byId('conv'),
  /** @type {HTMLElement} */ title: byId('conv-title'),
  /** @type {HTMLElement} */ kindBadge: byId('conv-kind-badge'),
  /** @type {HTMLElement} */ ref: byId('conv-ref'),
  /** @type {HTMLElement} */ status: byId('conv-status'),
  /** @type {HTMLButtonElement} */ open: byId('status-open'),
  /** @type {HTMLButtonElement} */ pending: byId('status-pending'),
  /** @type {HTMLButtonElement} */ resolve: byId('status-resolve'),
  /** @type {HTMLSelectElement} */ assignee: byId('conv-assignee'),
  /** @type {HTMLButtonElement} */ infoToggle: byId('conv-info-toggle'),
  /** @type {HTMLElement} */ scroll: byId('thread-scroll'),
  /** @type {HTMLElement} */ threadStatus: byId('thread-status'),
  /** @type {HTMLOListElement} */ thread: byId('thread'),
  /** @type {HTMLElement} */ typing: byId('typing-indicator'),
  /** @type {HTMLElement} */ typingText: byId('typing-text'),
  /** @type {HTMLElement} */ details: byId('conv-details'),
  /** @type {HTMLSelectElement} */ kind: byId('conv-kind'),
  /** @type {HTMLUListElement} */ tagList: byId('tag-list'),
  /** @type {HTMLInputElement} */ tagInput: byId('tag-input'),
  /** @type {HTMLFormElement} */ composer: byId('composer'),
  /** @type {HTMLTextAreaElement} */ body: byId('reply-body'),
  /** @type {HTMLInputElement} */ internal: byId('reply-internal'),
  /** @type {HTMLButtonElement} */ send: byId('reply-send'),
  /** @type {HTMLElement} */ replyError: byId('reply-error'),
  /** @type {HTMLElement} */ mode: byId('composer-mode'),
};

const INFO_KEY = 'holler.details';

/** The open conversation. */
const cur = {
  id: '',
  seq: 0,
  loaded: false,
  /** @type {Map<string, Message>} */
  messages: new Map(),
};

/** Unsent text per conversation. @type {Map<string, {body: string, internal: boolean}>} */
const drafts = new Map();
/** @type {(id: string) => void} */
let sendTyping = () => {};
let lastTypingSent = 0;
/** @type {number | undefined} */
let typingTimer;
let sending = false;

/**
 * @param {{sendTyping: (conversationId: string) => void}} opts
 */
export function initConversation(opts) {
  sendTyping = opts.sendTyping;
  initOpeners({ composer: el.composer, body: el.body, internal: el.internal, conv });
  initCannedMenu({ composer: el.composer, body: el.body, conv });

  el.open.addEventListener('click', () => setStatus('open'));
  el.pending.addEventListener('click', () => setStatus('pending'));
  el.resolve.addEventListener('click', () => setStatus('resolved'));
  el.assignee.addEventListener('change', () => {
    const v = el.assignee.value;
    update({ assignee_id: v || null }, 'Assigned to ' + (el.assignee.selectedOptions[0]?.textContent || 'nobody') + '.');
  });
  el.kind.addEventListener('change', () => update({ kind: el.kind.value }));
  // Details show by default except on phones; the choice sticks.
  setInfo(store.get(INFO_KEY, !window.matchMedia('(max-width: 720px)').matches));
  el.infoToggle.addEventListener('click', () => {
    const show = !el.conv.classList.contains('show-info');
    setInfo(show);
    store.set(INFO_KEY, show);
  });

  el.internal.addEventListener('change', () => {
    syncComposerMode();
    saveDraft();
    el.body.focus();
  });
  el.body.addEventListener('input', () => {
    autoGrow();
    saveDraft();
    el.replyError.hidden = true;
    const now = Date.now();
    // Tell the visitor someone is answering; never for internal notes.
    if (!el.internal.checked && el.body.value.trim() && now - lastTypingSent > 2500 && cur.id) {
      lastTypingSent = now;
      sendTyping(cur.id);
    }
  });
  el.body.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape') {
      el.body.blur();
    }
  });
  el.composer.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });

  el.tagInput.addEventListener('keydown', (e) => {
    const v = el.tagInput.value.trim().replace(/,+$/, '');
    if ((e.key === 'Enter' || e.key === ',') && v) {
      e.preventDefault();
      addTag(v);
    } else if (e.key === 'Enter') {
      e.preventDefault();
    } else if (e.key === 'Backspace' && !el.tagInput.value) {
      const c = conv();
      if (c && c.tags && c.tags.length) setTags(c.tags.slice(0, -1));
    } else if (e.key === 'Escape') {
      el.tagInput.blur();
    }
  });
  el.tagInput.addEventListener('blur', () => {
    const v = el.tagInput.value.trim();
    if (v) addTag(v);
  });

  document.addEventListener('visibilitychange', maybeMarkRead);
  window.addEventListener('focus', maybeMarkRead);
}

/** @param {boolean} show */
function setInfo(show) {
  el.conv.classList.toggle('show-info', show);
  el.infoToggle.setAttribute('aria-expanded', String(show));
  el.infoToggle.textContent = show ? 'Hide details' : 'Details';
}

/** @returns {Conversation | undefined} */
function conv() {
  return state.convs.get(cur.id);
}

/**
 * Opens a conversation: renders what we know at once, then the thread.
 * @param {string} id
 */
export async function openConversation(id) {
  if (cur.id === id && cur.loaded) {
    renderHeader();
    return;
  }
  saveDraft();
  const seq = ++cur.seq;
  cur.id = id;
  cur.loaded = false;
  cur.messages = new Map();
  state.openId = id;
  // Which conversation the view shows, also before its thread has loaded
  // (the hash changes before the hashchange handler gets here).
  el.conv.dataset.id = id;
  el.empty.hidden = true;
  el.conv.hidden = false;
  el.typing.hidden = true;
  el.thread.replaceChildren();
  el.threadStatus.textContent = 'Loading…';
  el.threadStatus.hidden = false;
  restoreDraft();
  renderHeader();
  try {
    const t = await get('/api/v1/conversations/' + encodeURIComponent(id));
    if (seq !== cur.seq) return;
    const c = putConv(t.conversation);
    for (const m of t.messages || []) cur.messages.set(m.id, m);
    cur.loaded = true;
    setOpeners(id, t.empathy_openers);
    el.threadStatus.hidden = true;
    renderHeader();
    renderThread();
    scrollToBottom();
    maybeMarkRead();
    emit('conv', c);
  } catch (err) {
    if (seq !== cur.seq) return;
    el.threadStatus.textContent = err instanceof ApiError && err.status === 404
      ? 'This conversation does not exist, or you no longer have access to it.'
      : 'Could not load the conversation: ' + describeError(err);
  }
}

/** Closes the conversation view. */
export function closeConversation() {
  saveDraft();
  cur.seq++;
  cur.id = '';
  cur.loaded = false;
  cur.messages = new Map();
  state.openId = '';
  delete el.conv.dataset.id;
  el.conv.hidden = true;
  el.empty.hidden = false;
}

/** Re-renders the header and details after the conversation changed. */
export function refreshConversation() {
  if (cur.id) renderHeader();
}

/**
 * A live message: appended when it belongs to the open conversation.
 * @param {Message} m
 */
export function onMessage(m) {
  if (m.conversation_id !== cur.id || cur.messages.has(m.id)) return;
  cur.messages.set(m.id, m);
  if (m.author_kind === 'visitor') el.typing.hidden = true;
  if (!cur.loaded) return;
  appendMessage(m, false);
  maybeMarkRead();
}

/**
 * The visitor is typing in a conversation.
 * @param {string} conversationId
 */
export function onTyping(conversationId) {
  if (conversationId !== cur.id) return;
  const c = conv();
  el.typingText.textContent = (c ? customerName(c) : 'Visitor') + ' is typing…';
  el.typing.hidden = false;
  clearTimeout(typingTimer);
  typingTimer = window.setTimeout(() => { el.typing.hidden = true; }, 6000);
}

/** Focuses the reply box (shortcut r). */
export function focusReply() {
  if (!cur.id) return;
  el.body.focus();
}

/** Resolves the open conversation (shortcut e). */
export function resolveOpen() {
  const c = conv();
  if (c && c.status !== 'resolved') setStatus('resolved');
}

function maybeMarkRead() {
  const c = conv();
  if (!c || !cur.loaded || document.visibilityState !== 'visible') return;
  markRead(c, [...cur.messages.values()]);
}

function renderHeader() {
  const c = conv();
  if (!c) {
    el.title.textContent = 'Loading…';
    renderOpeners();
    return;
  }
  el.title.textContent = customerName(c);
  el.kindBadge.className = 'badge kind-' + c.kind;
  el.kindBadge.textContent = c.kind;
  el.ref.textContent = '#' + c.ref;
  el.status.textContent = c.status;
  el.status.className = 'status-pill status-' + c.status;
  el.conv.dataset.status = c.status;
  for (const [btn, s] of /** @type {[HTMLButtonElement, string][]} */ ([[el.open, 'open'], [el.pending, 'pending'], [el.resolve, 'resolved']])) {
    btn.setAttribute('aria-pressed', String(c.status === s));
  }
  renderAssignees(c);
  if (!KINDS.includes(c.kind)) el.kind.append(h('option', { value: c.kind }, c.kind));
  el.kind.value = c.kind;
  renderTags(c);
  renderDetails(c);
  renderOpeners(cur.loaded);
}

/** @param {Conversation} c */
function renderAssignees(c) {
  const me = state.me;
  const eligible = [...state.users.values()]
    .filter((u) => !u.disabled && (u.role === 'admin' || (u.site_ids || []).includes(c.site_id)))
    .sort((a, b) => (a.id === me?.id ? -1 : b.id === me?.id ? 1 : (a.name || a.email).localeCompare(b.name || b.email)));
  if (me && !eligible.some((u) => u.id === me.id)) eligible.unshift(me);
  const options = [h('option', { value: '' }, 'Unassigned')];
  for (const u of eligible) {
    options.push(h('option', { value: u.id }, u.id === me?.id ? 'Me (' + (u.name || u.email) + ')' : u.name || u.email));
  }
  if (c.assignee_id && !eligible.some((u) => u.id === c.assignee_id)) {
    const u = state.users.get(c.assignee_id);
    options.push(h('option', { value: c.assignee_id }, u ? u.name || u.email : 'Another teammate'));
  }
  replace(el.assignee, options);
  el.assignee.value = c.assignee_id || '';
}

/** @param {Conversation} c */
function renderTags(c) {
  replace(el.tagList, (c.tags || []).map((t) => h('li', { class: 'tag' },
    h('span', null, t),
    h('button', { type: 'button', class: 'tag-x', 'aria-label': 'Remove tag ' + t, onclick: () => setTags((c.tags || []).filter((x) => x !== t)) }, '×'))));
}

/** @param {Conversation} c */
function renderDetails(c) {
  /** @type {[string, any][]} */
  const rows = [];
  const contact = [];
  if (c.name) contact.push(h('div', null, c.name));
  if (c.email) contact.push(h('div', null, h('a', { href: 'mailto:' + c.email }, c.email)));
  rows.push(['Contact', contact.length ? contact : h('span', { class: 'muted' }, 'Anonymous visitor')]);
  const url = httpUrl(c.page_url);
  if (url) {
    rows.push(['Page', extLink(url.href, url.host + url.pathname + url.search)]);
  } else if (c.page_url) {
    rows.push(['Page', h('span', { class: 'muted' }, c.page_url)]);
  }
  if (c.user_agent) rows.push(['Device', h('span', { title: c.user_agent }, describeUA(c.user_agent))]);
  rows.push(['Reference', '#' + c.ref]);
  rows.push(['Started', h('time', { datetime: c.created_at }, fullTime(c.created_at))]);
  const site = state.sites.get(c.site_id);
  if (site && state.sites.size > 1) rows.push(['Site', site.name]);
  if (c.team_id) rows.push(['Team', teamName(c.team_id)]);
  if (c.rating_score) {
    const n = Math.max(0, Math.min(5, c.rating_score));
    rows.push(['Rating', h('div', { class: 'rating' },
      h('span', { class: 'stars', 'aria-label': n + ' out of 5' }, '★'.repeat(n) + '☆'.repeat(5 - n)),
      ' ' + n + '/5',
      c.rating_comment ? h('blockquote', null, c.rating_comment) : null)]);
  }
  replace(el.details, rows.map(([k, v]) => h('div', { class: 'detail' }, h('dt', null, k), h('dd', null, v))));
}

/** @param {string} iso */
function dayKey(iso) {
  const d = new Date(ms(iso));
  return d.getFullYear() + '-' + d.getMonth() + '-' + d.getDate();
}

/** @param {string} iso */
function daySep(iso) {
  const d = new Date(ms(iso));
  const today = new Date();
  const yesterday = new Date(Date.now() - 86400000);
  let label = d.toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric' });
  if (dayKey(d.toISOString()) === dayKey(today.toISOString())) label = 'Today';
  else if (dayKey(d.toISOString()) === dayKey(yesterday.toISOString())) label = 'Yesterday';
  return h('li', { class: 'day-sep', dataset: { day: dayKey(iso) } }, h('span', null, label));
}

/** @returns {Message[]} */
function sorted() {
  return [...cur.messages.values()].sort((a, b) => ms(a.created_at) - ms(b.created_at) || (a.id < b.id ? -1 : 1));
}

function renderThread() {
  const nodes = [];
  let day = '';
  for (const m of sorted()) {
    const d = dayKey(m.created_at);
    if (d !== day) {
      nodes.push(daySep(m.created_at));
      day = d;
    }
    nodes.push(messageEl(m));
  }
  replace(el.thread, nodes);
  if (!nodes.length) {
    el.threadStatus.textContent = 'No messages yet.';
    el.threadStatus.hidden = false;
  }
}

/**
 * @param {Message} m
 * @param {boolean} mine a message this tab just sent: always scroll to it
 */
function appendMessage(m, mine) {
  const nearBottom = el.scroll.scrollHeight - el.scroll.scrollTop - el.scroll.clientHeight < 120;
  const items = el.thread.querySelectorAll('.msg');
  const last = items[items.length - 1];
  const lastMsg = last ? cur.messages.get(/** @type {HTMLElement} */ (last).dataset.id || '') : null;
  if (lastMsg && ms(m.created_at) < ms(lastMsg.created_at)) {
    renderThread(); // arrived out of order: rebuild
  } else {
    if (!lastMsg || dayKey(lastMsg.created_at) !== dayKey(m.created_at)) el.thread.append(daySep(m.created_at));
    el.thread.append(messageEl(m));
    el.threadStatus.hidden = true;
  }
  if (nearBottom || mine) scrollToBottom();
}

/** @param {Message} m */
function messageEl(m) {
  const c = conv();
  const mine = m.author_kind === 'staff' && m.author_id === state.me?.id;
  let author = m.author_name;
  if (m.author_kind === 'visitor') author = author || (c ? customerName(c) : 'Visitor');
  else if (m.author_kind === 'staff') author = mine ? 'You' : author || 'Staff';
  else author = 'Holler';
  return h('li', {
    class: ['msg', 'from-' + m.author_kind, m.internal && 'note', mine && 'mine'],
    dataset: { id: m.id, author: m.author_kind },
  },
  h('div', { class: 'msg-meta' },
    h('span', { class: 'msg-author' }, author),
    m.internal ? h('span', { class: 'note-label' }, 'Internal note') : null,
    m.via === 'email' ? h('span', { class: 'via-label', title: 'The customer answered by email' }, 'by email') : null,
    h('time', { datetime: m.created_at, title: fullTime(m.created_at) }, clockTime(m.created_at))),
  h('div', { class: 'msg-body' }, linkify(m.body)));
}

function scrollToBottom() {
  el.scroll.scrollTop = el.scroll.scrollHeight;
}

function syncComposerMode() {
  const note = el.internal.checked;
  el.composer.classList.toggle('note', note);
  el.body.placeholder = note ? 'Write an internal note — only staff see it…' : 'Write a reply to the customer…';
  el.mode.textContent = note ? 'Only your team sees notes' : 'The customer sees this reply';
  el.send.textContent = note ? 'Add note' : 'Send';
}

function autoGrow() {
  el.body.style.setProperty('height', 'auto');
  el.body.style.setProperty('height', Math.min(el.body.scrollHeight + 2, Math.round(window.innerHeight * 0.4)) + 'px');
}

function saveDraft() {
  if (!cur.id) return;
  if (el.body.value || el.internal.checked) drafts.set(cur.id, { body: el.body.value, internal: el.internal.checked });
  else drafts.delete(cur.id);
}

function restoreDraft() {
  const d = drafts.get(cur.id);
  el.body.value = d ? d.body : '';
  el.internal.checked = d ? d.internal : false;
  el.replyError.hidden = true;
  syncComposerMode();
  el.body.style.removeProperty('height');
  if (d && d.body) autoGrow();
}

async function submit() {
  const id = cur.id;
  const body = el.body.value.trim();
  if (!id || sending) return;
  if (!body) {
    showReplyError('Write something first.');
    return;
  }
  if (body.length > 10000) {
    showReplyError('A message can be at most 10,000 characters.');
    return;
  }
  sending = true;
  el.send.disabled = true;
  const internal = el.internal.checked;
  try {
    const res = await post('/api/v1/conversations/' + encodeURIComponent(id) + '/messages', { body, internal });
    drafts.delete(id);
    if (cur.id === id) {
      el.body.value = '';
      el.body.style.removeProperty('height');
      el.replyError.hidden = true;
      const m = res.message;
      if (m && !cur.messages.has(m.id)) {
        cur.messages.set(m.id, m);
        if (cur.loaded) appendMessage(m, true);
      }
      maybeMarkRead();
    }
    emit('sent', res.message);
  } catch (err) {
    if (cur.id === id) showReplyError('Not sent: ' + describeError(err));
    else toast('Your message was not sent: ' + describeError(err), 'error');
  } finally {
    sending = false;
    el.send.disabled = false;
  }
}

/** @param {string} text */
function showReplyError(text) {
  el.replyError.textContent = text;
  el.replyError.hidden = false;
}

/** @param {'open' | 'pending' | 'resolved'} status */
function setStatus(status) {
  const c = conv();
  if (!c || c.status === status) return;
  update({ status }, status === 'resolved' ? 'Resolved #' + c.ref + '.' : '');
}

/** @param {string} raw */
function addTag(raw) {
  const c = conv();
  el.tagInput.value = '';
  if (!c) return;
  const tags = c.tags || [];
  const next = raw.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t && !tags.includes(t));
  if (!next.length) return;
  if (next.some((t) => t.length > 40)) {
    toast('A tag can be at most 40 characters.', 'error');
    return;
  }
  setTags([...tags, ...next]);
}

/** @param {string[]} tags */
function setTags(tags) {
  if (tags.length > 20) {
    toast('At most 20 tags.', 'error');
    return;
  }
  update({ tags });
}

/**
 * Sends a change of the open conversation; the answer is the truth.
 * @param {Record<string, any>} change
 * @param {string} [done] a message to show on success
 */
async function update(change, done = '') {
  const id = cur.id;
  if (!id) return;
  const controls = [el.open, el.pending, el.resolve, el.assignee, el.kind];
  for (const c of controls) c.disabled = true;
  try {
    const res = await patch('/api/v1/conversations/' + encodeURIComponent(id), change);
    const c = putConv(res.conversation);
    if (cur.id === id) renderHeader();
    emit('conv', c);
    if (done) toast(done);
  } catch (err) {
    toast('Could not update: ' + describeError(err), 'error');
    if (cur.id === id) renderHeader(); // back to the truth
  } finally {
    for (const c of controls) c.disabled = false;
  }
}

/** The id of the open conversation, or ''. */
export function openId() {
  return cur.id;
}
