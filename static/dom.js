// Small DOM and formatting helpers. Nothing here ever parses HTML: every
// element is made with createElement and every piece of data goes in as text.

/**
 * @typedef {string | number | Node | null | undefined | false | any[]} Child
 */

/**
 * Creates an element. Attributes: `class`, `dataset` (object), `style`
 * (object of CSS properties, set through CSSOM), `on<event>` (listener),
 * DOM properties such as value/checked/disabled/hidden, anything else as an
 * attribute (null/false skip it, true sets it empty).
 * @param {string} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') {
        el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value);
      } else if (key === 'dataset') {
        for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[k] = String(v);
      } else if (key === 'style') {
        for (const [k, v] of Object.entries(value)) el.style.setProperty(k, String(v));
      } else if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2), value);
      } else if (key === 'value' || key === 'checked' || key === 'selected' || key === 'disabled' ||
        key === 'hidden' || key === 'multiple' || key === 'required' || key === 'readOnly') {
        /** @type {any} */ (el)[key] = value;
      } else {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

/**
 * Appends children (text, nodes, nested arrays) to a parent.
 * @param {Node} parent
 * @param {Child[]} children
 */
export function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/**
 * Removes every child of an element, then appends the given ones.
 * @param {Element} el
 * @param {...Child} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * @template {Element} T
 * @param {string} sel
 * @param {ParentNode} [root]
 * @returns {T}
 */
export function $(sel, root = document) {
  const el = root.querySelector(sel);
  if (!el) throw new Error('missing element ' + sel);
  return /** @type {T} */ (el);
}

/**
 * @param {string} id
 * @returns {any}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error('missing #' + id);
  return el;
}

/**
 * @param {(...args: any[]) => void} fn
 * @param {number} ms
 */
export function debounce(fn, ms) {
  /** @type {number | undefined} */
  let t;
  return (/** @type {any[]} */ ...args) => {
    clearTimeout(t);
    t = window.setTimeout(() => fn(...args), ms);
  };
}

/** @param {string | null | undefined} iso */
export function ms(iso) {
  if (!iso) return 0;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
}

const rtf = typeof Intl !== 'undefined' && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' }) : null;

/**
 * A short relative time: "now", "5 min ago", "3 hr ago", then a date.
 * @param {string} iso
 */
export function relTime(iso) {
  const t = ms(iso);
  if (!t) return '';
  const diff = (Date.now() - t) / 1000;
  if (diff < 45) return 'now';
  if (!rtf) return new Date(t).toLocaleString();
  if (diff < 3600) return rtf.format(-Math.round(diff / 60), 'minute');
  if (diff < 86400) return rtf.format(-Math.round(diff / 3600), 'hour');
  if (diff < 7 * 86400) return rtf.format(-Math.round(diff / 86400), 'day');
  const d = new Date(t);
  const sameYear = d.getFullYear() === new Date().getFullYear();
  return d.toLocaleDateString(undefined, sameYear ? { month: 'short', day: 'numeric' } : { year: 'numeric', month: 'short', day: 'numeric' });
}

/** @param {string} iso */
export function fullTime(iso) {
  const t = ms(iso);
  return t ? new Date(t).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '';
}

/** @param {string} iso */
export function clockTime(iso) {
  const t = ms(iso);
  return t ? new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }) : '';
}

/**
 * A <time> element whose text is kept relative by refreshTimes().
 * @param {string} iso
 * @param {string} [cls]
 */
export function timeEl(iso, cls) {
  return h('time', { class: cls, datetime: iso, title: fullTime(iso), dataset: { rel: '1' } }, relTime(iso));
}

/** Refreshes every relative <time> on the page. */
export function refreshTimes() {
  for (const el of document.querySelectorAll('time[data-rel]')) {
    const iso = el.getAttribute('datetime') || '';
    const text = relTime(iso);
    if (el.textContent !== text) el.textContent = text;
  }
}

/**
 * Returns the URL if it is an absolute http(s) URL, else null.
 * @param {string | null | undefined} raw
 * @returns {URL | null}
 */
export function httpUrl(raw) {
  if (!raw) return null;
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
}

/**
 * A link that opens outside the dashboard, without giving it a handle on us.
 * @param {string} href
 * @param {Child} text
 */
export function extLink(href, text) {
  return h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, text);
}

