// The site's own pages through HTTP: every kind of page's footer carries the accessibility
// statement, cookies and privacy links and no developer links (payment pages included); the
// accessibility statement follows GOV.UK's model; the cookies page lists every cookie a real
// journey sets (public pages, staff sign-in, a payment, signing in to a service through
// identity) with the lifetime the cookie really has; the developers' page has the API links.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'node-html-parser';
import { cli, formBrowser } from '../../../test/helpers.js';
import { authRequest, Browser, relyingParty, startApp, type Running } from '../identity/testing.js';
import { cardFields, newPayment, payBrowser, payClient, payFixture } from '../payments/testing.js';
import { cookieList } from './pages.js';

let run: Running;
const STAFF = { email: 'site-test@example.org', password: 'correct horse battery staple' };
const DEV_LINKS = ['/docs', '/openapi.json', '/api/', '/developers'];

const footerLinks = (html: string) =>
  parse(html)
    .querySelectorAll('footer a')
    .map((a) => a.getAttribute('href') ?? '');

beforeAll(async () => {
  run = await startApp({ site: { operator: 'Glanfor County Council', contactEmail: 'digital@glanfor.example.org' } });
  await run.built.modules.catalogue.service.createStaff(cli, { ...STAFF, role: 'platform_admin' });
});
afterAll(async () => {
  await run?.close();
});

describe('footer', () => {
  it('links every citizen page, payment pages included, to the accessibility statement, cookies and privacy — and to no developer pages', async () => {
    const t = run.built;
    const b = formBrowser(t);
    const f = await payFixture(t);
    const p = (await payClient(t, f.keys.test).post('/v1/payments', newPayment())).json();
    const payer = payBrowser(t);
    const card = await payer.follow(await payer.get(p._links.next_url.href));
    const pages = {
      home: await b.get('/'),
      service: await b.get('/services/apply-for-a-blue-badge'),
      organisation: await b.get('/organisations/riverside-city-council'),
      notFound: await b.get('/no-such-page'),
      signIn: await b.get('/identity/sign-in'),
      addressFinder: await b.get('/addresses/find-an-address'),
      card,
      cardErrors: await payer.post(`/pay/card/${p.payment_id}`, {}),
      confirm: await payer.follow(await payer.post(`/pay/card/${p.payment_id}`, cardFields())),
      welsh: await b.get('/?lang=cy'),
    };
    for (const [name, res] of Object.entries(pages)) {
      const links = footerLinks(res.body);
      expect(links, name).toEqual(expect.arrayContaining(['/accessibility', '/cookies', '/privacy']));
      expect(
        links.filter((l) => DEV_LINKS.some((d) => l.startsWith(d))),
        name,
      ).toEqual([]);
    }
  });

  it('adds the developers’ page for staff, in the console', async () => {
    const b = formBrowser(run.built);
    await b.get('/admin/sign-in');
    await b.post('/admin/sign-in', STAFF);
    const links = footerLinks((await b.get('/admin')).body);
    expect(links).toEqual(expect.arrayContaining(['/accessibility', '/cookies', '/privacy', '/developers']));
  });
});

describe('accessibility statement', () => {
  it('follows GOV.UK’s model statement, naming who runs the site and how to contact them', async () => {
    const res = await formBrowser(run.built).get('/accessibility');
    expect(res.statusCode).toBe(200);
    const doc = parse(res.body);
    const headings = doc.querySelectorAll('main h1, main h2, main h3').map((h) => h.text.trim());
    expect(headings).toEqual([
      'Accessibility statement for Cityscape (Glanfor County Council)',
      'How accessible this website is',
      'Feedback and contact information',
      'Reporting accessibility problems with this website',
      'Enforcement procedure',
      'Technical information about this website’s accessibility',
      'Compliance status',
      'Non-accessible content',
      'Non-compliance with the accessibility regulations',
      'What we’re doing to improve accessibility',
      'Preparation of this accessibility statement',
    ]);
    const text = doc.querySelector('main')!.text.replace(/\s+/g, ' ');
    // The legally required wording.
    expect(text).toContain('This website is run by Glanfor County Council.');
    expect(text).toContain(
      'Glanfor County Council is committed to making its website accessible, in accordance with the Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018.',
    );
    expect(text).toContain('The Equality and Human Rights Commission (EHRC) is responsible for enforcing');
    expect(text).toMatch(
      /This website is (fully|partially|not) compliant with the Web Content Accessibility Guidelines version 2\.2 AA standard/,
    );
    expect(text).toMatch(/This statement was prepared on \d{1,2} \w+ \d{4}\. It was last reviewed on \d{1,2} \w+ \d{4}\./);
    const links = doc.querySelectorAll('main a').map((a) => a.getAttribute('href'));
    expect(links).toContain('mailto:digital@glanfor.example.org');
    expect(links).toContain('https://www.equalityadvisoryservice.com/');
    expect(links).toContain('https://www.w3.org/TR/WCAG22/');
  });

  it('is in Welsh too', async () => {
    const res = await formBrowser(run.built).get('/accessibility?lang=cy');
    expect(res.body).toContain('<html lang="cy"');
    expect(parse(res.body).querySelector('h1')!.text).toBe('Datganiad hygyrchedd ar gyfer Cityscape (Glanfor County Council)');
    expect(res.body).toContain('Gweithdrefn orfodi');
  });
});

