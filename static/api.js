// The staff API client: tokens in localStorage, proactive refresh shared
// safely between tabs, one retry after a refresh on a 401.

import { store } from './dom.js';

/**
 * @typedef {{id: string, email: string, name: string, role: 'admin'|'agent', site_ids: string[], answer_site_ids: string[], disabled?: boolean, created_at?: string, notifications?: {new_conversations: string, digest_minutes: number, assigned_replies: boolean}}} User
 * @typedef {{id: string, key: string, name: string, allowed_origins: string[], color: string, position: 'left'|'right', greeting: string, button_label: string, kinds: string[], locale: string, reply_email_delay_seconds?: number, time_zone: string, hours: {day: string, open: string, close: string}[], holidays: string[]}} Site
 * @typedef {{id: string, site_id: string, visitor_id: string, ref: string, kind: string, status: 'open'|'pending'|'resolved', assignee_id: string|null, tags: string[]|null, page_url: string, user_agent: string, email: string, name: string, preview: string, rating_score: number|null, rating_comment: string, staff_replied: boolean, created_at: string, updated_at: string, last_message_at: string}} Conversation
 * @typedef {{id: string, conversation_id: string, site_id?: string, author_kind: 'visitor'|'staff'|'system', author_id: string, author_name: string, body: string, internal: boolean, via?: 'email', created_at: string}} Message
 * @typedef {{access_token: string, refresh_token: string, expires_at: number, user: User}} Session
 */

const KEY = 'holler.session';

/** An error answer of the API, or a network failure (status 0). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {Record<string, string>} [fields]
   * @param {number} [retryAfter] seconds, from Retry-After
   */
  constructor(status, code, message, fields = {}, retryAfter = 0) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
    this.retryAfter = retryAfter;
  }
}

/** @type {Session | null} */
let session = store.get(KEY, null);
/** @type {Promise<Session> | null} */
let refreshing = null;
/** @type {number | undefined} */
let refreshTimer;
/** @type {Set<(reason: string) => void>} */
const signedOutListeners = new Set();
/** @type {Set<(s: Session) => void>} */
const sessionListeners = new Set();

/** @param {Session | null} s */
function save(s) {
  session = s;
  if (s) store.set(KEY, s);
  else store.remove(KEY);
  schedule();
}

/** Plans the next proactive refresh, a minute before the token expires. */
function schedule() {
  clearTimeout(refreshTimer);
  if (!session) return;
  const lifetime = session.expires_at - Date.now();
  const wait = Math.max(5000, Math.min(lifetime - 60000, lifetime * 0.8));
  refreshTimer = window.setTimeout(() => {
    refresh().catch(() => { /* the next request retries; a dead session signs out */ });
  }, wait);
}

/** @param {string} reason */
function signedOut(reason) {
  const had = session !== null;
  save(null);
  if (had) for (const fn of signedOutListeners) fn(reason);
}

// Another tab refreshed, signed in or signed out: follow it.
window.addEventListener('storage', (e) => {
  if (e.key !== KEY) return;
  const next = store.get(KEY, null);
  if (!next) {
    if (session) signedOut('signed_out_elsewhere');
    return;
  }
  session = next;
  schedule();
  for (const fn of sessionListeners) fn(next);
});

/**
 * @param {Response} res
 * @returns {Promise<ApiError>}
 */
async function errorFrom(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  const e = body && body.error ? body.error : {};
  const retry = parseInt(res.headers.get('Retry-After') || '0', 10) || 0;
  return new ApiError(res.status, e.code || 'http_' + res.status, e.message || res.statusText || 'Request failed', e.fields || {}, retry);
}

/**
 * @param {string} path
 * @param {RequestInit} init
 */
