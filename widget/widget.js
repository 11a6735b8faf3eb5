// Holler loader (/widget.js), plain ES2020: draws the button only and imports
// widget-panel.js on first hover/focus/press or when idle. No cookie, no storage.
(() => {
  const w = window, d = document;
  const s = /** @type {any} */ (d.currentScript) || [...d.querySelectorAll('script[src][data-site]')].find(x => /\/widget\.js([?#]|$)/.test(x.src));
  if (!s || !s.dataset.site || customElements.get('holler-widget')) return;
  const ds = s.dataset, origin = new URL(s.src).origin;
  const api = origin + '/api/v1/widget/' + encodeURIComponent(ds.site);
  const SVG = 'http://www.w3.org/2000/svg';
  /** @param {string} p SVG path */
  const icon = p => {
    const v = d.createElementNS(SVG, 'svg'), a = d.createElementNS(SVG, 'path');
    v.setAttribute('viewBox', '0 0 24 24');
    v.setAttribute('aria-hidden', 'true');
    a.setAttribute('d', p);
    v.append(a);
    return v;
  };
  const el = (t, at = {}, ...kids) => {
    const e = d.createElement(t);
    for (const k in at) e.setAttribute(k, at[k]);
    e.append(...kids);
    return e;
  };
  // A constructable sheet: allowed by a strict CSP, drawn at once.
  const SHEET = ':host{all:initial}' +
    '.btn{position:fixed;z-index:2147483000;bottom:calc(20px + env(safe-area-inset-bottom));right:calc(20px + env(safe-area-inset-right));display:flex;align-items:center;gap:8px;height:52px;padding:0 20px 0 16px;border:0;border-radius:26px;background:var(--holler-color,#2563eb);color:var(--holler-fg,#fff);font:600 16px/1 system-ui,sans-serif;box-shadow:0 6px 20px #0003;cursor:pointer;animation:hin .3s}' +
    ':host([data-position=left]) .btn{right:auto;left:calc(20px + env(safe-area-inset-left))}' +
    '.btn:focus-visible{outline:2px solid transparent;box-shadow:0 0 0 3px #fff,0 0 0 6px #111}' +
    'svg{width:22px;height:22px;flex:none;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}' +
    '@keyframes hin{from{opacity:0;transform:translateY(12px)}}@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}';

  customElements.define('holler-widget', class extends HTMLElement {
    constructor() {
      super();
      const sh = new CSSStyleSheet();
      sh.replaceSync(SHEET);
      this.attachShadow({ mode: 'open' }).adoptedStyleSheets = [sh];
    }
  });
  const host = /** @type {HTMLElement} */ (d.createElement('holler-widget'));
  const root = /** @type {ShadowRoot} */ (host.shadowRoot);
  const lbl = el('span', { class: 'lbl' });
  const btn = el('button', { type: 'button', class: 'btn', part: 'button', 'aria-haspopup': 'dialog', 'aria-expanded': 'false', 'aria-controls': 'holler-panel' },
    icon('M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z'), lbl);
  root.append(btn);

  /** @type {Record<string, Function[]>} */
  const on = {};
  const ident = {};
  /** @type {any} */
  let panel, loading, want = ds.open != null && ds.open != 'false', lang = 'en';

  // null: unknown site key or refused origin
  const cfg = fetch(api + '/config', { credentials: 'omit' })
    .then(r => r.ok ? r.json() : r.status == 404 || r.status == 403 ? null : { site: {} }, () => ({ site: {} }));
  const loaded = new Promise(r => d.readyState == 'complete' ? r(0) : w.addEventListener('load', r));

  /** @param {any} c */
  const apply = c => {
    const st = c.site || {}, loc = String(st.locale || ds.locale || navigator.language || 'en').toLowerCase(), col = ds.color || st.color;
    lang = loc.slice(0, 2);
    host.lang = loc;
    host.dir = /^(ar|he|fa|ur)/.test(lang) ? 'rtl' : 'ltr';
    // The server's default label "Help" gives way to the locale's word.
    lbl.textContent = ds.label || st.button_label != 'Help' && st.button_label || { de: 'Hilfe', fr: 'Aide', es: 'Ayuda' }[lang] || 'Help';
    host.dataset.position = /left/.test(ds.position || st.position) ? 'left' : 'right';
    // Hex colours only; text is white or near-black, whichever contrasts more (AA).
    const m = /^#([\da-f]{6})$/i.exec(String(col).replace(/^#(.)(.)(.)$/, '#$1$1$2$2$3$3'));
    if (m) {
      const L = [.2126, .7152, .0722].reduce((a, k, i) => {
        const v = parseInt(m[1].substr(i * 2, 2), 16) / 255;
        return a + k * (v <= .04045 ? v / 12.92 : ((v + .055) / 1.055) ** 2.4);
      }, 0);
      host.style.setProperty('--holler-color', m[0]);
      host.style.setProperty('--holler-fg', (L + .05) / .0556 > 1.05 / (L + .05) ? '#111' : '#fff');
    }
  };
  apply({});

  /** @param {string} ev @param {any} [x] */
  const emit = (ev, x) => (on[ev] || []).forEach(f => setTimeout(f, 0, x));

  // Inserted after the load event, with the config (or after 3 s).
  const shown = Promise.all([loaded, Promise.race([cfg, new Promise(r => setTimeout(r, 3000, 0))])]).then(([, c]) => {
    if (c === null) return console.warn('holler: unknown site');
    c ? apply(c) : cfg.then(c => c ? apply(c) : host.remove());
    d.body.append(host);
    w.requestIdleCallback ? requestIdleCallback(load, { timeout: 3000 }) : setTimeout(load, 1500);
    want && H.open();
  });

  /** @returns {Promise<any>} imports the panel and widget.css once */
  const load = () => loading || (loading = Promise.all([
    import(origin + '/widget-panel.js'),
    cfg,
    shown.then(() => new Promise(r => root.prepend(Object.assign(el('link', { rel: 'stylesheet', href: origin + '/widget.css' }), { onload: r, onerror: r })))),
  ]).then(([m, c]) => c && host.isConnected && (apply(c), m.mount({
    key: ds.site, api, root, host, btn, cfg: c, lang, ident, icon, emit,
  }))).then(p => (panel = p), e => console.warn('holler:', e, loading = 0)));

  btn.onclick = () => {
    want = !(panel && panel.isOpen());
    panel ? want ? panel.open() : panel.close() : H.open();
  };
  for (const ev of ['pointerenter', 'focus', 'pointerdown']) btn.addEventListener(ev, () => load(), { once: true });

  const H = {
    open() { want = true; load().then(() => panel && want && panel.open()); },
    close() { want = false; panel && panel.close(); },
    /** @param {{email?:string,name?:string}} o */
    identify(o) { Object.assign(ident, o); panel && panel.identify(ident); },
    /** @param {'message'|'open'|'close'} ev @param {Function} fn */
    on(ev, fn) { (on[ev] = on[ev] || []).push(fn); },
  };
  w.Holler = H;
})();
