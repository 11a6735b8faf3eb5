// Holler panel (ES2020 module), imported by widget.js on demand.
// Storage: holler:{site}:token|cursor|draft|draft:{conv}|outbox|active
/** @type {Record<string, Record<string, any>>} */
export const strings = {
  en: {
    on: 'Online now',
    in: 'we usually reply in {n}',
    off: 'We’re away right now',
    bk: 'We’re back {d}',
    em: 'we’ll email you',
    here: 'Leave a message; we’ll answer here when we’re back.',
    ef: 'Your email, so we can reply (optional)',
    close: 'Close',
    back: 'Back',
    what: 'What can we help with?',
    k: { question: 'Ask a question', complaint: 'Report a problem / complaint', feedback: 'Give feedback', praise: 'Say thanks' },
    ks: { question: 'Question', complaint: 'Complaint', feedback: 'Feedback', praise: 'Praise' },
    message: 'Your message',
    name: 'Name (optional)',
    email: 'Email (optional)',
    send: 'Send',
    sending: 'Sending…',
    q: 'Queued',
    queued: 'Offline – we’ll send it when you’re back',
    server: 'Queued – we’ll retry in {s} s',
    rate: 'Too many messages – we’ll retry in {s} s',
    err: 'Not sent. Your text is kept – please try again.',
    need: 'Please write a message.',
    bad: 'Please enter a valid email.',
    long: 'Too long (10,000 characters at most).',
    ref: 'Your reference:',
    received: 'Received',
    answered: 'Answered',
    resolved: 'Resolved',
    you: 'You',
    reply: 'Write a reply…',
    rq: 'How did we do?',
    star: '{n} of 5 stars',
    rc: 'Anything to add? (optional)',
    rs: 'Send rating',
    rated: 'Thanks for your rating!',
    iv: 'Glad we could help! Would you review us publicly?',
    rv: 'Review on {h}',
    so: 'Sorry! What is still wrong?',
    yours: 'Your conversations',
    unread: 'New replies: {n}',
  },
  de: {
    on: 'Jetzt online',
    in: 'wir antworten meist in {n}',
    off: 'Gerade ist niemand da',
    bk: 'Wir sind {d} zurück',
    em: 'wir antworten per E-Mail',
    here: 'Schreiben Sie uns; wir antworten hier, sobald wir zurück sind.',
    ef: 'E-Mail, damit wir antworten können (optional)',
    close: 'Schließen',
    back: 'Zurück',
    what: 'Wobei können wir helfen?',
    k: { question: 'Eine Frage stellen', complaint: 'Problem melden / Beschwerde', feedback: 'Feedback geben', praise: 'Danke sagen' },
    ks: { question: 'Frage', complaint: 'Beschwerde', feedback: 'Feedback', praise: 'Lob' },
    message: 'Ihre Nachricht',
    name: 'Name (optional)',
    email: 'E-Mail (optional)',
    send: 'Senden',
    sending: 'Wird gesendet…',
    q: 'Wartet',
    queued: 'Offline – wird gesendet, sobald Sie zurück sind',
    server: 'Wartet – neuer Versuch in {s} s',
    rate: 'Zu viele Nachrichten – neuer Versuch in {s} s',
    err: 'Nicht gesendet. Ihr Text bleibt erhalten – bitte erneut versuchen.',
    need: 'Bitte schreiben Sie eine Nachricht.',
    bad: 'Bitte eine gültige E-Mail eingeben.',
    long: 'Zu lang (höchstens 10.000 Zeichen).',
    ref: 'Ihre Referenz:',
    received: 'Eingegangen',
    answered: 'Beantwortet',
    resolved: 'Erledigt',
    you: 'Sie',
    reply: 'Antwort schreiben…',
    rq: 'Wie war unsere Hilfe?',
    star: '{n} von 5 Sternen',
    rc: 'Noch etwas? (optional)',
    rs: 'Bewertung senden',
    rated: 'Danke für Ihre Bewertung!',
    iv: 'Schön, dass wir helfen konnten! Bewerten Sie uns öffentlich?',
    rv: 'Bewerten auf {h}',
    so: 'Das tut uns leid. Was ist noch falsch?',
    yours: 'Ihre Anfragen',
    unread: 'Neue Antworten: {n}',
  },
  fr: {
    on: 'En ligne',
    in: 'réponse en général sous {n}',
    off: 'Personne n’est là pour le moment',
    bk: 'De retour {d}',
    em: 'réponse par e-mail',
    here: 'Laissez un message ; nous répondrons ici à notre retour.',
    ef: 'E-mail, pour vous répondre (facultatif)',
    close: 'Fermer',
    back: 'Retour',
    what: 'Comment pouvons-nous aider ?',
    k: { question: 'Poser une question', complaint: 'Signaler un problème / réclamation', feedback: 'Donner un avis', praise: 'Dire merci' },
    ks: { question: 'Question', complaint: 'Réclamation', feedback: 'Avis', praise: 'Remerciement' },
    message: 'Votre message',
    name: 'Nom (facultatif)',
    email: 'E-mail (facultatif)',
    send: 'Envoyer',
    sending: 'Envoi…',
    q: 'En attente',
    queued: 'Hors ligne – envoi dès votre retour',
    server: 'En attente – nouvel essai dans {s} s',
    rate: 'Trop de messages – nouvel essai dans {s} s',
    err: 'Non envoyé. Votre texte est conservé – réessayez.',
    need: 'Veuillez écrire un message.',
    bad: 'Veuillez saisir un e-mail valide.',
    long: 'Trop long (10 000 caractères au maximum).',
    ref: 'Votre référence :',
    received: 'Reçu',
    answered: 'Répondu',
    resolved: 'Résolu',
    you: 'Vous',
    reply: 'Écrire une réponse…',
    rq: 'Notre aide vous a-t-elle plu ?',
    star: '{n} étoiles sur 5',
    rc: 'Autre chose ? (facultatif)',
    rs: 'Envoyer la note',
    rated: 'Merci pour votre note !',
    iv: 'Ravis d’avoir aidé ! Un avis public de votre part ?',
    rv: 'Donner un avis sur {h}',
    so: 'Désolés ! Qu’est-ce qui ne va pas encore ?',
    yours: 'Vos conversations',
    unread: 'Nouvelles réponses : {n}',
  },
  es: {
    on: 'En línea',
    in: 'solemos responder en {n}',
    off: 'Ahora no hay nadie',
    bk: 'Volvemos el {d}',
    em: 'te responderemos por correo',
    here: 'Deja un mensaje; responderemos aquí a la vuelta.',
    ef: 'Correo, para responderte (opcional)',
    close: 'Cerrar',
    back: 'Volver',
    what: '¿En qué podemos ayudarte?',
    k: { question: 'Hacer una pregunta', complaint: 'Informar de un problema / queja', feedback: 'Dar tu opinión', praise: 'Dar las gracias' },
    ks: { question: 'Pregunta', complaint: 'Queja', feedback: 'Opinión', praise: 'Elogio' },
    message: 'Tu mensaje',
    name: 'Nombre (opcional)',
    email: 'Correo (opcional)',
    send: 'Enviar',
    sending: 'Enviando…',
    q: 'En cola',
    queued: 'Sin conexión – se enviará cuando vuelvas',
    server: 'En cola – reintento en {s} s',
    rate: 'Demasiados mensajes – reintento en {s} s',
    err: 'No enviado. Tu texto se conserva: inténtalo de nuevo.',
    need: 'Escribe un mensaje.',
    bad: 'Introduce un correo válido.',
    long: 'Demasiado largo (máximo 10.000 caracteres).',
    ref: 'Tu referencia:',
    received: 'Recibido',
    answered: 'Respondido',
    resolved: 'Resuelto',
    you: 'Tú',
    reply: 'Escribe una respuesta…',
    rq: '¿Qué tal te ayudamos?',
    star: '{n} de 5 estrellas',
    rc: '¿Algo más? (opcional)',
    rs: 'Enviar valoración',
    rated: '¡Gracias por tu valoración!',
    iv: '¡Nos alegra haber ayudado! ¿Nos dejas una reseña pública?',
    rv: 'Opinar en {h}',
    so: '¡Lo sentimos! ¿Qué sigue fallando?',
    yours: 'Tus conversaciones',
    unread: 'Respuestas nuevas: {n}',
  },
};

