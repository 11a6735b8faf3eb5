// Review invitations (admins, on a site's settings page): where the site's
// public reviews live, and what customers' ratings led to. A customer who
// rates the help 4 or 5 is invited to these links; one who rates it 1 to 3
// is asked what is still wrong and the conversation is reopened. The
// figures come from GET /api/v1/reports/ratings.

import { h, replace } from './dom.js';
import { get, qs, describeError } from './api.js';
import { field, savesSite } from './forms.js';

/** @typedef {import('./api.js').Site & {review_urls?: string[]}} Site */
/** @typedef {{ratings: number, invited: number, thanked: number, reopened: number, turned_around: number}} Counts */

/** The figures shown, in order: API field, label, explanation. */
const FIGURES = /** @type {const} */ ([
  ['ratings', 'Ratings', 'Conversations rated by customers.'],
  ['invited', 'Invited to review', 'Rated 4 or 5 and shown your review links.'],
  ['reopened', 'Reopened', 'Rated 1 to 3: back in the inbox.'],
  ['turned_around', 'Turned around', 'Reopened, then rated 4 or 5.'],
]);

/** How far back the figures look. */
const DAYS = 30;

/**
 * The review card of a site's settings.
 * @param {Site} site
 * @returns {HTMLElement}
 */
export function reviewsCard(site) {
  const inUrls = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'site-review-urls', rows: 3, spellcheck: 'false', placeholder: 'https://g.page/r/…/review' }));
  inUrls.value = (site.review_urls || []).join('\n');
  const figures = h('dl', { id: 'review-figures', class: 'review-figures', 'aria-busy': 'true' });
  const form = h('form', { id: 'reviews-form', class: 'card span-all', novalidate: true, 'aria-labelledby': 'reviews-title' },
    h('h2', { id: 'reviews-title', class: 'card-title' }, 'Reviews'),
    field('Review links', inUrls, 'review_urls',
      'Where your public reviews live (Google, Trustpilot, an app store), one per line, at most 5. Customers who rate the help 4 or 5 are invited there; 1 to 3 reopens the conversation and asks what is still wrong.'),
    h('p', { class: 'form-error', hidden: true, role: 'alert' }),
    h('div', { class: 'form-foot' },
      h('button', { id: 'reviews-save', type: 'submit', class: 'btn primary' }, 'Save review links'),
      h('span', { id: 'reviews-save-status', class: 'muted', role: 'status' })),
    h('h3', { class: 'review-figures-title' }, 'Last ' + DAYS + ' days'),
    figures);

  savesSite(form, site.id, () => ({ review_urls: inUrls.value.split(/\s+/).filter(Boolean) }), 'Review links saved.',
    (saved) => { inUrls.value = (saved.review_urls || []).join('\n'); });
  loadFigures(site.id, figures);
  return form;
}

/**
 * Fills the figures of the last DAYS days.
 * @param {string} siteId
 * @param {HTMLElement} figures
 */
async function loadFigures(siteId, figures) {
  const from = new Date(Date.now() - DAYS * 864e5).toISOString();
  try {
    const res = await get('/api/v1/reports/ratings' + qs({ site_id: siteId, from }));
    /** @type {Counts} */
    const r = res.report;
    replace(figures, FIGURES.map(([key, label, hint]) => h('div', { class: 'review-figure', dataset: { figure: key } },
      h('dt', null, label), h('dd', { class: 'review-count' }, String(r[key])), h('dd', { class: 'muted small' }, hint))));
  } catch (err) {
    replace(figures, h('p', { class: 'muted' }, 'Figures unavailable: ' + describeError(err)));
  }
  figures.removeAttribute('aria-busy');
}