describe('cookies page', () => {
  it('lists every cookie that signing in, paying and using the site sets, with the lifetime each really has', async () => {
    // Every Set-Cookie the server sends, as the browsers below receive them.
    const seen: Array<{ name: string; attrs: string[] }> = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (...args: Parameters<typeof fetch>) => {
      const res = await realFetch(...args);
      for (const line of res.headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(';').map((s) => s.trim());
        seen.push({ name: pair.slice(0, pair.indexOf('=')), attrs });
      }
      return res;
    }) as typeof fetch;
    try {
      const b = new Browser(run.baseUrl);
      await b.go('/?lang=cy');
      await b.go('/services/apply-for-a-blue-badge');
      await b.go('/admin/sign-in');
      await b.submit('/admin/sign-in', STAFF);
      // A payment, switched to Welsh half-way.
      const t = run.built;
      const f = await payFixture(t);
      const p = (await payClient(t, f.keys.test).post('/v1/payments', newPayment())).json();
      const payer = new Browser(run.baseUrl);
      await payer.go(p._links.next_url.href);
      await payer.go(`/pay/card/${p.payment_id}?lang=cy`);
      await payer.submit(`/pay/card/${p.payment_id}`, cardFields());
      // Signing in to a service through identity.
      const rp = await relyingParty(run);
      const citizen = new Browser(run.baseUrl);
      const email = `cookies.${Date.now()}@example.org`;
      await run.built.modules.identity.accounts.createAccount(email, 'correct horse 42 battery');
      await citizen.go((await authRequest(rp, { vtr: '["Cl"]' })).url.href);
      await citizen.submit('/identity/sign-in', { email, password: 'correct horse 42 battery' });
    } finally {
      globalThis.fetch = realFetch;
    }

    const page = parse((await formBrowser(run.built).get('/cookies')).body);
    const listed = new Map(
      page.querySelectorAll('main table tbody tr').flatMap((tr) => {
        const expires = tr.querySelectorAll('td').pop()!.text.trim();
        return tr.querySelectorAll('code').map((code) => [code.text.trim(), expires] as const);
      }),
    );
    const declared = new Map(cookieList(run.built.kernel).map((c) => [c.name, c]));
    const set = seen.filter(({ attrs }) => !attrs.some((a) => /^max-age=0$/i.test(a) || /^expires=Thu, 01 Jan 1970/i.test(a)));
    expect(new Set(set.map((c) => c.name.replace(/\.sig$/, '')))).toEqual(new Set(declared.keys()));
    for (const { name, attrs } of set) {
      const base = name.replace(/\.sig$/, '');
      expect(listed.has(name), `${name} on /cookies`).toBe(true);
      const c = declared.get(base)!;
      const maxAge = attrs.find((a) => /^max-age=/i.test(a));
      const expires = attrs.find((a) => /^expires=/i.test(a));
      if (c.maxAge === null) {
        expect(maxAge ?? expires, `${name} lasts until the browser closes`).toBeUndefined();
      } else {
        const seconds = maxAge ? Number(maxAge.slice(8)) : (new Date(expires!.slice(8)).getTime() - Date.now()) / 1000;
        expect(Math.abs(seconds - c.maxAge), `${name}: ${attrs.join('; ')}`).toBeLessThan(120);
      }
    }
    expect(listed.get('cs_session')).toBe('After 2 hours without use, or when you close your browser');
    expect(listed.get('lang')).toBe('1 year');
  });
});

describe('privacy notice and developers’ page', () => {
  it('says what personal data is used, why, and how to complain', async () => {
    const res = await formBrowser(run.built).get('/privacy');
    const text = parse(res.body).querySelector('main')!.text.replace(/\s+/g, ' ');
    expect(text).toContain('This website is run by Glanfor County Council.');
    expect(text).toContain('We never keep your full card number or security code.');
    expect(text).toContain('UK GDPR Article 6(1)(e)');
    expect(res.body).toContain('href="https://ico.org.uk/make-a-complaint/"');
    expect(res.body).toContain('href="/cookies"');
  });

  it('gathers the developer links: every API’s documentation, the OpenAPI document and open data', async () => {
    const res = await formBrowser(run.built).get('/developers');
    const links = parse(res.body)
      .querySelectorAll('main a')
      .map((a) => a.getAttribute('href'));
    expect(links).toEqual(
      expect.arrayContaining([
        '/docs',
        '/docs/catalogue',
        '/docs/payments',
        '/docs/notify',
        '/docs/addresses',
        '/openapi.json',
        '/api/catalogue/v1/services',
        '/identity/.well-known/openid-configuration',
      ]),
    );
  });
});
