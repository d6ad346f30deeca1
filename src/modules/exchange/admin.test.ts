// The exchange's staff console: any staff member sees members, services, bases and rights; a
// platform administrator grants a right (a bad one re-renders with a GOV.UK error summary)
// and revokes it; an organisation administrator cannot change the exchange.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, formBrowser, cli, staffBrowser, type TestApp } from '../../../test/helpers.js';

let t: TestApp;
const PASSWORD = 'a long staff passphrase 1';
const signIn = (email: string) => staffBrowser(t, email, PASSWORD);

beforeAll(async () => {
  t = await buildTestApp({ seed: true });
  await t.modules.exchange.seedDemo();
  const c = t.modules.catalogue.service;
  await c.createStaff(cli, { email: 'platform@example.org', password: PASSWORD, role: 'platform_admin' });
  await c.createStaff(cli, {
    email: 'council@example.org',
    password: PASSWORD,
    role: 'organisation_admin',
    organisationSlug: 'riverside-city-council',
  });
});
afterAll(async () => {
  await t?.close();
});

describe('/admin/exchange', () => {
  it('needs a signed-in staff member', async () => {
    const anon = await formBrowser(t).get('/admin/exchange');
    expect(anon.statusCode).toBe(303);
  });

  it('shows members, services, bases and rights; a platform administrator grants and revokes', async () => {
    const b = await signIn('platform@example.org');
    const page = await b.get('/admin/exchange');
    expect(page.statusCode).toBe(200);
    for (const s of [
      'UK/GOV/DWP',
      'UK/GOV/DWP/benefits/entitlement',
      'dpv-pd:HealthRecord',
      'Chronically Sick and Disabled Persons Act 1970',
      'UK/LA/RIVERSIDE/bluebadge → UK/GOV/DWP/benefits/entitlement',
    ])
      expect(page.body).toContain(s);
    const bad = await b.post('/admin/exchange/rights', {
      client: 'UK/LA/RIVERSIDE/bluebadge',
      service: 'UK/GOV/HMRC/income/band',
      purposes: 'marketing',
      attributes: 'income_band',
      bases: 'public-task:blue-badge',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('govuk-error-summary');
    expect(bad.body).toContain('href="#purposes"');
    const ok = await b.post('/admin/exchange/rights', {
      client: 'UK/LA/RIVERSIDE/bluebadge',
      service: 'UK/GOV/HMRC/income/band',
      purposes: 'dpv:ServiceProvision',
      attributes: 'income_band',
      bases: 'public-task:blue-badge',
    });
    expect(ok.statusCode).toBe(303);
    const after = await b.get('/admin/exchange?done=granted');
    expect(after.body).toContain('UK/LA/RIVERSIDE/bluebadge → UK/GOV/HMRC/income/band');
    const right = (await t.modules.exchange.directory.get()).rights;
    const id = [...right.values()].flat().find((r) => r.attributes.includes('income_band') && r.client === 'UK/LA/RIVERSIDE/bluebadge')!.id;
    expect((await b.post(`/admin/exchange/rights/${id}/revoke`, {})).statusCode).toBe(303);
    expect((await b.get('/admin/exchange')).body).not.toContain('UK/LA/RIVERSIDE/bluebadge → UK/GOV/HMRC/income/band');
    expect((await b.get('/admin/exchange?lang=cy')).body).toContain('Hawliau mynediad');
  });

  it('lets an organisation administrator look but not change', async () => {
    const b = await signIn('council@example.org');
    const page = await b.get('/admin/exchange');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('action="/admin/exchange/rights"');
    const tried = await b.post('/admin/exchange/rights', {
      client: 'UK/LA/RIVERSIDE/bluebadge',
      service: 'UK/GOV/HMRC/income/band',
      purposes: 'dpv:ServiceProvision',
      attributes: 'income_band',
      bases: 'public-task:blue-badge',
    });
    expect(tried.statusCode).toBe(403);
  });
});
