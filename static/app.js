// Holler staff dashboard: sign-in, routing, the live socket, shortcuts.

import { byId, isTyping, refreshTimes, toast, ms, h } from './dom.js';
import * as api from './api.js';
import { state, putConv, on, isAdmin, customerName } from './state.js';
import { LiveSocket } from './socket.js';
import * as inbox from './inbox.js';
import * as conversation from './conversation.js';
import { renderSettings } from './settings.js';
import { renderTeam } from './team.js';
import { renderCannedAdmin } from './canned-admin.js';
import { cannedChanged } from './canned.js';
import { initUnread, onUnreadChange, totalUnread, countMessage, known } from './unread.js';
import { beep, desktopNotify, notificationPermission, requestNotifications, soundOn, setSound } from './notify.js';
import { loadTeams, initTeamFilter, teamKey, onTeamsFrame } from './teams-inbox.js';
import { routingChanged } from './teams-admin.js';
import { slaNotice } from './sla.js';

/**
 * @typedef {import('./api.js').Conversation} Conversation
 * @typedef {import('./api.js').Message} Message
 * @typedef {import('./socket.js').Frame} Frame
 */

const FLASH_KEY = 'holler.flash';

const ui = {
  /** @type {HTMLElement} */ boot: byId('boot'),
  /** @type {HTMLElement} */ login: byId('login-view'),
  /** @type {HTMLFormElement} */ loginForm: byId('login-form'),
  /** @type {HTMLInputElement} */ email: byId('login-email'),
  /** @type {HTMLInputElement} */ password: byId('login-password'),
  /** @type {HTMLButtonElement} */ submit: byId('login-submit'),
  /** @type {HTMLElement} */ loginError: byId('login-error'),
  /** @type {HTMLElement} */ flash: byId('login-flash'),
  /** @type {HTMLElement} */ app: byId('app'),
  /** @type {HTMLElement} */ conn: byId('conn-state'),
  /** @type {HTMLElement} */ connDot: byId('conn-dot'),
  /** @type {HTMLElement} */ listPane: byId('list-pane'),
  /** @type {HTMLElement} */ convPane: byId('conv-pane'),
  /** @type {HTMLElement} */ pagePane: byId('page-pane'),
  /** @type {HTMLElement} */ scrim: byId('scrim'),
  /** @type {HTMLDialogElement} */ shortcuts: byId('shortcuts'),
  /** @type {HTMLButtonElement} */ notifyBtn: byId('notify-toggle'),
  /** @type {HTMLButtonElement} */ soundBtn: byId('sound-toggle'),
  /** @type {HTMLElement} */ navUnread: byId('nav-unread'),
};

let started = false;
/** Message ids already handled, so replays and echoes count once. */
const seen = new Set();
/** @type {string[]} */
const seenOrder = [];

/** @param {string} id @returns {boolean} true the first time */
function firstSight(id) {
  if (!id || seen.has(id)) return false;
  seen.add(id);
  seenOrder.push(id);
  if (seenOrder.length > 5000) seen.delete(/** @type {string} */ (seenOrder.shift()));
  return true;
}

const socket = new LiveSocket({
  token: api.freshToken,
  onFrame: handleFrame,
  onState: showConnState,
  checkAuth: async () => { await api.get('/api/v1/me'); },
  resync: async () => {
    await loadDirectory();
    cannedChanged();
    return inbox.reloadInbox();
  },
});

// ---------------------------------------------------------------- sign-in

/** @type {number | undefined} */
let lockTimer;

/** @param {string} text */
function loginError(text) {
  ui.loginError.textContent = text;
  ui.loginError.hidden = !text;
}

/** @param {number} seconds */
function lockLogin(seconds) {
  clearInterval(lockTimer);
  let left = Math.max(1, seconds);
  const tick = () => {
    if (left <= 0) {
      clearInterval(lockTimer);
      ui.submit.disabled = false;
      loginError('You can try again now.');
      return;
    }
    ui.submit.disabled = true;
    loginError('Too many sign-in attempts — try again in ' + left + ' s.');
    left--;
  };
  tick();
  lockTimer = window.setInterval(tick, 1000);
}