const KINDS = ['question', 'complaint', 'feedback', 'praise'], d = document, enc = encodeURIComponent, now = Date.now;
const tr = (S, k, v = {}) => String(S[k]).replace(/\{(\w)\}/g, (_, x) => v[x]);
/** Who is there or when they are back; the dashboard's preview too. @param {any} av @param {string} lang @param {any} S */
export const avLine = (av, lang, S, n = av.typical_reply_minutes, ret = av.next_open && new Date(av.next_open)) => av.online
  ? tr(S, 'on') + (n ? ' · ' + tr(S, 'in', { n: new Intl.NumberFormat(lang, { style: 'unit', unit: n < 60 ? 'minute' : 'hour' }).format(n < 60 ? n : n / 60) }) : '')
  : (ret ? tr(S, 'bk', { d: new Intl.DateTimeFormat(lang, { weekday: 'short', hour: 'numeric', minute: '2-digit', ...(ret - now() > 6 * 864e5 && { month: 'short', day: 'numeric' }) }).format(ret) }) : tr(S, 'off')) + (av.reply_by_email ? ' · ' + tr(S, 'em') : '');

/**
 * @typedef {{id:string,ref?:string,kind:string,status?:string,staff_replied?:boolean,last_message_at?:string,preview?:string,rating_score?:number,local?:boolean}} Conv
 * @typedef {{id:string,body:string,author_kind:string,author_name?:string,created_at?:string}} Msg
 * @typedef {{k:string,t:'c'|'m',c?:string,body:any,at:number,n:number,next:number,e?:string,ra?:number}} Job outbox entry, k = Idempotency-Key
 * @typedef {{ok?:boolean,s:number,d:any,ra?:number}} Res s = HTTP status, 0 = network error/timeout
 */

