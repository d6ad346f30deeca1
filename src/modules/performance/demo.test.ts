// The demo history: only the demo organisations' services get any, once, and the panel's
// satisfaction then agrees with the catalogue's own seeded survey answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { perfFixture } from './testing.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ seed: true });
});
afterAll(() => t?.close());

describe('demo history', () => {
  it('fills the demo services once, leaves real ones empty, and agrees with the catalogue’s satisfaction', async () => {
    const real = await perfFixture(t);
    expect(await t.modules.performance.seedDemo!()).toBe(true);
    expect(await t.modules.performance.seedDemo!()).toBe(false);
    const badge = await t.modules.catalogue.service.getService('apply-for-a-blue-badge');
    const month = { from: new Date(Date.now() - 30 * 86_400_000), to: new Date() };
    const k = await t.modules.performance.kpis(badge.id, month);
    expect(k.transactions).toBeGreaterThan(0);
    expect(k.costPerTransaction).not.toBeNull();
    expect(k.digitalTakeUp).toBeGreaterThan(0);
    const survey = await t.modules.catalogue.service.satisfaction(badge.id, 30);
    if (survey.score !== null) expect(k.userSatisfaction).toBeCloseTo(survey.score, 1);
    expect((await t.modules.performance.kpis(real.service.id, month)).transactions).toBe(0);
    // Every month it touched has its own partition: nothing left in the default one.
    const stray = await t.kernel.db.query<{ n: number }>('SELECT count(*)::int AS n FROM performance.measurements_default');
    expect(stray.rows[0].n).toBe(0);
  });
});
