// The runner through HTTP: a whole walk through a real form (conditions, routing, a repeating
// section, checkboxes, dates), check your answers with change links, one submission with its
// delivery rows and event; skipped pages, tampered hidden fields, replayed sends and bad input
// refused; the fee on the test or live ledger as the service's payments account is; the pull API
// with acknowledgement, scoped to its service; Welsh pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, formBrowser, type TestApp } from '../../../test/helpers.js';
import { DEMO_FORMS } from './demo.js';
import { starterDefinition } from './admin.js';
import type { Definition } from './definition.js';

let t: TestApp;
let serviceId: string;
const slug = 'apply-for-carers-support';

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  const s = await t.modules.catalogue.service.getService(slug);
  serviceId = s.id;
  await t.modules.forms.service.save({ id: s.id, slug }, DEMO_FORMS[slug], { by: 'test', live: true });
});
afterAll(async () => {
  await t?.close();
});

async function start() {
  const b = formBrowser(t);
  const page = await b.get(`/forms/${slug}`);
  expect(page.statusCode).toBe(200);
  expect(page.body).toContain('Apply for carer’s support');
  const res = await b.post(`/forms/${slug}/start`, {});
  expect(res.statusCode).toBe(303);
  expect(res.headers.location).toBe(`/forms/${slug}/name`);
  return b;
}
const v = () => ({ _v: '1' });