/** @param {string} [flash] */
function showLogin(flash) {
  document.title = 'Sign in · Holler';
  ui.boot.hidden = true;
  ui.app.hidden = true;
  ui.login.hidden = false;
  const msg = flash || sessionStorage.getItem(FLASH_KEY) || '';
  sessionStorage.removeItem(FLASH_KEY);
  ui.flash.textContent = msg;
  ui.flash.hidden = !msg;
  (ui.email.value ? ui.password : ui.email).focus();
}

ui.loginForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (ui.submit.disabled) return;
  const email = ui.email.value.trim();
  const password = ui.password.value;
  if (!email || !password) {
    loginError('Enter your email and password.');
    (email ? ui.password : ui.email).focus();
    return;
  }
  loginError('');
  ui.submit.disabled = true;
  ui.submit.textContent = 'Signing in…';
  let locked = false;
  try {
    const s = await api.login(email, password);
    ui.password.value = '';
    await start(s.user);
  } catch (err) {
    if (err instanceof api.ApiError && err.status === 429) {
      locked = true;
      lockLogin(err.retryAfter || 30);
    } else if (err instanceof api.ApiError && err.status === 401) {
      loginError('Wrong email or password.');
      ui.password.select();
    } else {
      loginError(api.describeError(err));
    }
  } finally {
    ui.submit.textContent = 'Sign in';
    if (!locked) ui.submit.disabled = false;
  }
});

/** Signs out here, with a reason shown on the sign-in screen. */
async function signOut(/** @type {string} */ flash = '') {
  socket.stop();
  await api.logout();
  if (flash) sessionStorage.setItem(FLASH_KEY, flash);
  history.replaceState(null, '', location.pathname);
  location.reload();
}

api.onSignedOut((reason) => {
  socket.stop();
  if (!started) return;
  sessionStorage.setItem(FLASH_KEY, reason === 'signed_out_elsewhere' ? 'You signed out in another tab.' : 'Your session has ended. Sign in again.');
  history.replaceState(null, '', location.pathname);
  location.reload();
});

on('signout', (msg) => { signOut(msg); });

// Signed in from another tab while this one shows the sign-in screen.
api.onSession((s) => {
  if (!started && s.user && !ui.login.hidden) start(s.user).catch(() => {});
});

// ---------------------------------------------------------------- start

/** Loads sites and users (the directory the views need). */
async function loadDirectory() {
  const [sites, users] = await Promise.all([
    api.get('/api/v1/sites'),
    api.get('/api/v1/users').catch(() => ({ users: state.me ? [state.me] : [] })),
  ]);
  state.sites = new Map((sites.sites || []).map((/** @type {any} */ s) => [s.id, s]));
  state.users = new Map((users.users || []).map((/** @type {any} */ u) => [u.id, u]));
  if (state.me) state.users.set(state.me.id, { ...state.me, ...(state.users.get(state.me.id) || {}) });
  inbox.refreshFilterOptions();
  await loadTeams().catch(() => {});
}

/** @param {import('./api.js').User} user */
async function start(user) {
  if (started) return;
  started = true;
  state.me = user;
  initUnread(user.id);
  api.resume();
  ui.boot.hidden = true;
  ui.login.hidden = true;
  ui.app.hidden = false;
  byId('me-name').textContent = user.name || user.email;
  byId('nav-settings').hidden = !isAdmin();
  byId('nav-team').querySelector('span').textContent = isAdmin() ? 'Team' : 'Account';
  syncNotifyButton();
  syncSoundButton();
  updateTitle();
  try {
    await loadDirectory();
  } catch (err) {
    toast('Could not load sites: ' + api.describeError(err), 'error');
  }
  route();
  // Mail stays queued until HOLLER_SMTP_URL is set: say so, don't let staff believe customers were told.
  api.get('/api/v1/mail/status').then((r) => { byId('mail-state').hidden = r.mail.configured; }).catch(() => {});
  let cursor = '';
  try {
    cursor = await inbox.reloadInbox();
  } catch {
    // the list shows the error; the socket still goes live
  }
  socket.start(cursor);
}

