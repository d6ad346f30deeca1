// The staff side through HTTP as a browser uses it (cookies, CSRF, forms): entering the team's
// figures, publishing a data set, notes on the public chart, alerts sent through Notify when a
// KPI crosses a line (once, until it clears), the office-holder's dashboards — and a team seeing
// only its own organisation's services.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, staffBrowser, type TestApp } from '../../../test/helpers.js';
import { cli, perfFixture } from './testing.js';
import { datasets } from './backdrop-records.js';

const PASSWORD = 'a long enough password';
let t: TestApp;
let a: Awaited<ReturnType<typeof perfFixture>>;
let b: Awaited<ReturnType<typeof perfFixture>>;

const signIn = (email: string) => staffBrowser(t, email, PASSWORD);

beforeAll(async () => {
  t = await buildTestApp();
  a = await perfFixture(t, { holder: 'Cllr Ada Jones' });
  b = await perfFixture(t, { holder: 'Cllr Bo Smith' });
  await t.modules.catalogue.service.createStaff(cli, {
    email: 'team-a@example.gov.uk',
    password: PASSWORD,
    role: 'service_team',
    organisationSlug: a.org.slug,
  });
});
afterAll(() => t?.close());

describe('the performance console', () => {
  it('asks for a sign-in, and shows a team only its own services', async () => {
    const anon = await t.app.inject({ method: 'GET', url: `/admin/performance/${a.service.slug}`, headers: { accept: 'text/html' } });
    expect(anon.statusCode).toBe(303);
    expect(anon.headers.location).toContain('/admin/sign-in');
    const br = await signIn('team-a@example.gov.uk');
    const home = await br.get('/admin/performance');
    expect(home.body).toContain(a.service.name);
    expect(home.body).not.toContain(b.service.name);
    expect((await br.get(`/admin/performance/${b.service.slug}`)).statusCode).toBe(403);
    expect((await br.post(`/admin/performance/${b.service.slug}/notes`, { 'note-text': 'x' })).statusCode).toBe(403);
  });

  it('saves the team’s figures as Backdrop records that count in the KPIs, with errors in the summary', async () => {
    const br = await signIn('team-a@example.gov.uk');
    const page = await br.get(`/admin/performance/${a.service.slug}`);
    expect(page.statusCode).toBe(200);
    const bad = await br.post(`/admin/performance/${a.service.slug}/figures`, {
      'fig-date-day': '31',
      'fig-date-month': '2',
      'fig-date-year': '2025',
      'fig-phone': 'lots',
      'fig-cost': '-5',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('govuk-error-summary');
    for (const message of [
      'Date must be a real date',
      'Select whether the figures cover a week or a month',
      'Enter a whole number of transactions',
      'Enter the cost in pounds',
    ])
      expect(bad.body).toContain(message);
    expect(bad.body).toContain('value="lots"'); // what was typed is kept
    const now = new Date();
    const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - ((now.getUTCDay() + 6) % 7)));
    const ok = await br.post(`/admin/performance/${a.service.slug}/figures`, {
      'fig-date-day': String(monday.getUTCDate()),
      'fig-date-month': String(monday.getUTCMonth() + 1),
      'fig-date-year': String(monday.getUTCFullYear()),
      'fig-period': 'week',
      'fig-phone': '70',
      'fig-paper': '',
      'fig-face': '0',
      'fig-cost': '£1,400.00',
    });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toContain('done=figures-saved');
    const week = { from: monday, to: new Date(monday.getTime() + 7 * 86_400_000) };
    const k = await t.modules.performance.kpis(a.service.id, week);
    expect(k.transactions).toBe(70);
    expect(k.costPerTransaction).toBeCloseTo(20);
    expect(k.digitalTakeUp).toBe(0);
    // The same week again replaces, never adds.
    await br.post(`/admin/performance/${a.service.slug}/figures`, {
      'fig-date-day': String(monday.getUTCDate()),
      'fig-date-month': String(monday.getUTCMonth() + 1),
      'fig-date-year': String(monday.getUTCFullYear()),
      'fig-period': 'week',
      'fig-phone': '35',
    });
    expect((await t.modules.performance.kpis(a.service.id, week)).transactions).toBe(35);
  });

  it('publishes a private data set for anyone to read', async () => {
    const br = await signIn('team-a@example.gov.uk');
    const ds = (await datasets.get(t.kernel.db, a.service.slug, 'cost'))!;
    expect((await t.app.inject({ method: 'GET', url: `/performance/data/${a.service.slug}/cost` })).statusCode).toBe(404);
    await br.get(`/admin/performance/${a.service.slug}`);
    const res = await br.post(`/admin/performance/${a.service.slug}/data-sets/${ds.id}`, { public: 'true' });
    expect(res.statusCode).toBe(303);
    expect((await t.app.inject({ method: 'GET', url: `/performance/data/${a.service.slug}/cost` })).statusCode).toBe(200);
  });

  it('puts notes and decisions on the public chart', async () => {
    const br = await signIn('team-a@example.gov.uk');
    await br.get(`/admin/performance/${a.service.slug}`);
    const empty = await br.post(`/admin/performance/${a.service.slug}/notes`, { 'note-text': '', 'note-link': 'javascript:alert(1)' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Enter a date');
    expect(empty.body).toContain('Enter a link starting https:// or /');
    const today = new Date();
    const res = await br.post(`/admin/performance/${a.service.slug}/notes`, {
      'note-date-day': String(today.getUTCDate()),
      'note-date-month': String(today.getUTCMonth() + 1),
      'note-date-year': String(today.getUTCFullYear()),
      'note-text': 'Card fee removed <b>today</b>',
      'note-link': '/services/x#decisions',
    });
    expect(res.statusCode).toBe(303);
    await t.modules.catalogue.service.addDecision(cli, a.service.slug, {
      decided_on: today.toISOString().slice(0, 10),
      decision: 'Open on Saturdays',
      decided_by: 'Cabinet',
    });
    const pub = await t.app.inject({
      method: 'GET',
      url: `/performance/services/${a.service.slug}?period=month`,
      headers: { accept: 'text/html' },
    });
    expect(pub.body).toContain('Card fee removed &lt;b&gt;today&lt;/b&gt;');
    expect(pub.body).toContain('Decision: <span>Open on Saturdays</span>');
    expect(pub.body).toMatch(/class="cs-chart__mark" aria-hidden="true">2</);
  });
});

describe('alerts', () => {
  it('sends once through Notify when a KPI crosses the line, and again only after it has cleared', async () => {
    const br = await signIn('team-a@example.gov.uk');
    await br.get(`/admin/performance/${a.service.slug}`);
    const bad = await br.post(`/admin/performance/${a.service.slug}/alerts`, {
      'alert-kpi': 'completionRate',
      'alert-rule': 'below',
      'alert-threshold': '150',
      'alert-channel': 'email',
      'alert-recipient': 'not an address',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter the threshold as a percentage between 0 and 100');
    expect(bad.body).toContain('Enter an email address in the correct format');
    const ok = await br.post(`/admin/performance/${a.service.slug}/alerts`, {
      'alert-kpi': 'completionRate',
      'alert-rule': 'below',
      'alert-threshold': '50',
      'alert-channel': 'email',
      'alert-recipient': 'minister@example.gov.uk',
    });
    expect(ok.statusCode).toBe(303);

    const rec = (type: string, key: string) => t.modules.performance.record(null, { serviceId: a.service.id, type, key });
    for (const k of ['p1', 'p2', 'p3', 'p4']) await rec('forms.started', k);
    await rec('forms.submission.created', 'p1'); // 25% < 50%
    expect(await t.modules.performance.alerts.evaluate()).toBe(1);
    expect(await t.modules.performance.alerts.evaluate()).toBe(0); // still firing: no second message
    const sent = await t.modules.notify.service.search(a.service.id, { types: ['email'], limit: 10, offset: 0 });
    expect(sent.length).toBe(1);
    expect(JSON.stringify(sent[0])).toContain('minister@example.gov.uk');
    for (const k of ['p2', 'p3', 'p4']) await rec('forms.submission.created', k); // 100%: clears
    expect(await t.modules.performance.alerts.evaluate()).toBe(0);
    for (const k of ['p5', 'p6', 'p7', 'p8', 'p9', 'p10', 'p11', 'p12']) await rec('forms.started', k); // 4/12: fires again
    expect(await t.modules.performance.alerts.evaluate()).toBe(1);
    const page = await br.get(`/admin/performance/${a.service.slug}`);
    expect(page.body).toContain('Firing');
  });
});

describe('dashboards', () => {
  it('lists office-holders, and shows one’s services live', async () => {
    const br = await signIn('team-a@example.gov.uk');
    const list = await br.get('/dashboards');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Cllr Ada Jones');
    expect(list.body).not.toContain('Cllr Bo Smith'); // another organisation's
    const mine = await br.get(`/dashboards?holder=${encodeURIComponent('Cllr Ada Jones')}`);
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain(`data-service="${a.service.slug}"`);
    expect(mine.body).toContain(`data-performance-live="/performance/live?services=${a.service.slug}"`);
    expect((await br.get(`/dashboards?holder=${encodeURIComponent('Cllr Bo Smith')}`)).statusCode).toBe(404);
    expect((await br.get(`/dashboards?holder=${encodeURIComponent('Cllr Ada Jones')}&period=eon`)).statusCode).toBe(400);
  });
});