async function send(path, init) {
  try {
    return await fetch(path, { ...init, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection.');
  }
}

/** @param {any} data @returns {Session} */
function toSession(data) {
  return {
    access_token: data.access_token,
    refresh_token: data.refresh_token,
    expires_at: Date.now() + (Number(data.expires_in) || 900) * 1000,
    user: data.user,
  };
}

/**
 * Runs fn while holding a lock shared by every tab of this origin, so two
 * tabs never spend the same refresh token (reuse revokes the whole family).
 * @template T
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
async function withRefreshLock(fn) {
  const locks = /** @type {any} */ (navigator).locks;
  if (locks && typeof locks.request === 'function') {
    return locks.request('holler.refresh', fn);
  }
  // Fallback: a short lease in localStorage.
  const lease = 'holler.refresh.lease';
  for (let i = 0; i < 50; i++) {
    const held = store.get(lease, 0);
    if (!held || held < Date.now()) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  store.set(lease, Date.now() + 5000);
  try {
    return await fn();
  } finally {
    store.remove(lease);
  }
}

/**
 * Trades the refresh token for a new pair. Concurrent callers share one
 * request; another tab's fresher session is adopted instead of refreshing.
 * @returns {Promise<Session>}
 */
export function refresh() {
  if (refreshing) return refreshing;
  const seen = session ? session.refresh_token : '';
  refreshing = withRefreshLock(async () => {
    const current = /** @type {Session | null} */ (store.get(KEY, null));
    if (!current) {
      signedOut('expired');
      throw new ApiError(401, 'unauthorized', 'Your session has ended. Sign in again.');
    }
    if (current.refresh_token !== seen && current.expires_at - Date.now() > 30000) {
      session = current; // another tab already refreshed
      schedule();
      return current;
    }
    const res = await send('/api/v1/auth/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: current.refresh_token }),
    });
    if (!res.ok) {
      const err = await errorFrom(res);
      if (res.status === 401 || res.status === 403) signedOut('expired');
      throw err;
    }
    const next = toSession(await res.json());
    if (!next.user && current.user) next.user = current.user;
    save(next);
    for (const fn of sessionListeners) fn(next);
    return next;
  }).finally(() => { refreshing = null; });
  return refreshing;
}

/**
 * An access token valid for at least another 30 seconds.
 * @returns {Promise<string>}
 */
export async function freshToken() {
  if (!session) throw new ApiError(401, 'unauthorized', 'Not signed in.');
  if (session.expires_at - Date.now() < 30000) await refresh();
  if (!session) throw new ApiError(401, 'unauthorized', 'Not signed in.');
  return session.access_token;
}

/**
 * Calls the staff API. JSON in, JSON out; throws ApiError.
 * @param {string} method
 * @param {string} path
 * @param {any} [body]
 * @returns {Promise<any>}
 */
export async function request(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    const token = await freshToken();
    /** @type {Record<string, string>} */
    const headers = { Authorization: 'Bearer ' + token, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await send(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 401 && attempt === 0) {
      // The token may have died early (rights changed, clock skew): one
      // refresh, one retry.
      await refresh();
      continue;
    }
    if (!res.ok) {
      const err = await errorFrom(res);
      if (res.status === 401) signedOut('expired');
      throw err;
    }
    if (res.status === 204) return null;
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  }
}

export const get = (/** @type {string} */ path) => request('GET', path);
export const post = (/** @type {string} */ path, /** @type {any} */ body) => request('POST', path, body ?? {});
export const patch = (/** @type {string} */ path, /** @type {any} */ body) => request('PATCH', path, body);

/**
 * Signs in; throws ApiError (401 wrong credentials, 429 with retryAfter).
 * @param {string} email
 * @param {string} password
 * @returns {Promise<Session>}
 */
export async function login(email, password) {
  const res = await send('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw await errorFrom(res);
  const s = toSession(await res.json());
  save(s);
  return s;
}

/** Ends the session on the server (best effort) and here. */
export async function logout() {
  const s = session;
  save(null);
  if (!s) return;
  try {
    await send('/api/v1/auth/logout', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: s.refresh_token }),
    });
  } catch {
    // the refresh token expires on its own
  }
}

/** @returns {Session | null} */
export function currentSession() {
  return session;
}

/** Starts the proactive refresh timer for a stored session. */
export function resume() {
  schedule();
}

/** @param {(reason: string) => void} fn */
export function onSignedOut(fn) {
  signedOutListeners.add(fn);
}

/** @param {(s: Session) => void} fn */
export function onSession(fn) {
  sessionListeners.add(fn);
}

/**
 * Builds a query string from the non-empty values.
 * @param {Record<string, string | number | null | undefined>} params
 */
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? '?' + s : '';
}

/**
 * Human text for an error, with field details when there are any.
 * @param {unknown} err
 */
export function describeError(err) {
  if (err instanceof ApiError) {
    if (err.status === 429) return 'Too many requests — try again in ' + (err.retryAfter || 'a few') + ' s.';
    const fields = Object.entries(err.fields || {}).map(([k, v]) => k.replace(/_/g, ' ') + ' ' + v);
    return fields.length ? err.message + ' ' + fields.join('; ') : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
