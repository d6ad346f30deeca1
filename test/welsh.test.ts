// Welsh pages carry no English from the page layout or from GOV.UK components. The English
// is gathered from its sources, so a component or layout string added later is checked too:
// govuk-frontend's templates (defaults like "Menu", "Support links", "Error"), its
// JavaScript's defaults (announcements such as "Your password is visible", which would only
// appear once a script runs, so each scripted component on a Welsh page must carry Welsh
// data-i18n attributes for all of them), and the layout's own locale file. The pages are
// every page reachable by links from the Welsh home page, the Welsh staff console (signed
// in), and the hosted payment pages of a Welsh payment, with and without errors.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, NodeType, type HTMLElement, type Node } from 'node-html-parser';
import { buildTestApp, cli, formBrowser, type TestApp } from './helpers.js';
import { crawl, type CrawledPage } from './crawl.js';
import { GOVUK_DIST, SRC_DIR } from '../src/kernel/views.js';
import { cardFields, newPayment, payBrowser, payClient, payFixture } from '../src/modules/payments/testing.js';

const COMPONENTS = join(GOVUK_DIST, 'govuk', 'components');
const WELSH_PLURALS = ['zero', 'one', 'two', 'few', 'many', 'other'];

/** English literals in govuk-frontend's component templates: defaults and fixed text. */
function templateEnglish(): string[] {
  const out = new Set<string>();
  for (const c of readdirSync(COMPONENTS)) {
    let src: string;
    try {
      src = readFileSync(join(COMPONENTS, c, 'template.njk'), 'utf8');
    } catch {
      continue;
    }
    src = src.replace(/\{#[\s\S]*?#\}/g, '');
    for (const tag of src.match(/\{[{%][\s\S]*?[%}]\}/g) ?? []) {
      for (const m of tag.matchAll(/(["'])((?:(?!\1).)*)\1/g)) {
        const s = m[2].replace(/%\{count\}/g, '').trim();
        if (/^[A-Z][a-z]+(?: [A-Za-z]+)*$/.test(s)) out.add(s);
      }
    }
    const text = src.replace(/\{[{%][\s\S]*?[%}]\}/g, '\u0000').replace(/<[^>]*>/g, '\u0000');
    for (const seg of text.split('\u0000')) {
      const s = seg.trim().replace(/^[,\s]+/, '');
      if (/^[©A-Z][^"=<>]*[a-z]/.test(s)) out.add(s);
    }
  }
  // The date input labels its fields from their names when no label is given.
  for (const name of ['Day', 'Month', 'Year']) out.add(name);
  return [...out];
}

/** govuk-frontend's JavaScript defaults, per data-module: key (kebab-case) → English message(s). */
function scriptDefaults(): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const c of readdirSync(COMPONENTS)) {
    let src: string;
    try {
      src = readFileSync(join(COMPONENTS, c, `${c}.mjs`), 'utf8');
    } catch {
      continue;
    }
    const at = src.indexOf('i18n: {', src.indexOf('static defaults') === -1 ? src.indexOf('defaults = ') : src.indexOf('static defaults'));
    if (at === -1 || !/\.moduleName = /.test(src)) continue;
    let depth = 0;
    let end = at + 'i18n: '.length;
    for (; end < src.length; end++) {
      if (src[end] === '{') depth++;
      if (src[end] === '}' && --depth === 0) break;
    }
    const block = src.slice(at + 'i18n: '.length, end + 1);
    const keys = new Map<string, string[]>();
    for (const m of block.matchAll(/(\w+): (\{(?:[^{}']|'[^']*')*\}|'[^']*')/g)) {
      const values = [...m[2].matchAll(/'([^']*)'/g)].map((v) => v[1]).filter(Boolean);
      if (values.length)
        keys.set(
          m[1].replace(/[A-Z]/g, (x) => `-${x.toLowerCase()}`),
          values,
        );
    }
    out.set(`govuk-${c}`, keys);
  }
  return out;
}

/** The layout's English (src/views/locales/en.json) wherever its Welsh differs. */
function layoutEnglish(): string[] {
  const flat = (o: Record<string, unknown>, p = ''): Array<[string, string]> =>
    Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? flat(v as any, `${p}${k}.`) : [[`${p}${k}`, String(v)]]));
  const read = (lang: string) => new Map(flat(JSON.parse(readFileSync(join(SRC_DIR, 'views', 'locales', `${lang}.json`), 'utf8'))));
  const en = read('en');
  const cy = read('cy');
  return [...en]
    .filter(([k, v]) => cy.get(k) !== v)
    .map(([, v]) => v.replace(/<[^>]*>/g, ' ').replace(/\{\w+\}/g, ' '))
    .flatMap((v) => v.split(/\s{2,}|(?<=[.:–])\s/))
    .map((s) => s.trim())
    .filter((s) => /[a-z]{2}/.test(s));
}

/** The text a person can perceive on a page, leaving out parts marked as English (lang="en"). */
function perceivable(html: string): string[] {
  const out: string[] = [];
  const walk = (n: Node) => {
    if (n.nodeType === NodeType.TEXT_NODE) {
      const s = n.text.replace(/\s+/g, ' ').trim();
      if (s) out.push(s);
      return;
    }
    if (n.nodeType !== NodeType.ELEMENT_NODE) return;
    const el = n as HTMLElement;
    const tag = el.tagName?.toLowerCase();
    if (tag === 'script' || tag === 'style' || tag === 'code' || tag === 'pre') return;
    if (/^en\b/i.test(el.getAttribute('lang') ?? '') && tag !== 'html') return;
    for (const a of ['aria-label', 'title', 'alt', 'placeholder']) {
      const v = el.getAttribute(a);
      if (v) out.push(v.trim());
    }
    for (const [a, v] of Object.entries(el.attributes)) if (a.startsWith('data-i18n.') && v) out.push(v.trim());
    for (const c of el.childNodes) walk(c);
  };
  walk(parse(html));
  return out;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Which English strings appear in these texts: one-word ones as a whole text, longer ones anywhere. */
function englishIn(texts: string[], english: string[]): string[] {
  const found = new Set<string>();
  for (const e of english) {
    const oneWord = !e.includes(' ');
    const re = new RegExp(`(^|[^\\p{L}])${escapeRe(e)}([^\\p{L}]|$)`, 'u');
    for (const text of texts) {
      if (oneWord ? text.replace(/[:.]$/, '') === e : re.test(text)) found.add(e);
    }
  }
  return [...found];
}

/** Scripted components on the page whose JavaScript would fall back to English messages. */
function scriptEnglish(html: string, defaults: Map<string, Map<string, string[]>>): string[] {
  const problems: string[] = [];
  for (const el of parse(html).querySelectorAll('[data-module]')) {
    const keys = defaults.get(el.getAttribute('data-module') ?? '');
    if (!keys) continue;
    for (const [key, english] of keys) {
      const plural = english.length > 1;
      const names = plural ? WELSH_PLURALS.map((f) => `data-i18n.${key}.${f}`) : [`data-i18n.${key}`];
      for (const name of names) {
        const v = el.getAttribute(name);
        if (!v || english.includes(v)) problems.push(`${el.getAttribute('data-module')} ${name}`);
      }
    }
  }
  return problems;
}

let t: TestApp;
let pages: CrawledPage[] = [];
const ENGLISH = [...new Set([...templateEnglish(), ...layoutEnglish()])];
const SCRIPT_DEFAULTS = scriptDefaults();
const STAFF = { email: 'welsh-test@example.org', password: 'correct horse battery staple' };

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  await t.modules.catalogue.service.createStaff(cli, { ...STAFF, role: 'platform_admin' });
  const welsh = (p: string) => !/[?&]lang=en\b/.test(p) && !/sign-out/.test(p) && !p.startsWith('/api/') && p !== '/openapi.json';

  // Public pages, from the Welsh home page.
  const visitor = formBrowser(t);
  const site = await crawl(visitor, ['/?lang=cy', '/no-such-page?lang=cy'], { follow: (p) => welsh(p) && !p.startsWith('/admin') });
  // Forms answered with errors.
  await visitor.get('/services/pay-council-tax?lang=cy');
  const feedback = await visitor.post('/services/pay-council-tax/feedback?lang=cy', { rating: '' });
  const signIn = await visitor.get('/identity/sign-in?lang=cy');
  const signInErrors = await visitor.post('/identity/sign-in?lang=cy', { email: '', password: '' });

  // The staff console, signed in.
  const staff = formBrowser(t);
  await staff.get('/admin/sign-in?lang=cy');
  const staffErrors = await staff.post('/admin/sign-in', { email: STAFF.email, password: '' });
  await staff.post('/admin/sign-in', STAFF);
  const consolePages = await crawl(staff, ['/admin'], { follow: (p) => welsh(p) && p.startsWith('/admin'), max: 400 });

  // The hosted payment pages of a Welsh payment: card details, with errors, confirm.
  const f = await payFixture(t);
  const api = payClient(t, f.keys.test);
  const p = (await api.post('/v1/payments', newPayment({ language: 'cy' }))).json();
  const payer = payBrowser(t);
  const card = await payer.follow(await payer.get(p._links.next_url.href));
  const cardErrors = await payer.post(`/pay/card/${p.payment_id}`, {});
  const confirm = await payer.follow(await payer.post(`/pay/card/${p.payment_id}`, cardFields()));

  const one = (url: string, res: { statusCode: number; body: string }): CrawledPage => ({
    url,
    status: res.statusCode,
    type: 'text/html',
    html: res.body,
    from: null,
  });
  pages = [
    ...site.pages,
    ...consolePages.pages,
    one('feedback with an error', feedback),
    one('identity sign-in', signIn),
    one('identity sign-in with errors', signInErrors),
    one('staff sign-in with an error', staffErrors),
    one('card details', card),
    one('card details with errors', cardErrors),
    one('confirm payment', confirm),
  ].filter((pg) => pg.html);
}, 240_000);
afterAll(async () => {
  await t?.close();
});

describe('the English the check looks for', () => {
  it('includes what the issue found: landmarks, the menu button, the password toggle and the error prefix', () => {
    for (const s of ['Support links', 'Service information', 'Menu', 'Show', 'Error', 'Back']) expect(ENGLISH).toContain(s);
    const password = SCRIPT_DEFAULTS.get('govuk-password-input');
    expect([...(password?.values() ?? [])].flat()).toEqual(
      expect.arrayContaining(['Show password', 'Hide', 'Your password is visible', 'Your password is hidden']),
    );
    expect(SCRIPT_DEFAULTS.get('govuk-character-count')?.get('characters-under-limit')).toContain('You have %{count} characters remaining');
  });

  it('finds that English on a page, and not inside parts marked as English', () => {
    const html = `<html lang="cy"><body><section aria-label="Service information"><button>Menu</button></section>
      <p lang="en">Back</p><div data-module="govuk-password-input" data-i18n.show-password="Dangos"></div></body></html>`;
    expect(englishIn(perceivable(html), ENGLISH).sort()).toEqual(['Menu', 'Service information']);
    expect(scriptEnglish(html, SCRIPT_DEFAULTS)).toContain('govuk-password-input data-i18n.password-shown-announcement');
  });
});

describe('Welsh pages', () => {
  it('were all found and rendered in Welsh', () => {
    expect(pages.length).toBeGreaterThan(60);
    const notWelsh = pages.filter((p) => !/<html lang="cy"/.test(p.html)).map((p) => p.url);
    expect(notWelsh).toEqual([]);
    // The scripted components and the console were reached.
    expect(pages.some((p) => p.html.includes('data-module="govuk-password-input"'))).toBe(true);
    expect(pages.some((p) => p.html.includes('data-module="govuk-character-count"'))).toBe(true);
    expect(pages.filter((p) => p.url.startsWith('/admin')).length).toBeGreaterThan(20);
  });

  it('carry no English from the layout or GOV.UK components', () => {
    const problems = pages
      .map((p) => ({ page: p.url, english: englishIn(perceivable(p.html), ENGLISH), scripts: scriptEnglish(p.html, SCRIPT_DEFAULTS) }))
      .filter((p) => p.english.length || p.scripts.length);
    expect(problems).toEqual([]);
  });
});