async function boot() {
  const s = api.currentSession();
  if (!s) {
    showLogin();
    return;
  }
  try {
    const me = await api.get('/api/v1/me');
    await start(me.user);
  } catch (err) {
    if (err instanceof api.ApiError && err.status === 401) {
      showLogin('Your session has ended. Sign in again.');
    } else {
      ui.boot.replaceChildren(
        h('p', null, 'Could not reach the Holler server: ' + api.describeError(err)),
        h('button', { type: 'button', class: 'btn primary', onclick: () => location.reload() }, 'Try again'));
    }
  }
}

// ---------------------------------------------------------------- routing

/**
 * @param {'list' | 'conv' | 'page'} pane
 */
function showPane(pane) {
  ui.app.dataset.pane = pane;
  closeDrawer();
}

function route() {
  if (!started) return;
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  let view = parts[0] || 'inbox';
  if (view === 'settings' && !isAdmin()) view = 'inbox';
  if (!['inbox', 'settings', 'team', 'canned'].includes(view)) view = 'inbox';
  state.view = view;
  ui.app.dataset.view = view;
  for (const [id, v] of [['nav-inbox', 'inbox'], ['nav-settings', 'settings'], ['nav-team', 'team'], ['nav-canned', 'canned']]) {
    const a = byId(id);
    if (v === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const inboxView = view === 'inbox';
  ui.listPane.hidden = !inboxView;
  ui.convPane.hidden = !inboxView;
  ui.pagePane.hidden = inboxView;
  if (inboxView) {
    const id = parts[1] || '';
    if (id) {
      conversation.openConversation(id);
      inbox.syncSelection();
      inbox.scrollToItem(id);
      inbox.touch(id);
      showPane('conv');
    } else {
      if (state.openId) conversation.closeConversation();
      inbox.pruneList();
      showPane('list');
    }
    document.title = titleText();
  } else {
    if (state.openId) conversation.closeConversation();
    if (view === 'settings') renderSettings(parts[1] || '');
    else if (view === 'canned') renderCannedAdmin();
    else renderTeam();
    showPane('page');
  }
}

window.addEventListener('hashchange', () => {
  const prev = state.openId;
  route();
  if (prev && prev !== state.openId) inbox.pruneList();
});

/**
 * Opens a conversation without piling up history entries (j/k).
 * @param {string} id
 */
function openQuietly(id) {
  if (!id || id === state.openId) return;
  const prev = state.openId;
  history.replaceState(null, '', '#/inbox/' + encodeURIComponent(id));
  route();
  if (prev) inbox.pruneList();
}

byId('conv-back').addEventListener('click', () => { location.hash = '#/inbox'; });

// Phone: the nav pane slides over as a drawer.
function openDrawer() {
  ui.app.classList.add('drawer-open');
  ui.scrim.hidden = false;
  byId('nav-close').focus();
}
function closeDrawer() {
  ui.app.classList.remove('drawer-open');
  ui.scrim.hidden = true;
}
for (const b of document.querySelectorAll('.nav-open')) b.addEventListener('click', openDrawer);
byId('nav-close').addEventListener('click', closeDrawer);
ui.scrim.addEventListener('click', closeDrawer);
for (const s of ['filter-status', 'filter-kind', 'filter-assignee', 'filter-site', 'filter-sort']) byId(s).addEventListener('change', () => {
  if (state.view !== 'inbox') location.hash = '#/inbox';
});

// ---------------------------------------------------------------- live events

/** @param {Frame} f */
function handleFrame(f) {
  const d = f.data || {};
  switch (f.type) {
    case 'conversation.created': {
      if (!d.conversation) return;
      const c = putConv(d.conversation);
      /** @type {Message | undefined} */
      const m = d.message;
      const fresh = m ? firstSight(m.id) : true;
      if (m && fresh) countMessage(m, true);
      inbox.upsertConv(c);
      if (m) conversation.onMessage(m);
      if (fresh) alert(c, m, true);
      break;
    }
    case 'message.created': {
      /** @type {Message} */
      const m = d.message;
      if (!m || !firstSight(m.id)) return;
      const known0 = state.convs.get(m.conversation_id);
      if (known0 && known(m.conversation_id)) countMessage(m, false, ms(known0.last_message_at));
      if (known0) {
        let c = known0;
        if (!m.internal && ms(m.created_at) >= ms(c.last_message_at)) {
          c = { ...c, last_message_at: m.created_at, preview: previewOf(m.body) };
          state.convs.set(c.id, c);
        }
        inbox.upsertConv(c);
        inbox.ensureCount(c);
        if (m.author_kind === 'visitor') inbox.clearTyping(c.id);
        conversation.onMessage(m);
        if (m.author_kind === 'visitor' && !m.internal) alert(c, m, false);
      } else {
        // A conversation we have not loaded: fetch it, then list and count.
        api.get('/api/v1/conversations/' + encodeURIComponent(m.conversation_id)).then((t) => {
          const c = putConv(t.conversation);
          inbox.upsertConv(c);
          inbox.ensureCount(c);
          if (m.author_kind === 'visitor' && !m.internal) alert(c, m, false);
        }).catch(() => {});
      }
      break;
    }
    case 'conversation.updated': {
      if (!d.conversation) return;
      const c = putConv(d.conversation);
      inbox.upsertConv(c);
      if (c.id === state.openId) conversation.refreshConversation();
      break;
    }
    case 'canned_reply.created':
    case 'canned_reply.updated':
    case 'canned_reply.deleted':
      cannedChanged();
      break;
    case 'sla.warning':
    case 'sla.escalation':
      slaNotice(f);
      break;
    case 'typing': {
      if (d.from_staff) return;
      inbox.setTyping(f.conversation_id);
      conversation.onTyping(f.conversation_id);
      break;
    }
    default:
      onTeamsFrame(f);
      break;
  }
}

/** @param {string} body */
function previewOf(body) {
  const text = body.replace(/\s+/g, ' ').trim();
  return text.length > 140 ? text.slice(0, 139) + '…' : text;
}

/**
 * Sound and desktop notification for a visitor's new conversation or
 * message, unless you are looking right at it.
 * @param {Conversation} c
 * @param {Message | undefined} m
 * @param {boolean} isNew
 */
function alert(c, m, isNew) {
  const focused = document.visibilityState === 'visible' && document.hasFocus();
  if (focused && state.view === 'inbox' && state.openId === c.id) return;
  beep();
  if (focused) return;
  const who = customerName(c);
  const title = isNew ? 'New ' + c.kind + ' from ' + who : who + ' wrote';
  desktopNotify(title, (m && m.body) || c.preview || '', c.id, () => {
    location.hash = '#/inbox/' + encodeURIComponent(c.id);
  });
}

on('conv', (/** @type {Conversation} */ c) => {
  inbox.upsertConv(c);
});
on('sites', () => {
  inbox.refreshFilterOptions();
  inbox.render();
});
on('users', () => {
  inbox.refreshFilterOptions();
  conversation.refreshConversation();
});
on('teams', () => {
  inbox.touchAll();
  conversation.refreshConversation();
  if (state.view === 'team') renderTeam();
});
on('routing', routingChanged);
on('me', () => {
  if (state.me) byId('me-name').textContent = state.me.name || state.me.email;
});

// ---------------------------------------------------------------- status bar

/**
 * @param {import('./socket.js').SocketState} s
 * @param {string} detail
 */
function showConnState(s, detail) {
  ui.conn.dataset.state = s;
  ui.connDot.dataset.state = s;
  let text = 'connecting…';
  if (s === 'open') text = 'connected';
  else if (s === 'connecting') text = detail === 'reconnecting' ? 'reconnecting…' : 'connecting…';
  else text = detail === 'offline' ? 'offline — waiting for the network' : 'not live';
  ui.conn.textContent = text;
  ui.connDot.title = text;
  ui.app.classList.toggle('is-live', s === 'open');
}

function titleText() {
  const n = totalUnread();
  return (n > 0 ? '(' + n + ') ' : '') + 'Holler';
}

function updateTitle() {
  document.title = titleText();
  const n = totalUnread();
  ui.navUnread.textContent = String(n);
  ui.navUnread.hidden = n === 0;
}

onUnreadChange(() => {
  updateTitle();
  inbox.touchAll();
});

function syncNotifyButton() {
  const p = notificationPermission();
  ui.notifyBtn.hidden = p === 'unsupported';
  ui.notifyBtn.disabled = p !== 'default';
  ui.notifyBtn.textContent = p === 'granted' ? 'Notifications on' : p === 'denied' ? 'Notifications blocked' : 'Enable notifications';
  ui.notifyBtn.title = p === 'denied' ? 'Allow notifications for this site in your browser settings.' : '';
}

ui.notifyBtn.addEventListener('click', async () => {
  const p = await requestNotifications();
  syncNotifyButton();
  if (p === 'granted') toast('Desktop notifications are on.');
});

function syncSoundButton() {
  const on = soundOn();
  ui.soundBtn.textContent = on ? 'Sound on' : 'Sound off';
  ui.soundBtn.setAttribute('aria-pressed', String(on));
}

ui.soundBtn.addEventListener('click', () => {
  setSound(!soundOn());
  syncSoundButton();
});

byId('sign-out').addEventListener('click', () => { signOut(); });

// ---------------------------------------------------------------- keyboard

function showHelp() {
  if (!ui.shortcuts.open) ui.shortcuts.showModal();
}
byId('shortcuts-open').addEventListener('click', showHelp);
byId('shortcuts-close').addEventListener('click', () => ui.shortcuts.close());

document.addEventListener('keydown', (e) => {
  if (!started || e.defaultPrevented || e.isComposing) return;
  if (e.key === 'Escape' && ui.app.classList.contains('drawer-open')) {
    closeDrawer();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (isTyping(e.target)) return;
  if (ui.shortcuts.open) {
    if (e.key === '?') {
      e.preventDefault();
      ui.shortcuts.close();
    }
    return;
  }
  switch (e.key) {
    case 'j':
    case 'k': {
      if (state.view !== 'inbox') return;
      e.preventDefault();
      const id = inbox.neighbour(e.key === 'j' ? 1 : -1);
      openQuietly(id);
      break;
    }
    case 'r':
      if (state.view !== 'inbox' || !state.openId) return;
      e.preventDefault();
      conversation.focusReply();
      break;
    case 'e':
      if (state.view !== 'inbox' || !state.openId) return;
      e.preventDefault();
      conversation.resolveOpen();
      break;
    case '/':
      e.preventDefault();
      if (state.view !== 'inbox') location.hash = '#/inbox';
      closeDrawer();
      byId('search').focus();
      byId('search').select();
      break;
    case '?':
      e.preventDefault();
      showHelp();
      break;
    default:
      if (teamKey(e)) e.preventDefault();
      break;
  }
});

// ---------------------------------------------------------------- go

initTeamFilter();
inbox.initInbox();
conversation.initConversation({
  sendTyping: (id) => { socket.send({ type: 'typing', conversation_id: id }); },
});
window.setInterval(refreshTimes, 30000);
boot();