const urlRe = /\bhttps?:\/\/[^\s<>"']+/g;

/**
 * Text with its http(s) URLs made into links; everything stays text.
 * @param {string} text
 * @returns {Node[]}
 */
export function linkify(text) {
  /** @type {Node[]} */
  const out = [];
  let last = 0;
  for (const m of text.matchAll(urlRe)) {
    let url = m[0];
    // Leave trailing punctuation outside the link.
    const trail = /[.,;:!?)\]]+$/.exec(url);
    if (trail) url = url.slice(0, -trail[0].length);
    const start = m.index ?? 0;
    if (start > last) out.push(document.createTextNode(text.slice(last, start)));
    out.push(httpUrl(url) ? extLink(url, url) : document.createTextNode(url));
    last = start + url.length;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

/**
 * A light reading of a user agent: "Chrome on Android (phone)".
 * @param {string | null | undefined} ua
 * @returns {string}
 */
export function describeUA(ua) {
  if (!ua) return '';
  /** @type {[RegExp, string][]} */
  const browsers = [
    [/Edg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
    [/OPR\/(\d+)|Opera/, 'Opera'],
    [/SamsungBrowser\/(\d+)/, 'Samsung Internet'],
    [/Firefox\/(\d+)|FxiOS\/(\d+)/, 'Firefox'],
    [/CriOS\/(\d+)/, 'Chrome'],
    [/Chrome\/(\d+)/, 'Chrome'],
    [/Version\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari/, 'Safari'],
    [/Safari\//, 'Safari'],
  ];
  /** @type {[RegExp, string][]} */
  const systems = [
    [/iPhone/, 'iPhone'],
    [/iPad/, 'iPad'],
    [/Android/, 'Android'],
    [/CrOS/, 'ChromeOS'],
    [/Windows/, 'Windows'],
    [/Mac OS X|Macintosh/, 'macOS'],
    [/Linux/, 'Linux'],
  ];
  let browser = '';
  for (const [re, name] of browsers) {
    const m = re.exec(ua);
    if (m) {
      const version = m.slice(1).find(Boolean);
      browser = version ? name + ' ' + version : name;
      break;
    }
  }
  let os = '';
  for (const [re, name] of systems) {
    if (re.test(ua)) {
      os = name;
      break;
    }
  }
  if (/bot|crawl|spider|curl|python|go-http/i.test(ua) && !browser) browser = 'Bot or script';
  const mobile = /Mobi|iPhone|Android.*Mobile/.test(ua) ? 'phone' : /iPad|Tablet|Android/.test(ua) ? 'tablet' : '';
  const parts = [browser || 'Unknown browser', os && 'on ' + os, mobile && '(' + mobile + ')'].filter(Boolean);
  return parts.join(' ');
}

/**
 * Copies text to the clipboard, with a fallback for insecure origins.
 * @param {string} text
 * @returns {Promise<boolean>}
 */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the old way
  }
  const ta = h('textarea', { class: 'offscreen', readonly: true });
  /** @type {HTMLTextAreaElement} */ (ta).value = text;
  document.body.appendChild(ta);
  /** @type {HTMLTextAreaElement} */ (ta).select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

/** @type {number | undefined} */
let toastTimer;

/**
 * Shows a short message in the toast region (announced to screen readers).
 * @param {string} message
 * @param {'info' | 'error'} [kind]
 */
export function toast(message, kind = 'info') {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => { el.hidden = true; }, kind === 'error' ? 6000 : 3000);
}

/**
 * True when a keyboard event happens inside something that takes text.
 * @param {EventTarget | null} target
 */
export function isTyping(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = /** @type {HTMLInputElement} */ (target).type;
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'color', 'range'].includes(type);
  }
  return false;
}

/**
 * Reads and writes JSON in localStorage without ever throwing.
 */
export const store = {
  /**
   * @template T
   * @param {string} key
   * @param {T} fallback
   * @returns {T}
   */
  get(key, fallback) {
    try {
      const raw = localStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch {
      return fallback;
    }
  },
  /**
   * @param {string} key
   * @param {any} value
   */
  set(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // storage full or disabled: the dashboard still works for this tab
    }
  },
  /** @param {string} key */
  remove(key) {
    try {
      localStorage.removeItem(key);
    } catch {
      // ignore
    }
  },
};
