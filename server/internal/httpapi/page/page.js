// The customer's own conversation page (GET /c/{token}, the link in their
// mails): the widget's panel drawn as the whole page, opened on the one
// conversation the link's token grants. The token is the link's last path
// segment and travels only as the panel's Authorization header and socket
// subprotocol, to this origin.
import { mount } from '/widget-panel.js';

const d = document, ds = d.body.dataset, cfg = JSON.parse(ds.cfg || '{}'), site = cfg.site || {};
const lang = String(site.locale || navigator.language || 'en').toLowerCase();
// The widget's element name (undefined here: the loader is not on this page).
const host = d.createElement('holler-widget');
const root = host.attachShadow({ mode: 'open' });
host.lang = lang;
host.dir = /^(ar|he|fa|ur)/.test(lang) ? 'rtl' : 'ltr';
host.style.setProperty('--holler-color', ds.color);
host.style.setProperty('--holler-fg', ds.fg);

/** @param {string} p SVG path data */
const icon = p => {
  const ns = 'http://www.w3.org/2000/svg', v = d.createElementNS(ns, 'svg'), a = d.createElementNS(ns, 'path');
  v.setAttribute('viewBox', '0 0 24 24');
  v.setAttribute('aria-hidden', 'true');
  a.setAttribute('d', p);
  v.append(a);
  return v;
};
// The panel expects the loader's button; here it is never shown.
const btn = d.createElement('button'), lbl = d.createElement('span');
lbl.className = 'lbl';
lbl.textContent = site.name || '';
btn.append(lbl);

/** @param {string} href */
const sheet = href => new Promise(r => {
  const l = d.createElement('link');
  l.rel = 'stylesheet';
  l.href = href;
  l.onload = l.onerror = r;
  root.append(l);
});
// A shadow root loads its stylesheets only once in the document. The panel
// is the page's main content (a landmark for screen readers).
const main = d.createElement('main');
main.append(host);
d.body.append(main);
Promise.all([sheet('/widget.css'), sheet('/page/panel.css')]).then(() => {
  mount({
    key: ds.site, api: location.origin + '/api/v1/widget/' + encodeURIComponent(ds.site || ''),
    root, host, btn, cfg, lang: lang.slice(0, 2), ident: {}, icon, emit() {},
    conv: ds.conversation, token: location.pathname.split('/').pop(),
  });
});
