// The shared platforms are catalogue services (demo: each with an owner, roadmap and decisions,
// linked from the services that use them), and real use of API keys is counted per key per day
// in memory and written in batches: the counts add up across flushes and concurrent callers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, type TestApp } from '../../../test/helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: true });
});
afterAll(() => t.close());

describe('shared platforms in the catalogue', () => {
  it('are demo services with an accountable owner, roadmap and decisions, linked both ways', async () => {
    const services = await t.modules.catalogue.service.listServices();
    const platforms = services.filter((s) => s.platform);
    expect(platforms.map((s) => s.platform).sort()).toEqual([
      'addresses',
      'catalogue',
      'consent',
      'engagement',
      'exchange',
      'experiments',
      'forms',
      'identity',
      'notify',
      'payments',
      'performance',
      'rooms',
    ]);
    const notify = await t.modules.catalogue.service.getServiceDetail('cityscape-notify');
    expect(notify.office_holder?.role).toBe('Minister of State for Digital Government');
    expect(notify.roadmap.length).toBeGreaterThan(0);
    expect(notify.decisions.length).toBeGreaterThan(0);

    const page = await t.app.inject({ url: '/services/cityscape-notify' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Services that use this platform');
    expect(page.body).toContain('href="/services/apply-for-a-blue-badge"');
    const user = await t.app.inject({ url: '/services/apply-for-a-blue-badge' });
    expect(user.body).toContain('href="/services/cityscape-notify"');
    expect(user.body).not.toContain('Services that use this platform');
    const cy = await t.app.inject({ url: '/services/cityscape-notify?lang=cy' });
    expect(cy.body).toContain('Hysbysu Cityscape');
    expect(cy.body).toContain('Gwasanaethau sy’n defnyddio’r platfform hwn');

    const api = await t.app.inject({ url: '/api/catalogue/v1/services/cityscape-pay' });
    expect(api.json().platform).toBe('payments');
  });
});

describe('API key use', () => {
  it('is counted per key per day and written in batches, adding up across flushes and concurrent calls', async () => {
    const cat = t.modules.catalogue.service;
    const { secret, key } = await cat.createApiKey(cli, { serviceSlug: 'apply-for-a-blue-badge', platform: 'pay', type: 'test' });
    const call = () => t.app.inject({ url: '/pay/v1/payments', headers: { authorization: `Bearer ${secret}` } });
    expect((await call()).statusCode).toBe(200);
    await cat.flushKeyUse();
    await Promise.all(Array.from({ length: 20 }, call));
    // A wrong key and another platform's use of the secret are not counted.
    await t.app.inject({ url: '/pay/v1/payments', headers: { authorization: 'Bearer api_test_nope' } });
    expect(await cat.verifyApiKey(secret, 'notify')).toBeNull();
    const blueBadge = (await cat.getService('apply-for-a-blue-badge')).id;
    // Two readers flushing at once count every call once.
    const [a, b] = await Promise.all([cat.keyUse(30), cat.keyUse(30)]);
    for (const use of [a, b]) expect(use.find((u) => u.service_id === blueBadge && u.platform === 'pay')?.calls).toBe(21);
    const months = await cat.keyUseByMonth(12);
    expect(months.find((m) => m.platform === 'pay')?.service_ids).toEqual([blueBadge]);
    const rows = await t.kernel.db.query<{ calls: string }>('SELECT calls::text FROM catalogue.api_key_usage WHERE key_id = $1', [key.id]);
    expect(rows.rows).toEqual([{ calls: '21' }]);
  });
});