/** @param {any} ctx from widget.js */
export function mount(ctx) {
  const { api, root, host, btn, cfg, icon, emit, ident } = ctx, site = cfg.site || {}, S = strings[ctx.lang] || strings.en;
  const t = (k, v) => tr(S, k, v);
  // ctx.conv: page mode (/c/{token}), with its own storage
  const P = 'holler:' + (ctx.conv || ctx.key) + ':', mem = {};
  const ls = k => { try { return localStorage.getItem(P + k); } catch { return mem[k]; } };
  const sv = (k, v) => {
    if (v && typeof v != 'string') v = JSON.stringify(v);
    try { v ? localStorage.setItem(P + k, v) : localStorage.removeItem(P + k); } catch { mem[k] = v; }
  };
  const lj = k => { try { return JSON.parse(ls(k)); } catch { return null; } };
  /** @param {string} tag @param {any} [p] @param {...any} kids @returns {any} */
  const h = (tag, p = {}, ...kids) => {
    const e = d.createElement(tag);
    for (const k in p) {
      const v = p[k];
      if (v == null || v === false);
      else if (k[0] == 'o' && k[1] == 'n') e.addEventListener(k.slice(2), v);
      else if (k == 'value' || k == 'checked') e[k] = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    e.append(...kids.flat().filter(x => x != null && x !== false));
    return e;
  };
  const bt = (cls, label, fn, ...kids) => h('button', { type: 'button', class: cls, 'aria-label': label, onclick: fn }, ...kids);
  const note = (el, s) => { el.textContent = s || ''; el.hidden = !s; };
  const uuid = () => crypto.randomUUID ? crypto.randomUUID() : now() + Math.random().toString(36);
  const touch = matchMedia('(pointer:coarse)').matches;

  let token = ctx.token || ls('token'), isOpen = false, opened = false, cur = '', inflight = '', formJob = '', score = 0, typingAt = 0, pumping = false, tries = 0, fails = 0, invited, asked;
  /** @type {any} */
  let ws, typingTimer, pumpTimer;
  /** @type {Map<string,Conv>} */
  const convs = new Map();
  /** @type {Map<string,Msg[]>} */
  const msgs = new Map();
  const unread = new Set(), heard = new Set();
  const kinds = KINDS.filter(k => !(site.kinds || []).length || site.kinds.includes(k));

  const dr = lj('draft') || {};
  if ((lj('outbox') || []).some(j => j.body.message == dr.message)) dr.message = ''; // already in the outbox
  const errEl = {};
  const field = (name, el) => {
    const id = el.id = 'holler-' + name;
    el.name = name;
    el.setAttribute('aria-describedby', id + '-err');
    return h('div', { class: 'f' }, h('label', { for: id }, t(name)), el, errEl[name] = h('p', { class: 'err', id: id + '-err', hidden: true }));
  };
  const msgEl = h('textarea', { rows: 4, maxlength: 1e4, value: dr.message });
  const nameEl = h('input', { autocomplete: 'name', maxlength: 200, value: dr.name || ident.name || '' });
  const emailEl = h('input', { type: 'email', autocomplete: 'email', maxlength: 254, value: dr.email || ident.email || '' });
  const hp = h('input', { name: 'website', tabindex: -1, autocomplete: 'off' });
  const fErr = h('p', { class: 'ferr', role: 'alert', hidden: true });
  const av = cfg.availability || {}, on = av.online;
  const emailF = field('email', emailEl);
  if (!on && av.reply_by_email) emailF.className += ' em', emailF.firstChild.textContent = t('ef');
  const sendBtn = h('button', { class: 'send' }, t('send'));
  const list = h('ul', { class: 'convs' });
  const past = h('section', { class: 'past', hidden: true }, h('h3', {}, t('yours')), list);
  const form = h('form', {
    class: 'view home', novalidate: true,
    onsubmit: e => { e.preventDefault(); submitNew(); },
    oninput: e => { saveDraft(); setErr(e.target.name); },
  },
  h('div', { class: 'scroll' }, past,
    h('fieldset', { class: 'kinds', hidden: kinds.length < 2 }, h('legend', {}, t('what')),
      kinds.map(k => h('label', { class: 'kind' }, h('input', { type: 'radio', name: 'kind', value: k, checked: k == (kinds.includes(dr.kind) ? dr.kind : kinds[0]) }), h('span', {}, S.k[k])))),
    field('message', msgEl),
    h('div', { class: 'row' }, field('name', nameEl), emailF),
    h('div', { class: 'hp', 'aria-hidden': 'true' }, h('label', {}, 'Website', hp))),
  h('div', { class: 'foot' }, fErr, !on && !av.reply_by_email && h('p', { class: 'hint' }, t('here')), sendBtn));
  const vals = () => ({ kind: form.kind.value || kinds[0], message: msgEl.value, name: nameEl.value, email: emailEl.value });
  const saveDraft = () => { const v = vals(); sv('draft', (v.message || v.name || v.email) && v); };
  const setErr = (name, s) => {
    const e = errEl[name];
    e && note(e, s);
    e && form.elements[name].setAttribute('aria-invalid', !!s);
    return !!e;
  };
  const busy = on => {
    if (!on) formJob = '';
    sendBtn.disabled = on;
    sendBtn.textContent = t(on ? 'sending' : 'send');
  };

  const ref = h('strong', { class: 'ref-code' });
  const refBox = h('p', { class: 'ref' }, t('ref') + ' ', ref);
  const status = h('p', { class: 'status' });
  const thread = h('ol', { class: 'thread' });
  const typing = h('p', { class: 'typing', hidden: true, 'aria-hidden': 'true' }, '•••');
  const stars = [1, 2, 3, 4, 5].map(n => h('button', { type: 'button', class: 'star', 'data-score': n, 'aria-label': t('star', { n }), onclick: () => { score = n; paint(); } }, '★'));
  const paint = () => stars.forEach((b, i) => { b.classList.toggle('on', i < score); b.setAttribute('aria-pressed', i + 1 == score); });
  const rText = h('textarea', { id: 'holler-rc', class: 'rate-comment', rows: 2, maxlength: 2000 });
  const rDone = h('p', { class: 'rated', hidden: true }, t('rated'));
  // 4-5: review links
  const inv = h('div');
  const rate = h('section', { class: 'rate', hidden: true },
    h('h3', { id: 'holler-rq' }, t('rq')), h('div', { class: 'stars', role: 'group', 'aria-labelledby': 'holler-rq' }, stars),
    h('label', { for: 'holler-rc' }, t('rc')), rText, bt('rate-send', null, () => rateIt(), t('rs')), rDone, inv);
  const reply = h('textarea', {
    id: 'holler-reply', class: 'reply-input', rows: 1, maxlength: 1e4, placeholder: t('reply'), 'aria-label': t('reply'),
    oninput: () => {
      sv('draft:' + cur, reply.value);
      note(cErr);
      if (ws && ws.readyState == 1 && reply.value && now() - typingAt > 2e3) {
        typingAt = now();
        ws.send(JSON.stringify({ type: 'typing', conversation_id: cur }));
      }
    },
    onkeydown: e => {
      if (e.key == 'Enter' && !e.shiftKey && !e.isComposing && !touch) { e.preventDefault(); sendReply(); }
    },
  });
  const cErr = h('p', { class: 'ferr', role: 'alert', hidden: true });
  // 1-3: reopened
  const sorry = h('p', { class: 'so' }, t('so'));
  const composer = h('form', { class: 'foot reply', onsubmit: e => { e.preventDefault(); sendReply(); } },
    cErr, sorry, h('div', { class: 'rrow' }, reply, h('button', { class: 'reply-send', 'aria-label': t('send') }, icon('M22 2 11 13M22 2l-7 20-4-9-9-4z'))));
  const scroller = h('div', { class: 'scroll' }, refBox, status, thread, typing, rate);
  const chat = h('div', { class: 'view chat' }, scroller, composer);

  const back = bt('ib back', t('back'), () => home(), icon('M15 18l-6-6 6-6'));
  const greet = h('p', { class: 'greet' }, site.greeting);
  const live = h('div', { class: 'sr', 'aria-live': 'polite' });
  const panel = h('div', {
    id: 'holler-panel', class: 'panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'holler-title', hidden: true,
    onkeydown: e => { if (e.key == 'Escape') { e.stopPropagation(); close(); } },
  },
  h('header', { class: 'hd' }, back,
    h('div', { class: 'ht' }, h('h2', { id: 'holler-title' }, site.name || btn.textContent), greet,
      h('p', { class: 'avail', 'data-online': !!on + '' }, avLine(av, host.lang, S))),
    bt('ib x', t('close'), () => close(), icon('M18 6 6 18M6 6l12 12'))),
  form, chat, live);
  root.append(panel);

  // Launcher: a chevron while open, an unread badge.
  const chev = icon('M6 9l6 6 6-6'), bdg = h('span', { class: 'badge', 'aria-hidden': 'true' });
  chev.classList.add('i2');
  btn.append(chev, bdg);
  const badge = () => {
    const n = unread.size;
    bdg.textContent = n || '';
    n ? btn.setAttribute('aria-label', btn.querySelector('.lbl').textContent + ', ' + t('unread', { n })) : btn.removeAttribute('aria-label');
  };
  const say = s => {
    live.textContent = '';
    setTimeout(() => { live.textContent = s; }, 50);
  };

  /** @param {string} path @param {any} [body] POST if given @param {string} [key] Idempotency-Key @returns {Promise<Res>} */
  const req = async (path, body, key) => {
    const ac = new AbortController(), tm = setTimeout(() => ac.abort(), 15e3), hd = {};
    if (body) hd['Content-Type'] = 'application/json';
    if (key) hd['Idempotency-Key'] = key;
    if (token) hd.Authorization = 'Bearer ' + token;
    try {
      const r = await fetch(api + path, { method: body ? 'POST' : 'GET', headers: hd, body: body && JSON.stringify(body), signal: ac.signal, credentials: 'omit' });
      const ra = r.headers.get('Retry-After');
      return { ok: r.ok, s: r.status, d: await r.json().catch(() => ({})), ra: ra && (+ra || (Date.parse(ra) - now()) / 1e3) };
    } catch {
      return { s: 0, d: {} };
    } finally {
      clearTimeout(tm);
    }
  };
  const errText = (r, e = r.d.error || {}) => !r.s ? t('queued') : r.s == 429 ? t('rate', { s: Math.ceil(r.ra || 10) })
    : r.s > 499 ? t('server', { s: Math.ceil(r.ra || 5) })
    : t('err') + (e.message ? ' (' + e.message + ')' : '');
  const dropToken = () => {
    ['token', 'cursor', 'active'].map(k => sv(k));
    token = null;
    convs.clear();
    ws && ws.close();
  };

  // Outbox: sends are retried with their Idempotency-Key.
  /** @returns {Job[]} */
  const box = () => lj('outbox') || [];
  const saveBox = b => sv('outbox', b.length && b);
  const drop = k => saveBox(box().filter(j => j.k != k));
  const enqueue = (type, body, c) => {
    const k = uuid();
    saveBox([...box(), { k, t: type, c, body, at: now(), n: 0, next: 0 }]);
    setTimeout(pump);
    return k;
  };
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    clearTimeout(pumpTimer);
    let j;
    try {
      while ((j = box().find(j => j.next <= now()))) await attempt(j);
    } finally {
      pumping = false;
      const b = box();
      if (b.length) pumpTimer = setTimeout(pump, Math.max(500, Math.min(...b.map(j => j.next)) - now()));
    }
  };
  /** @param {Job} j */
  const attempt = async j => {
    if (j.c && j.n) {
      // An earlier try may have reached the server although its answer was lost.
      await fetchThread(j.c);
      if ((msgs.get(j.c) || []).some(m => m.author_kind == 'visitor' && m.body == j.body.body && Date.parse(m.created_at) > j.at - 5e3)) return drop(j.k), refresh();
    }
    inflight = j.k;
    refresh();
    const r = await req(j.c ? '/conversations/' + enc(j.c) + '/messages' : '/conversations', j.body, j.k);
    inflight = '';
    if (r.ok) {
      drop(j.k);
      sent(j, r.d);
    } else if (r.s == 401 && !j.c && token) dropToken();
    else if (!r.s || r.s == 408 || r.s == 409 || r.s == 429 || r.s > 499) {
      const n = j.n + 1, wait = r.ra > 0 ? Math.max(1, r.ra) * 1e3 : r.s == 429 ? 1e4 : Math.min(6e4, 1e3 * 2 ** n) * (0.5 + Math.random());
      saveBox(box().map(x => x.k == j.k ? { ...x, n, next: now() + wait, e: r.s == 429 ? 'rate' : r.s ? 'server' : 'queued', ra: Math.ceil(wait / 1e3) } : x));
      if (j.k == formJob) {
        // Queued: show it in its own view.
        busy(false);
        msgEl.value = '';
        saveDraft();
        openConv('local:' + j.k);
      }
      j.n || say(errText(r));
      refresh();
    } else {
      drop(j.k);
      failed(j, r);
    }
  };
  /** @param {Job} j @param {any} x the 201 body */
  const sent = (j, x) => {
    if (j.c) return addMsg(j.c, x.message), refresh();
    const c = x.conversation;
    if (x.visitor_token) sv('token', token = x.visitor_token);
    putConv(c);
    addMsg(c.id, x.message);
    if (j.k == formJob || (lj('draft') || {}).message == j.body.message) {
      msgEl.value = '';
      saveDraft();
    }
    if (j.k == formJob || cur == 'local:' + j.k) {
      busy(false);
      openConv(c.id);
    }
    say(t('ref') + ' ' + c.ref);
    connect();
    refresh();
  };
  /** Not retried: the text goes back where it was typed. @param {Job} j @param {Res} r */
  const failed = (j, r) => {
    const f = (r.d.error || {}).fields || {}, b = j.body, k = 'draft:' + j.c;
    let shown = false;
    say(errText(r));
    if (j.c) {
      sv(k, b.body + (ls(k) ? '\n' + ls(k) : ''));
      if (cur == j.c) {
        reply.value = ls(k);
        note(cErr, f.body || errText(r));
      }
      return refresh();
    }
    if (j.k == formJob) busy(false);
    msgEl.value ||= b.message;
    form.kind.value = b.kind;
    saveDraft();
    home();
    for (const n in f) shown = setErr(n, f[n]) || shown;
    note(fErr, shown ? '' : errText(r));
    isOpen && (form.querySelector('[aria-invalid=true]') || msgEl).focus();
  };

  // A late GET never undoes a live update.
  const putConv = c => {
    const o = c && convs.get(c.id);
    c && !(Date.parse(o?.updated_at) > Date.parse(c.updated_at)) && convs.set(c.id, { ...o, ...c });
  };
  /** @param {string} cid @param {Msg} [m] @param {boolean} [fresh] live from the socket */
  const addMsg = (cid, m, fresh) => {
    const a = msgs.get(cid) || [], c = convs.get(cid);
    if (!m) return;
    if (!a.some(x => x.id == m.id)) {
      msgs.set(cid, [...a, m]);
      if (c) {
        c.preview = m.body.slice(0, 140);
        c.last_message_at = m.created_at;
      }
    }
    // A fetch may bring it before its event: announce once.
    if (fresh && m.author_kind == 'staff' && !heard.has(m.id)) {
      heard.add(m.id);
      emit('message', m);
      typing.hidden = true;
      if (!isOpen || cur != cid) unread.add(cid);
      badge();
      say((m.author_name || site.name) + ': ' + m.body.slice(0, 200));
    }
  };
  /** A conversation still in the outbox. @param {string} id @returns {any} */
  const localConv = id => {
    const j = box().find(j => 'local:' + j.k == id);
    return j && { id, kind: j.body.kind, local: true, preview: j.body.message };
  };
  const stOf = c => c.local ? 'queued' : c.status == 'resolved' ? 'resolved' : c.staff_replied ? 'answered' : 'received';
  /** @param {Msg} m @param {string} [st] sending|queued @param {string} [meta] */
  const bubble = (m, st, meta) => {
    const v = m.author_kind == 'visitor';
    return h('li', { class: 'msg', 'data-author': m.author_kind, 'data-id': m.id, 'data-state': st },
      h('span', { class: v ? 'who sr' : 'who' }, v ? t('you') : m.author_name || site.name),
      h('div', { class: 'text' }, m.body),
      h('span', { class: 'meta' }, meta || new Date(m.created_at).toLocaleString(ctx.lang, { dateStyle: 'short', timeStyle: 'short' })));
  };
  // Tell the server which staff reply the customer saw here, so it is not mailed to them.
  const shown = {};
  const seen = () => {
    const m = isOpen && cur && document.visibilityState == 'visible' && (msgs.get(cur) || []).filter(m => m.author_kind == 'staff')
      .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at)).pop();
    if (m && shown[cur] != m.id) {
      shown[cur] = m.id;
      req('/conversations/' + cur + '/seen', { message_id: m.id });
    }
  };
  document.addEventListener('visibilitychange', seen);
  /** @param {boolean} [end] scroll to the newest message */
  const renderThread = end => {
    end ||= scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    thread.replaceChildren(
      ...[...(msgs.get(cur) || [])].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at)).map(m => bubble(m)),
      ...box().filter(j => cur == (j.c || 'local:' + j.k)).map(j => {
        const go = j.k == inflight || !j.n;
        return bubble({ id: j.k, author_kind: 'visitor', body: j.body.body || j.body.message }, go ? 'sending' : 'queued', t(go ? 'sending' : j.e || 'queued', { s: j.ra }));
      }));
    if (end) scroller.scrollTop = scroller.scrollHeight;
    seen();
  };
  const renderConv = () => {
    const c = convs.get(cur) || localConv(cur);
    if (!c) return;
    const st = stOf(c);
    note(ref, c.ref);
    refBox.hidden = !c.ref;
    status.dataset.status = st;
    status.textContent = t(st);
    composer.hidden = c.local;
    rate.hidden = st != 'resolved';
    rDone.hidden = !(c.rating_score > 3);
    inv.hidden = invited != cur;
    sorry.hidden = asked != cur || st == 'resolved';
    renderThread();
  };
  const renderList = () => {
    const all = [
      ...box().filter(j => !j.c && j.k != formJob).map(j => localConv('local:' + j.k)),
      ...[...convs.values()].sort((a, b) => Date.parse(b.last_message_at) - Date.parse(a.last_message_at)),
    ];
    const f = list.contains(root.activeElement) && root.activeElement.dataset.id;
    past.hidden = !all.length;
    list.replaceChildren(...all.map(c => h('li', {}, h('button', {
      type: 'button', class: 'conv', 'data-id': c.id, 'data-status': stOf(c), 'data-unread': unread.has(c.id), onclick: () => openConv(c.id),
    },
    h('span', { class: 'conv-top' }, h('strong', { class: 'conv-ref' }, c.ref || '…'), h('span', { class: 'conv-kind' }, S.ks[c.kind] || c.kind),
      h('span', { class: 'chip' }, t(c.local ? 'q' : stOf(c)))),
    h('span', { class: 'conv-prev' }, c.preview)))));
    f && [...list.querySelectorAll('button')].find(b => b.dataset.id == f)?.focus(); // keep focus across re-renders
    token && sv('active', [...convs.values()].some(c => c.status != 'resolved') && '1');
  };
  const refresh = () => { renderList(); cur && renderConv(); };

  const setView = inChat => {
    form.hidden = inChat;
    chat.hidden = back.hidden = !inChat;
    greet.hidden = inChat || !site.greeting;
  };
  const focusView = () => {
    isOpen && (cur ? composer.hidden || touch ? back : reply : list.querySelector('button') || (kinds.length > 1 ? form.querySelector(':checked') : msgEl)).focus();
  };
  const home = () => {
    cur = '';
    setView(false);
    refresh();
    focusView();
    loadList();
  };
  const openConv = id => {
    cur = id;
    unread.delete(id);
    badge();
    score = (convs.get(id) || {}).rating_score || 0;
    paint();
    reply.value = ls('draft:' + id) || '';
    rText.value = '';
    note(cErr);
    typing.hidden = true;
    setView(true);
    renderConv();
    renderThread(true);
    focusView();
    fetchThread(id);
  };
  const fetchThread = async id => {
    const r = token && !id.startsWith('local:') && await req('/conversations/' + enc(id));
    if (!r || !r.ok) return;
    putConv(r.d.conversation);
    r.d.messages.forEach(m => addMsg(id, m));
    cur == id && renderThread(true);
    refresh();
  };
  const loadList = async () => {
    const r = token && !ctx.conv && await req('/conversations');
    if (!r) return;
    r.ok ? r.d.conversations.forEach(putConv) : r.s == 401 && dropToken();
    // A first cursor, if the server gives one.
    ls('cursor') || sv('cursor', r.d.events_cursor);
    refresh();
  };

  const submitNew = () => {
    if (formJob) return;
    const v = vals(), email = v.email.trim(), name = v.name.trim(), url = location.href;
    Object.keys(errEl).map(k => setErr(k));
    note(fErr);
    const bad = [
      !v.message.trim() ? setErr('message', t('need')) : [...v.message].length > 1e4 && setErr('message', t('long')),
      email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) && setErr('email', t('bad')),
    ];
    if (bad.some(Boolean)) return form.querySelector('[aria-invalid=true]').focus();
    const body = { kind: v.kind, message: v.message, website: hp.value };
    if (name) body.name = name;
    if (email) body.email = email;
    if (/^https?:/.test(url) && url.length <= 2048) body.page_url = url;
    busy(true);
    formJob = enqueue('c', body);
  };
  const sendReply = () => {
    const b = reply.value;
    note(cErr);
    if (!b.trim() || !convs.has(cur)) return;
    if ([...b].length > 1e4) return note(cErr, t('long'));
    reply.value = asked = '';
    sv('draft:' + cur);
    enqueue('m', { body: b }, cur);
    renderThread(true);
  };
  const rateIt = async () => {
    const id = cur, body = { score };
    if (!score) return;
    if (rText.value.trim()) body.comment = rText.value.trim();
    const r = await req('/conversations/' + enc(id) + '/rating', body, uuid());
    note(cErr, r.ok ? '' : errText(r));
    if (r.ok) {
      const u = (r.d.review_invite || {}).urls || [], ok = body.score > 3;
      putConv(r.d.conversation);
      invited = u.length && id;
      asked = !ok && id;
      inv.replaceChildren(h('p', {}, t('iv')), ...u.map(x => h('a', { class: 'send rv', href: x, target: '_blank', rel: 'noopener' }, t('rv', { h: new URL(x).host.replace(/^www\./, '') }))));
      say(t(ok ? 'rated' : 'so'));
      ok || reply.focus();
    }
    refresh();
    renderThread(1);
  };

  // Live updates, resumed with ?cursor=.
  const connect = () => {
    if (ws || !token || !(opened || ls('active'))) return;
    const u = new URL(api + '/ws'), c = ls('cursor');
    u.protocol = u.protocol == 'https:' ? 'wss:' : 'ws:';
    if (c) u.searchParams.set('cursor', c);
    let ok = false;
    const s = ws = new WebSocket(u.href, ['holler.v1', 'bearer.' + token]);
    s.onopen = () => {
      ok = true;
      tries = fails = 0;
      loadList();
      cur && fetchThread(cur);
    };
    s.onmessage = e => {
      const f = JSON.parse(e.data), x = f.data || {}, cid = f.conversation_id;
      if (f.cursor) sv('cursor', f.cursor);
      if (f.type == 'typing') {
        if (x.from_staff && cid == cur) {
          typing.hidden = false;
          clearTimeout(typingTimer);
          typingTimer = setTimeout(() => { typing.hidden = true; }, 6e3);
        }
        return;
      }
      putConv(x.conversation);
      addMsg(cid, x.message, true);
      refresh();
    };
    s.onclose = () => {
      if (ws == s) ws = null;
      // Forget a refused cursor.
      if (!ok && ++fails > 2) sv('cursor');
      token && setTimeout(connect, Math.min(3e4, 1e3 * 2 ** tries++) * (0.5 + Math.random()));
    };
  };
  addEventListener('online', () => {
    const b = box();
    b.length && saveBox(b.map(j => ({ ...j, next: 0 })));
    pump();
    tries = 0;
    connect();
  });
  // Phones: keep the composer above the keyboard.
  const vv = window.visualViewport;
  const fit = () => {
    if (vv && isOpen) {
      panel.style.setProperty('--vh', vv.height + 'px');
      panel.style.setProperty('--vt', vv.offsetTop + 'px');
    }
  };
  vv && ['resize', 'scroll'].map(e => vv.addEventListener(e, fit));

  const open = () => {
    if (isOpen) return;
    isOpen = true;
    panel.hidden = false;
    host.dataset.open = '';
    btn.setAttribute('aria-expanded', true);
    fit();
    if (!opened) {
      opened = true;
      loadList();
      connect();
    }
    unread.delete(cur);
    badge();
    refresh();
    focusView();
    emit('open');
  };
  const close = () => {
    if (!isOpen || ctx.conv) return;
    const had = root.activeElement;
    isOpen = false;
    panel.hidden = true;
    delete host.dataset.open;
    btn.setAttribute('aria-expanded', false);
    had && btn.focus();
    emit('close');
  };

  setView(false);
  box().length && pump();
  connect();
  ctx.conv && (open(), openConv(ctx.conv));
  return {
    open, close,
    isOpen: () => isOpen,
    /** @param {{email?:string,name?:string}} o fills empty fields */
    identify(o) {
      nameEl.value ||= o.name || '';
      emailEl.value ||= o.email || '';
    },
  };
}
