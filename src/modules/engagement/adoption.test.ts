// Adoption of the shared platforms through HTTP on a real database: a platform is in use by a
// service when its keys had traffic in the last 30 days (or it has a live sign-in client or
// form); new services are judged against the rule that they use each shared platform they list;
// an exemption (reason, expiry) is recorded by staff as a decision in the service's log and
// shown until it ends; the monthly trend and the open data say the same, in English and Welsh.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, formBrowser, type TestApp } from '../../../test/helpers.js';
import { cli, day, engagementFixture, staffBrowser } from './testing.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: false });
});
afterAll(() => t.close());

describe('adoption of the shared platforms', () => {
  it('comes from real use, is judged against the rule with exemptions as decisions, and has a monthly trend', async () => {
    const f = await engagementFixture(t);
    const cat = t.modules.catalogue.service;
    // A new service (beta) that says it uses payments and notify.
    const svc = await cat.createService(cli, {
      slug: `parking-permits-${Date.now().toString(36)}`,
      name: 'Parking permits',
      summary: 'Permits',
      phase: 'beta',
      organisation_slug: f.org.slug,
      platforms: ['payments', 'notify'],
    } as never);
    let page = await t.app.inject({ url: `/platforms/adoption/${f.org.slug}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Parking permits');
    expect(page.body).toContain('Does not meet the rule');
    expect(page.body).toMatch(/Payments: listed by the service but not in use/);

    // Real use: calls with a pay key.
    const { secret } = await cat.createApiKey(cli, { serviceSlug: svc.slug, platform: 'pay', type: 'live' });
    for (let i = 0; i < 3; i++)
      expect((await t.app.inject({ url: '/pay/v1/payments', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(200);
    page = await t.app.inject({ url: `/platforms/adoption/${f.org.slug}` });
    expect(page.body).toMatch(/Payments: in use \(API key traffic; 3 calls in 30 days\)/);
    expect(page.body).toMatch(/Emails, text messages and letters: listed by the service but not in use/);

    // An exemption from Notify, recorded by the team as a decision.
    const staff = await staffBrowser(t, f.email);
    let res = await staff.get(`/admin/platforms/exemptions?service=${svc.slug}`);
    expect(res.statusCode).toBe(200);
    res = await staff.post('/admin/platforms/exemptions', { service: svc.slug, platform: 'notify', reason: '' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Enter the reason for the exemption');
    expect(res.body).toContain('Enter a real date when the exemption ends');
    const [y, m, d] = day(-3).split('-');
    res = await staff.post('/admin/platforms/exemptions', {
      service: svc.slug,
      platform: 'notify',
      reason: 'x',
      'expires-day': d,
      'expires-month': m,
      'expires-year': y,
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('The exemption must end in the future');
    const [y2, m2, d2] = day(90).split('-');
    res = await staff.post('/admin/platforms/exemptions', {
      service: svc.slug,
      platform: 'notify',
      reason: 'Our letters contract runs to the end of the year <b>bold</b>',
      'expires-day': d2,
      'expires-month': m2,
      'expires-year': y2,
    });
    expect(res.statusCode).toBe(303);
    const detail = await cat.getServiceDetail(svc.slug);
    expect(detail.decisions[0]!.decision).toBe(`Exempt from the shared notify platform until ${day(90)}`);
    expect(detail.decisions[0]!.reasoning).toContain('Our letters contract');
    page = await t.app.inject({ url: `/platforms/adoption/${f.org.slug}` });
    expect(page.body).toContain('Meets the rule');
    expect(page.body).toContain(`exempt until ${day(90)}`);
    expect(page.body).toContain('&lt;b&gt;bold&lt;/b&gt;');

    // Another organisation's staff cannot exempt this service.
    const other = await engagementFixture(t);
    const otherStaff = await staffBrowser(t, other.email);
    res = await otherStaff.post('/admin/platforms/exemptions', {
      service: svc.slug,
      platform: 'notify',
      reason: 'no',
      'expires-day': d2,
      'expires-month': m2,
      'expires-year': y2,
    });
    expect(res.statusCode).toBe(403);

    // Across government, the trend and the open data.
    page = await t.app.inject({ url: '/platforms/adoption' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`href="/platforms/adoption/${f.org.slug}"`);
    const month = new Date().toISOString().slice(0, 7);
    expect(page.body).toContain(month);
    const json = (await t.app.inject({ url: '/platforms/adoption.json' })).json();
    const row = json.rows.find((r: { service: string; platform: string }) => r.service === svc.slug && r.platform === 'payments');
    expect(row).toMatchObject({ in_use: true, declared: true, calls_30_days: 3, in_scope: true });
    expect(
      json.rows.find((r: { service: string; platform: string }) => r.service === svc.slug && r.platform === 'notify').exempt_until,
    ).toBe(day(90));
    expect(
      json.trend.find((r: { month: string; platform: string }) => r.month === month && r.platform === 'payments').services,
    ).toBeGreaterThanOrEqual(1);
    const csvRes = await t.app.inject({ url: '/platforms/adoption.csv' });
    expect(csvRes.body).toContain(`${f.org.slug},local_authority,${svc.slug},beta,payments,true,true,keys,3,,true`);
    const cy = await formBrowser(t).get(`/platforms/adoption/${f.org.slug}?lang=cy`);
    expect(cy.body).toContain('Platfformau a rennir a ddefnyddir gan');

    // Hostile input never a 500.
    for (const url of [
      '/platforms/adoption/%00',
      '/platforms/adoption/%ED%A0%80',
      '/platforms/adoption.xml',
      `/platforms/adoption/${'9'.repeat(300)}`,
    ])
      expect((await t.app.inject({ url })).statusCode, url).toBeLessThan(500);
    const hostile: Array<Record<string, string | string[]>> = [
      { service: '\u0000', platform: 'notify', reason: 'r', 'expires-day': d2, 'expires-month': m2, 'expires-year': y2 },
      {
        service: svc.slug,
        platform: '\ud800',
        reason: 'r',
        'expires-day': '99999999999999999999',
        'expires-month': m2,
        'expires-year': y2,
      },
      { service: [svc.slug, svc.slug], platform: 'notify', reason: 'r' },
    ];
    for (const fields of hostile)
      expect((await staff.post('/admin/platforms/exemptions', fields)).statusCode, JSON.stringify(fields)).toBeLessThan(500);
  });
});