describe('the runner', () => {
  it('walks a whole form: conditions, add another, check answers, one submission', async () => {
    const b = await start();
    await b.get(`/forms/${slug}/name`);
    // Bad input re-renders with the error summary and keeps the answer.
    let r = await b.post(`/forms/${slug}/name`, { ...v(), _page: 'name', fullName: '' });
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('govuk-error-summary');
    expect(r.body).toContain('href="#fullName"');
    r = await b.post(`/forms/${slug}/name`, { ...v(), _page: 'name', fullName: 'Sam Carer' });
    expect(r.headers.location).toBe(`/forms/${slug}/dob`);
    r = await b.post(`/forms/${slug}/dob`, {
      ...v(),
      _page: 'dob',
      'dateOfBirth-day': '31',
      'dateOfBirth-month': '2',
      'dateOfBirth-year': '1980',
    });
    expect(r.statusCode).toBe(400);
    expect(r.body).toContain('href="#dateOfBirth-day"');
    r = await b.post(`/forms/${slug}/dob`, {
      ...v(),
      _page: 'dob',
      'dateOfBirth-day': '27',
      'dateOfBirth-month': '3',
      'dateOfBirth-year': '1980',
    });
    expect(r.headers.location).toBe(`/forms/${slug}/people`);
    // A page further on cannot be reached by skipping.
    r = await b.get(`/forms/${slug}/contact`);
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe(`/forms/${slug}/people`);
    r = await b.post(`/forms/${slug}/contact`, { ...v(), _page: 'contact', email: 'sam@example.org' });
    expect(r.headers.location).toBe(`/forms/${slug}/people`);
    // Add another: two people.
    r = await b.post(`/forms/${slug}/people?item=1`, { ...v(), _page: 'people', personName: 'Alex', hours: '20' });
    expect(r.headers.location).toBe(`/forms/${slug}/people/add-another`);
    expect((await b.get(`/forms/${slug}/people/add-another`)).body).toContain('Alex');
    r = await b.post(`/forms/${slug}/people/add-another`, { ...v(), another: 'yes' });
    expect(r.headers.location).toBe(`/forms/${slug}/people?item=2`);
    r = await b.post(`/forms/${slug}/people?item=2`, { ...v(), _page: 'people', personName: 'Jo', hours: 'lots' });
    expect(r.statusCode).toBe(400);
    r = await b.post(`/forms/${slug}/people?item=2`, { ...v(), _page: 'people', personName: 'Jo', hours: '10' });
    r = await b.post(`/forms/${slug}/people/add-another`, { ...v(), another: 'no' });
    expect(r.headers.location).toBe(`/forms/${slug}/help`);
    // A checkbox value that is not an option is refused.
    r = await b.post(`/forms/${slug}/help`, { ...v(), _page: 'help', help: ['break', 'bogus'] });
    expect(r.statusCode).toBe(400);
    r = await b.post(`/forms/${slug}/help`, { ...v(), _page: 'help', help: ['break', 'money'] });
    // Routing: "no" skips the employer page.
    r = await b.post(`/forms/${slug}/working`, { ...v(), _page: 'working', working: 'yes' });
    expect(r.headers.location).toBe(`/forms/${slug}/employer`);
    await b.get(`/forms/${slug}/working`);
    r = await b.post(`/forms/${slug}/working`, { ...v(), _page: 'working', working: 'no' });
    expect(r.headers.location).toBe(`/forms/${slug}/contact`);
    r = await b.post(`/forms/${slug}/contact`, { ...v(), _page: 'contact', email: 'sam@example.org' });
    expect(r.headers.location).toBe(`/forms/${slug}/check`);
    const check = await b.get(`/forms/${slug}/check`);
    expect(check.statusCode).toBe(200);
    for (const s of ['Sam Carer', '27 March 1980', 'Alex', 'Jo', 'A break from caring, Advice about money', 'sam@example.org'])
      expect(check.body).toContain(s);
    expect(check.body).toContain(`href="/forms/${slug}/name?change=1"`);
    expect(check.body).not.toContain('Who do you work for?');
    // A tampered hidden field is refused, nothing sent.
    const hash = /name="_answers" value="([^"]+)"/.exec(check.body)![1];
    r = await b.post(`/forms/${slug}/check`, { _v: '2', _answers: hash });
    expect(r.statusCode).toBe(409);
    r = await b.post(`/forms/${slug}/check`, { _v: '1', _answers: 'not-the-answers' });
    expect(r.statusCode).toBe(409);
    expect(await t.modules.forms.service.countSubmissions(serviceId)).toBe(0);
    r = await b.post(`/forms/${slug}/check`, { _v: '1', _answers: hash });
    expect(r.headers.location).toBe(`/forms/${slug}/confirmation`);
    const conf = await b.get(`/forms/${slug}/confirmation`);
    const ref = /<strong>(CS-[A-Z0-9]{5}-[A-Z0-9]{5})<\/strong>/.exec(conf.body)?.[1];
    expect(ref).toBeTruthy();
    // A replayed send makes nothing new.
    r = await b.post(`/forms/${slug}/check`, { _v: '1', _answers: hash });
    expect(r.headers.location).toBe(`/forms/${slug}/confirmation`);
    const subs = await t.modules.forms.service.submissions(serviceId);
    expect(subs).toHaveLength(1);
    expect(subs[0].reference).toBe(ref);
    expect(subs[0].version).toBe(1);
    expect(subs[0].answers.filter((a) => a.page === 'people').map((a) => a.text)).toEqual(['Alex', '20', 'Jo', '10']);
    expect(subs[0].answers.some((a) => a.question === 'employer')).toBe(false);
    const deliveries = await t.modules.forms.service.deliveriesOf(subs[0].id);
    expect(deliveries.map((d) => d.kind).sort()).toEqual(['api', 'confirmation']);
    const ev = await t.kernel.db.query<{ type: string }>("SELECT type FROM kernel.events WHERE type LIKE 'forms.%' ORDER BY id");
    expect(ev.rows.map((e) => e.type)).toEqual(expect.arrayContaining(['forms.started', 'forms.submission.created']));
  });

  it("takes the fee on the test ledger until the service's payments account is live, then live; a preview never live", async () => {
    const feeSlug = 'apply-for-a-concessionary-travel-pass';
    const s = await t.modules.catalogue.service.getService(feeSlug);
    const def = { ...starterDefinition('Travel pass'), fee: { description: 'Pass fee', amount: 500 } };
    await t.modules.forms.service.save({ id: s.id, slug: feeSlug }, def, { by: 'test', live: true });
    /** Answers every page of the live form (or the draft's preview), then continues to pay: the new payment's ledger. */
    async function payOnce(preview = false): Promise<boolean> {
      const b = formBrowser(t);
      const f = (await t.modules.forms.service.form(feeSlug))!;
      const startAt = preview ? `/forms/${feeSlug}/preview/${f.preview_token}` : `/forms/${feeSlug}`;
      await b.get(startAt);
      await b.post(preview ? startAt : `/forms/${feeSlug}/start`, {});
      await b.get(`/forms/${feeSlug}/name`);
      await b.post(`/forms/${feeSlug}/name`, { ...v(), _page: 'name', fullName: 'Pat Payer' });
      await b.post(`/forms/${feeSlug}/contact`, { ...v(), _page: 'contact', email: 'pat@example.org' });
      const check = await b.get(`/forms/${feeSlug}/check`);
      expect(check.body).toContain('£5');
      const hash = /name="_answers" value="([^"]+)"/.exec(check.body)![1];
      const r = await b.post(`/forms/${feeSlug}/check`, { _v: '1', _answers: hash });
      expect(r.statusCode).toBe(303);
      expect(String(r.headers.location)).toMatch(/\/pay\/secure\//);
      const { rows } = await t.kernel.db.query<{ live: boolean; amount: number }>(
        'SELECT live, amount FROM payments.payments WHERE service_id = $1 ORDER BY created_at DESC LIMIT 1',
        [s.id],
      );
      expect(rows[0].amount).toBe(500);
      return rows[0].live;
    }
    expect(await payOnce()).toBe(false);
    // The service goes live with payments: a live pay key.
    const key = await t.modules.catalogue.service.createApiKey(cli, { serviceSlug: feeSlug, platform: 'pay', type: 'live' });
    expect(await payOnce()).toBe(true);
    expect(await payOnce(true)).toBe(false);
    // A revoked live key: back to test payments.
    await t.modules.catalogue.service.revokeApiKey(cli, key.key.id);
    expect(await payOnce()).toBe(false);
  });

  it('refuses a post for another page than the one rendered, and posts without the CSRF token', async () => {
    const b = await start();
    let r = await b.post(`/forms/${slug}/name`, { ...v(), _page: 'dob', fullName: 'X' });
    expect(r.statusCode).toBe(409);
    r = await b.post(`/forms/${slug}/name`, { ...v(), _page: 'name', fullName: 'X' }, { csrf: false });
    expect(r.statusCode).toBe(403);
  });

  it('never answers 500 to fuzzed input', async () => {
    const b = await start();
    const junk = ['', '\u0000', 'a'.repeat(20_000), '<script>', '%', '../../etc', '{"a":1}'];
    for (const x of junk) {
      for (const path of ['name', 'dob', 'people', 'help', 'nope', 'check']) {
        const r = await b.post(`/forms/${slug}/${path}?item=${encodeURIComponent(x)}`, {
          _v: x,
          _page: x,
          fullName: x,
          help: [x, x],
          'dateOfBirth-day': x,
        });
        expect(r.statusCode, `${path} ${x.slice(0, 10)}`).toBeLessThan(500);
      }
    }
    expect((await b.get('/forms/no-such-form')).statusCode).toBe(404);
  });

  it('shows the form in Welsh', async () => {
    const b = formBrowser(t);
    const r = await b.get(`/forms/${slug}?lang=cy`);
    expect(r.body).toContain('Gwneud cais am gymorth i ofalwyr');
    expect(r.body).toContain('Dechrau nawr');
  });

  it('sends Start now on the catalogue page to the live form', async () => {
    const r = await formBrowser(t).get(`/services/${slug}`);
    expect(r.body).toContain(`href="/forms/${slug}"`);
  });
});

