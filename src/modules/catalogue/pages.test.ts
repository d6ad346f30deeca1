// The public catalogue pages through HTTP on the seeded demo catalogue: finding a service,
// organisations, the service page in English and Welsh, the feedback form and service panels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, cookieHeader, formSession, type TestApp } from '../../../test/helpers.js';

const html = { accept: 'text/html' };
const FORM = 'application/x-www-form-urlencoded';

/** The text inside <main>, tags stripped and whitespace collapsed, for copy assertions. */
function mainText(body: string): string {
  const main = body.slice(body.indexOf('<main'), body.indexOf('</main>'));
  return main
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
/** Service slugs linked from a page's results. */
function serviceLinks(body: string): string[] {
  return [...body.matchAll(/href="\/services\/([a-z0-9-]+)"/g)].map((m) => m[1]);
}

describe('public catalogue pages', () => {
  let built: TestApp;
  beforeAll(async () => {
    built = await buildTestApp({ seed: true });
  });
  afterAll(async () => {
    await built?.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    built.app.inject({ method: 'GET', url, headers: { ...html, ...headers } });
  async function satisfaction(slug: string) {
    const res = await built.app.inject({ method: 'GET', url: `/api/catalogue/v1/services/${slug}/satisfaction` });
    expect(res.statusCode).toBe(200);
    return res.json() as { score: number | null; responses: number; days: number };
  }
  /** GET the service page, then POST its feedback form with the page's CSRF cookie and token. */
  async function postFeedback(slug: string, fields: Record<string, string>, opts: { csrf?: boolean; query?: string } = {}) {
    const page = await get(`/services/${slug}${opts.query ?? ''}`);
    expect(page.statusCode).toBe(200);
    const session = formSession(page);
    expect(session.csrf).not.toBe('');
    const body = new URLSearchParams({ ...(opts.csrf === false ? {} : { _csrf: session.csrf }), ...fields }).toString();
    return built.app.inject({
      method: 'POST',
      url: `/services/${slug}/feedback${opts.query ?? ''}`,
      payload: body,
      headers: { ...html, 'content-type': FORM, cookie: cookieHeader(session.cookies) },
    });
  }

  describe('find a service (home)', () => {
    it('lists every service with its organisation, phase and a count', async () => {
      const all = (await built.modules.catalogue.service.listServices()).map((s) => s.slug);
      const res = await get('/');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      const text = mainText(res.body);
      expect(text).toContain('Find a service');
      expect(text).toContain(`${all.length} services`);
      expect(new Set(serviceLinks(res.body))).toEqual(new Set(all));
      expect(text).toContain('Apply for a Blue Badge');
      expect(text).toContain('Run by Riverside City Council');
      expect(res.body).toMatch(/class="govuk-tag govuk-tag--green">\s*Live\s*</);
      expect(res.body).toMatch(/<form method="get" action="\/"/);
      expect(res.body).toContain('<label class="govuk-label govuk-label--s" for="q">');
      expect(res.body).toContain('id="organisation" name="organisation"');
      expect(res.body).toMatch(/id="kind" name="kind" type="radio" value="all" checked/);
      expect(res.body.match(/<h1[\s>]/g)).toHaveLength(1);
    });

    it('searches by text', async () => {
      const res = await get('/?q=motorcycle');
      expect(res.statusCode).toBe(200);
      expect(serviceLinks(res.body)).toEqual(['tax-your-vehicle']);
      expect(mainText(res.body)).toContain('1 service');
      expect(mainText(res.body)).not.toContain('1 services');
      expect(res.body).toMatch(/id="q" name="q" type="search"[^>]*value="motorcycle"/);
      // Matches Welsh names too, and the organisation's name.
      expect(serviceLinks((await get('/?q=biniau')).body)).toEqual(['check-your-bin-collection-day']);
      expect(serviceLinks((await get('/?q=Glanfor+County')).body).sort()).toEqual([
        'apply-for-a-concessionary-travel-pass',
        'check-your-bin-collection-day',
        'pay-council-tax',
      ]);
    });

    it('says so when nothing matches', async () => {
      const res = await get('/?q=zzzz-nothing-like-this');
      expect(res.statusCode).toBe(200);
      expect(serviceLinks(res.body)).toEqual([]);
      expect(mainText(res.body)).toContain('No services match your search.');
    });

    it('filters by organisation', async () => {
      const res = await get('/?organisation=riverside-city-council');
      expect(res.statusCode).toBe(200);
      const links = serviceLinks(res.body);
      expect(links).toContain('apply-for-a-blue-badge');
      expect(links).toContain('pay-a-parking-fine');
      expect(links).not.toContain('pay-council-tax');
      expect(links).not.toContain('tax-your-vehicle');
      expect(res.body).toMatch(/<option value="riverside-city-council" selected>/);
    });

    it('filters by type of organisation', async () => {
      const local = serviceLinks((await get('/?kind=local_authority')).body);
      expect(local).toContain('pay-council-tax');
      expect(local).toContain('apply-for-a-blue-badge');
      expect(local).not.toContain('tax-your-vehicle');
      expect(local).not.toContain('register-a-birth');

      const central = await get('/?kind=central');
      const links = serviceLinks(central.body);
      expect(links).toContain('tax-your-vehicle'); // an arm's-length body counts as central government
      expect(links).toContain('register-a-birth');
      expect(links).not.toContain('pay-council-tax');
      expect(central.body).toMatch(/value="central" checked/);
    });

    it('combines search and filters', async () => {
      const res = await get('/?q=pay&kind=local_authority&organisation=glanfor-county-council');
      expect(serviceLinks(res.body)).toEqual(['pay-council-tax']);
    });

    it('explains an unknown organisation instead of failing, and shows all services', async () => {
      const res = await get('/?organisation=no-such-council');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('govuk-error-summary');
      expect(res.body).toContain('<a href="#organisation">No organisation called “no-such-council”');
      expect(res.body).toContain('id="organisation-error"');
      expect(res.body).toMatch(/<title>Error: Find a service/);
      expect(serviceLinks(res.body).length).toBeGreaterThan(5);
    });

    it('explains an unknown organisation type', async () => {
      const res = await get('/?kind=toString');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<a href="#kind">Select a type of organisation from the list</a>');
      expect(serviceLinks(res.body).length).toBeGreaterThan(5);
    });

    it('escapes what was searched for', async () => {
      const res = await get(`/?q=${encodeURIComponent('<script>alert(1)</script>')}`);
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('<script>alert(1)</script>');
      expect(res.body).toContain('&lt;script&gt;');
    });

    it('is in Welsh with ?lang=cy, using Welsh service names', async () => {
      const res = await get('/?lang=cy');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<html lang="cy"');
      const text = mainText(res.body);
      expect(text).toContain('Dod o hyd i wasanaeth');
      expect(text).toContain('Talu eich treth gyngor');
      expect(text).toContain('Chwilio');
      expect(res.body).toContain('<option value="glanfor-county-council">Cyngor Sir Glanfor</option>');
    });
  });

  describe('organisations', () => {
    it('groups organisations by kind', async () => {
      const res = await get('/organisations');
      expect(res.statusCode).toBe(200);
      const text = mainText(res.body);
      const order = ['Central government departments', 'Arm’s-length bodies', 'Local authorities', 'Partners', 'Suppliers'].map((h) =>
        text.indexOf(h),
      );
      expect(order.every((i) => i >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      // Each organisation sits under its own group's heading.
      const la = text.indexOf('Local authorities');
      expect(text.indexOf('Riverside City Council')).toBeGreaterThan(la);
      expect(text.indexOf('Department for Transport and Mobility')).toBeLessThan(la);
      expect(res.body).toContain('href="/organisations/glanfor-county-council"');
    });

    it('shows an organisation with its website, parent, teams and services', async () => {
      const res = await get('/organisations/riverside-city-council');
      expect(res.statusCode).toBe(200);
      const text = mainText(res.body);
      expect(text).toContain('Riverside City Council');
      expect(text).toContain('Unitary council for the city of Riverside.');
      expect(text).toContain('Parking and Highways');
      expect(text).toContain('Digital Services');
      expect(res.body).toContain('href="https://riverside-city-council.example.org"');
      const links = serviceLinks(res.body);
      expect(links).toContain('apply-for-a-blue-badge');
      expect(links).not.toContain('pay-council-tax');

      const alb = await get('/organisations/motor-vehicle-licensing-agency');
      expect(mainText(alb.body)).toContain('Part of Department for Transport and Mobility');
      const parent = await get('/organisations/department-for-transport-and-mobility');
      expect(parent.body).toContain('href="/organisations/motor-vehicle-licensing-agency"');
    });

    it('gives a 404 page for an unknown organisation', async () => {
      const res = await get('/organisations/no-such-organisation');
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('text/html');
      expect(mainText(res.body)).toContain('Page not found');
    });
  });

  describe('service page', () => {
    it('shows who is accountable, decisions, roadmap, satisfaction and platforms', async () => {
      const sat = await satisfaction('apply-for-a-blue-badge');
      const res = await get('/services/apply-for-a-blue-badge');
      expect(res.statusCode).toBe(200);
      const body = res.body;
      const text = mainText(body);
      expect(body.match(/<h1[\s>]/g)).toHaveLength(1);
      expect(body).toMatch(/<h1[^>]*>Apply for a Blue Badge<\/h1>/);
      expect(body).toMatch(/href="\/services\/apply-for-a-blue-badge\/apply" role="button"[^>]*govuk-button--start/);
      expect(text).toContain('Start now');
      expect(body).toContain('href="/organisations/riverside-city-council"');
      expect(text).toContain('Team Digital Services');

      // Who is accountable
      expect(text).toContain('Who is accountable');
      expect(text).toContain('Joanne Pritchard');
      expect(text).toContain('Councillor, Cabinet Member for Adult Social Care');
      expect(body).toContain('<a class="govuk-link" href="mailto:cabinet.adultcare@example.org">cabinet.adultcare@example.org</a>');
      expect(text).toMatch(/In post since \d{1,2} [A-Z][a-z]+ \d{4}/);
      expect(body).toMatch(/class="govuk-tag govuk-tag--grey">\s*Demo\s*</);
      expect(body).toMatch(/<details class="govuk-details">[\s\S]*Previous office-holders[\s\S]*Derek Lomax[\s\S]*<\/details>/);
      expect(body).toMatch(/<caption[^>]*>People who were previously accountable for this service<\/caption>/);

      // Decisions
      expect(text).toContain('Recent decisions');
      expect(text).toContain('Use the exchange to confirm qualifying benefits instead of asking for letters');
      expect(text).toContain('Document uploads were the main reason applications stalled');
      expect(text).toContain('Decided by: Cabinet, Riverside City Council');
      expect(body).toContain('href="https://www.example.org/research/blue-badge-evidence"');

      // Roadmap: grouped Now, Next, Later, Done, in that order
      const groups = ['Now', 'Next', 'Later', 'Done'].map((g) => body.search(new RegExp(`<h3 class="govuk-heading-s">${g}</h3>`)));
      expect(groups.every((i) => i > 0)).toBe(true);
      expect([...groups].sort((a, b) => a - b)).toEqual(groups);
      expect(body.indexOf('Renewal reminders')).toBeGreaterThan(groups[0]);
      expect(body.indexOf('Renewal reminders')).toBeLessThan(groups[1]);
      expect(body.indexOf('Automatic benefit checks')).toBeGreaterThan(groups[3]);
      expect(text).toMatch(/Target date: \d{1,2} [A-Z][a-z]+ \d{4}/);

      // Satisfaction agrees with the API
      expect(sat.score).not.toBeNull();
      expect(text).toContain(`${Math.round(sat.score! * 1000) / 10}%`);
      expect(text).toContain(`Based on ${sat.responses} responses in the last 30 days`);

      // Platforms
      expect(text).toContain('Platforms this service uses');
      expect(text).toContain('Data exchange');
      expect(text).toContain('Address lookup');
    });

    it('starts at the how-to-apply page until the service has a form of its own, then at its form', async () => {
      const res = await get('/services/apply-for-a-concessionary-travel-pass');
      expect(res.body).toMatch(/href="\/services\/apply-for-a-concessionary-travel-pass\/apply" role="button"[^>]*govuk-button--start/);
      const apply = await get('/services/apply-for-a-concessionary-travel-pass/apply');
      expect(apply.statusCode).toBe(200);
      expect(apply.body).toMatch(/<h1[^>]*>How to apply<\/h1>/);
      const text = mainText(apply.body);
      expect(text).toContain('Pick up a form at any Glanfor library');
      expect(apply.body).toContain('<li>a passport-style photo</li>');
      expect(apply.body).toContain('href="mailto:digital.glanfor@example.org"');
      expect(apply.body).toContain('href="/services/apply-for-a-concessionary-travel-pass"');
      // A start address of the service's own wins over the how-to-apply page…
      await built.modules.catalogue.service.updateService(cli, 'apply-for-a-concessionary-travel-pass', {
        start_url: 'https://travel.glanfor.example.org/apply',
      });
      expect((await get('/services/apply-for-a-concessionary-travel-pass')).body).toContain(
        'href="https://travel.glanfor.example.org/apply" role="button"',
      );
      // …and the forms module's live form wins over both (catalogue.setStartLink, docs/CONTRACTS.md).
      built.modules.catalogue.setStartLink(async (s) => (s.slug === 'apply-for-a-concessionary-travel-pass' ? '/forms/travel-pass' : null));
      try {
        await built.modules.catalogue.service.updateService(cli, 'apply-for-a-concessionary-travel-pass', { start_url: null });
        expect((await get('/services/apply-for-a-concessionary-travel-pass')).body).toContain('href="/forms/travel-pass" role="button"');
        expect((await get('/services/apply-for-a-blue-badge')).body).toContain(
          'href="/services/apply-for-a-blue-badge/apply" role="button"',
        );
        // A resolver that fails is logged and left out: the page still starts somewhere real.
        built.modules.catalogue.setStartLink(async () => {
          throw new Error('forms is down');
        });
        await built.modules.catalogue.service.updateService(cli, 'apply-for-a-concessionary-travel-pass', { phase: 'alpha' });
        expect((await get('/services/apply-for-a-concessionary-travel-pass')).body).toContain(
          'href="/services/apply-for-a-concessionary-travel-pass/apply" role="button"',
        );
      } finally {
        built.modules.catalogue.setStartLink(async () => null);
        await built.modules.catalogue.service.updateService(cli, 'apply-for-a-concessionary-travel-pass', { phase: 'discovery' });
      }
    });

    it('says when there is not enough feedback, and copes with a service with no history', async () => {
      await built.modules.catalogue.service.createService(cli, {
        slug: 'brand-new-service',
        name: 'Brand new service',
        summary: 'Nothing recorded yet.',
        phase: 'discovery',
        organisation_slug: 'riverside-city-council',
      });
      const res = await get('/services/brand-new-service');
      expect(res.statusCode).toBe(200);
      const text = mainText(res.body);
      expect(text).toContain('Not enough feedback yet.');
      // Nothing says how to apply and there is no form: no start button, and no page to lead to.
      expect((await get('/services/brand-new-service/apply')).statusCode).toBe(404);
      expect(text).toContain('No office-holder has been recorded for this service yet.');
      expect(text).toContain('No decisions have been published for this service yet.');
      expect(text).toContain('No roadmap has been published for this service yet.');
      expect(res.body).not.toContain('govuk-button--start');
    });

    it('is in Welsh with ?lang=cy: Welsh name, summary and copy', async () => {
      const res = await get('/services/pay-council-tax?lang=cy');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<html lang="cy"');
      expect(res.body).toMatch(/<h1[^>]*>Talu eich treth gyngor<\/h1>/);
      expect(res.body).toMatch(/<title>Talu eich treth gyngor – /);
      const text = mainText(res.body);
      expect(text).toContain('Talwch eich bil treth gyngor Glanfor ar-lein');
      expect(text).toContain('Dechrau nawr');
      expect(text).toContain('Pwy sy’n atebol');
      expect(text).toContain('Penderfyniadau diweddar');
      expect(text).toContain('Anfon adborth');
      expect(text).toContain('Bodlon iawn');
      expect(text).not.toContain('Start now');
      expect(text).not.toContain('Send feedback');
      // The council's own Welsh, for everything it publishes about the service: description,
      // decisions (what, why, by whom), roadmap, the office-holder's role and the team.
      const councilsWelsh = [
        ...['Talwch eich treth gyngor yn Gymraeg neu yn Saesneg', 'Cynnig y gwasanaeth cyfan yn Gymraeg o’r dudalen gyntaf'],
        ...['Safonau’r Gymraeg, a dewisodd 22% o drigolion filiau papur yn Gymraeg.', 'Penderfynwyd gan: Cabinet, Cyngor Sir Glanfor'],
        ...['E-filio', 'Cynghorydd, Aelod Cabinet dros Gyllid', 'Tîm Gwasanaethau Digidol'],
      ];
      expect(councilsWelsh.filter((w) => !text.includes(w))).toEqual([]);
      expect(text).not.toContain('Pay your council tax in English or Welsh');
      // So nothing in the content of the Welsh council's pages is left in English.
      for (const slug of ['pay-council-tax', 'check-your-bin-collection-day', 'apply-for-a-concessionary-travel-pass']) {
        for (const url of [`/services/${slug}?lang=cy`, `/services/${slug}/apply?lang=cy`]) {
          const page = (await get(url)).body;
          expect(page.slice(page.indexOf('<main'), page.indexOf('</main>')), url).not.toContain('lang="en"');
        }
      }
      // Welsh dates
      expect(text).toMatch(
        /Yn y swydd ers \d{1,2} (Ionawr|Chwefror|Mawrth|Ebrill|Mai|Mehefin|Gorffennaf|Awst|Medi|Hydref|Tachwedd|Rhagfyr) \d{4}/,
      );
      expect(String(res.headers['set-cookie'])).toContain('lang=cy');
      // The English page of the same service uses the English name.
      const en = await get('/services/pay-council-tax?lang=en');
      expect(en.body).toMatch(/<h1[^>]*>Pay your council tax<\/h1>/);
      // Each language has its own form: Welsh copy posting back in Welsh, English copy in English.
      expect(res.body).toContain('<form method="post" action="/services/pay-council-tax/feedback?lang=cy"');
      expect(en.body).toContain('<form method="post" action="/services/pay-council-tax/feedback"');
      expect(mainText(en.body)).toContain('Send feedback');
      expect(mainText(en.body)).not.toContain('Anfon adborth');
    });

    it('gives a 404 page for an unknown service', async () => {
      const res = await get('/services/no-such-service');
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('text/html');
      expect(mainText(res.body)).toContain('Page not found');
    });
  });

  describe('feedback form', () => {
    it('is on the service page with the GOV.UK survey question', async () => {
      const res = await get('/services/tax-your-vehicle');
      const body = res.body;
      expect(body).toContain('<form method="post" action="/services/tax-your-vehicle/feedback"');
      expect(body).toMatch(/name="_csrf" value="[^"]+"/);
      expect(body).toMatch(/<legend[^>]*>\s*Overall, how did you feel about the service you received today\?\s*<\/legend>/);
      const radios = [
        ...body.matchAll(/<input class="govuk-radios__input" id="([a-z0-9-]+)" name="rating" type="radio" value="(\d)"/g),
      ].map((m) => [m[1], m[2]]);
      expect(radios).toEqual([
        ['rating', '5'],
        ['rating-2', '4'],
        ['rating-3', '3'],
        ['rating-4', '2'],
        ['rating-5', '1'],
      ]);
      for (const label of ['Very satisfied', 'Satisfied', 'Neither satisfied or dissatisfied', 'Dissatisfied', 'Very dissatisfied']) {
        expect(body).toMatch(new RegExp(`<label class="govuk-label govuk-radios__label" for="rating(-\\d)?">\\s*${label}\\s*</label>`));
      }
      expect(body).toMatch(
        /<label class="govuk-label govuk-label--s" for="improvement">\s*How could we improve this service\?\s*<\/label>/,
      );
      expect(body).toMatch(/<textarea[^>]*id="improvement" name="improvement"/);
      expect(body).toContain('data-maxlength="1200"');
      expect(body).toMatch(/<button type="submit"[^>]*>\s*Send feedback\s*<\/button>/);
      // The form is rendered once, but each browser still gets its own token.
      const other = await get('/services/pay-a-parking-fine');
      expect(formSession(other).csrf).not.toBe(formSession(res).csrf);
      expect(other.body).toContain('<form method="post" action="/services/pay-a-parking-fine/feedback"');
    });

    it('without a rating: 400, error summary linking to #rating, and keeps what was typed', async () => {
      const before = await satisfaction('tax-your-vehicle');
      const res = await postFeedback('tax-your-vehicle', { improvement: 'Tell me what "MOT" & <tax> mean' });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toMatch(/<title>Error: Tax your vehicle/);
      expect(res.body).toContain('govuk-error-summary');
      expect(res.body).toContain('<a href="#rating">Select how satisfied you are with the service</a>');
      expect(res.body).toContain('id="rating-error"');
      expect(res.body).toMatch(/<textarea[^>]*id="improvement"[^>]*>Tell me what &quot;MOT&quot; &amp; &lt;tax&gt; mean<\/textarea>/);
      expect(res.body).not.toContain('<tax>');
      expect((await satisfaction('tax-your-vehicle')).responses).toBe(before.responses);
    });

    it('sends a GET of the form address (the language switch on an error page) back to the form', async () => {
      const bad = await postFeedback('tax-your-vehicle', {});
      const switchTo = /href="([^"]+)" lang="cy" hreflang="cy"/.exec(bad.body)?.[1];
      expect(switchTo).toBe('/services/tax-your-vehicle/feedback?lang=cy');
      const res = await get(switchTo!);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/services/tax-your-vehicle?lang=cy#feedback');
    });

    it('rejects a rating that is not 1 to 5', async () => {
      for (const rating of ['0', '6', 'five', '4.5']) {
        const res = await postFeedback('tax-your-vehicle', { rating });
        expect(res.statusCode).toBe(400);
        expect(res.body).toContain('<a href="#rating">');
      }
    });

    it('rejects improvement text over 1200 characters, keeping the rating chosen', async () => {
      const before = await satisfaction('tax-your-vehicle');
      const res = await postFeedback('tax-your-vehicle', { rating: '2', improvement: 'x'.repeat(1201) });
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('<a href="#improvement">How could we improve this service must be 1200 characters or fewer</a>');
      expect(res.body).toContain('id="improvement-error"');
      expect(res.body).not.toContain('<a href="#rating">');
      expect(res.body).toMatch(/id="rating-4" name="rating" type="radio" value="2" checked/);
      expect(res.body).toContain('x'.repeat(1201));
      expect((await satisfaction('tax-your-vehicle')).responses).toBe(before.responses);
    });

    it('counts a line break as one character, as the character count does', async () => {
      // 400 lines of "ab" → 800 letters + 399 line breaks = 1199 characters, though CRLF makes it 1598 bytes.
      const text = Array.from({ length: 400 }, () => 'ab').join('\r\n');
      const res = await postFeedback('pay-a-parking-fine', { rating: '3', improvement: text });
      expect(res.statusCode).toBe(303);
    });

    it('stores valid feedback and redirects to a thank-you page', async () => {
      const before = await satisfaction('tax-your-vehicle');
      const res = await postFeedback('tax-your-vehicle', { rating: '5', improvement: 'Quick and clear.' });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/services/tax-your-vehicle/feedback/thanks');
      const after = await satisfaction('tax-your-vehicle');
      expect(after.responses).toBe(before.responses + 1);
      const comments = await built.modules.catalogue.service.recentComments(
        (await built.modules.catalogue.service.getService('tax-your-vehicle')).id,
      );
      expect(comments.some((c) => c.improvement === 'Quick and clear.' && c.rating === 5)).toBe(true);

      const thanks = await get(res.headers.location as string);
      expect(thanks.statusCode).toBe(200);
      expect(thanks.body).toMatch(
        /<div class="govuk-panel govuk-panel--confirmation">\s*<h1 class="govuk-panel__title">\s*Thank you for your feedback\s*<\/h1>/,
      );
      expect(thanks.body).toContain('href="/services/tax-your-vehicle"');
    });

    it('takes feedback in Welsh and thanks in Welsh', async () => {
      const before = await satisfaction('pay-council-tax');
      const bad = await postFeedback('pay-council-tax', {}, { query: '?lang=cy' });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toContain('<a href="#rating">Dewiswch pa mor fodlon ydych chi gyda’r gwasanaeth</a>');
      const res = await postFeedback('pay-council-tax', { rating: '4' }, { query: '?lang=cy' });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/services/pay-council-tax/feedback/thanks?lang=cy');
      expect((await satisfaction('pay-council-tax')).responses).toBe(before.responses + 1);
      const thanks = await get(res.headers.location as string);
      expect(mainText(thanks.body)).toContain('Diolch am eich adborth');
      expect(mainText(thanks.body)).toContain('Talu eich treth gyngor');
    });

    it('refuses a POST without the CSRF token', async () => {
      const before = await satisfaction('tax-your-vehicle');
      const res = await postFeedback('tax-your-vehicle', { rating: '5' }, { csrf: false });
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toContain('text/html');
      expect(mainText(res.body)).toContain('This form has expired');
      expect((await satisfaction('tax-your-vehicle')).responses).toBe(before.responses);
    });

    it('gives a 404 page for feedback on an unknown service', async () => {
      const page = await get('/services/tax-your-vehicle');
      const session = formSession(page);
      const res = await built.app.inject({
        method: 'POST',
        url: '/services/no-such-service/feedback',
        payload: new URLSearchParams({ _csrf: session.csrf, rating: '5' }).toString(),
        headers: { ...html, 'content-type': FORM, cookie: cookieHeader(session.cookies) },
      });
      expect(res.statusCode).toBe(404);
      expect(mainText(res.body)).toContain('Page not found');
      expect((await get('/services/no-such-service/feedback/thanks')).statusCode).toBe(404);
    });
  });
});

describe('service panels from other modules', () => {
  let built: TestApp;
  beforeAll(async () => {
    built = await buildTestApp({ seed: true });
  });
  afterAll(async () => {
    await built?.close();
  });

  it('renders each non-null panel as a section, and survives a failing one', async () => {
    const seen: Array<[string, string]> = [];
    built.modules.catalogue.addServicePanel(async (service, lang) => {
      seen.push([service.slug, lang]);
      return {
        title: lang === 'cy' ? 'Perfformiad byw' : 'Live performance',
        html: `<p class="govuk-body" id="perf">${service.slug} has 42 users online</p>`,
      };
    });
    built.modules.catalogue.addServicePanel(async () => null);
    built.modules.catalogue.addServicePanel(async () => {
      throw new Error('performance store is down');
    });

    const res = await built.app.inject({ method: 'GET', url: '/services/tax-your-vehicle', headers: html });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(
      /<section[^>]*aria-labelledby="panel-1-title">\s*<h2 class="govuk-heading-m" id="panel-1-title">Live performance<\/h2>\s*<p class="govuk-body" id="perf">tax-your-vehicle has 42 users online<\/p>/,
    );
    expect(res.body).not.toContain('panel-2-title');
    // Panels come after the catalogue's own sections and before the feedback form.
    expect(res.body.indexOf('Live performance')).toBeGreaterThan(res.body.indexOf('Platforms this service uses'));
    expect(res.body.indexOf('Live performance')).toBeLessThan(res.body.indexOf('Give feedback on this service'));

    const cy = await built.app.inject({ method: 'GET', url: '/services/tax-your-vehicle?lang=cy', headers: html });
    expect(cy.body).toContain('Perfformiad byw');
    expect(seen).toEqual([
      ['tax-your-vehicle', 'en'],
      ['tax-your-vehicle', 'cy'],
    ]);
  });

  it('rate-limits the feedback form', async () => {
    const page = await built.app.inject({ method: 'GET', url: '/services/register-a-birth', headers: html });
    const session = formSession(page);
    const post = () =>
      built.app.inject({
        method: 'POST',
        url: '/services/register-a-birth/feedback',
        payload: new URLSearchParams({ _csrf: session.csrf }).toString(),
        headers: { ...html, 'content-type': FORM, cookie: cookieHeader(session.cookies) },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await post()).statusCode);
    expect(statuses.slice(0, 20).every((s) => s === 400)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});