describe('the pull API', () => {
  it('lists pending submissions to its own service only, and acknowledges them once', async () => {
    const { secret } = await t.modules.catalogue.service.createApiKey(cli, { serviceSlug: slug, platform: 'forms', type: 'live' });
    const other = await t.modules.catalogue.service.createApiKey(cli, { serviceSlug: 'pay-council-tax', platform: 'forms', type: 'live' });
    const get = (key: string, url: string, method: 'GET' | 'POST' = 'GET') =>
      t.app.inject({ method, url, headers: { authorization: `Bearer ${key}` } });
    expect((await t.app.inject({ method: 'GET', url: '/forms/api/v1/submissions' })).statusCode).toBe(401);
    const list = (await get(secret, '/forms/api/v1/submissions')).json();
    expect(list.submissions.length).toBeGreaterThanOrEqual(1);
    const id = list.submissions[0].id;
    expect((await get(other.secret, '/forms/api/v1/submissions')).json().submissions).toHaveLength(0);
    expect((await get(other.secret, `/forms/api/v1/submissions/${id}`)).statusCode).toBe(404);
    expect((await get(other.secret, `/forms/api/v1/submissions/${id}/acknowledge`, 'POST')).statusCode).toBe(404);
    const ack = await get(secret, `/forms/api/v1/submissions/${id}/acknowledge`, 'POST');
    expect(ack.json()).toMatchObject({ acknowledged: true, already: false });
    expect((await get(secret, `/forms/api/v1/submissions/${id}/acknowledge`, 'POST')).json()).toMatchObject({ already: true });
    expect((await get(secret, '/forms/api/v1/submissions')).json().submissions.map((s: { id: string }) => s.id)).not.toContain(id);
  });

  it('refuses an invalid definition with the path of each error', async () => {
    const { secret } = await t.modules.catalogue.service.createApiKey(cli, { serviceSlug: slug, platform: 'forms', type: 'live' });
    const bad = {
      title: 'x',
      pages: [{ id: 'a', title: 'A', questions: [{ id: 'q', type: 'radios', label: 'Q' }] }],
    } as unknown as Definition;
    const r = await t.app.inject({
      method: 'POST',
      url: '/forms/api/v1/definition',
      headers: { authorization: `Bearer ${secret}` },
      payload: bad,
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0]).toMatchObject({ field: '/pages/0/questions/0' });
    const schema = await t.app.inject({ method: 'GET', url: '/forms/schema/v1.json' });
    expect(schema.json().title).toBe('Cityscape form definition');
  });
});
