// Concurrent writes to the catalogue take turns or answer 409, never 500 (issue #10): twenty
// office-holder changes of one service at once, and twenty creations of one slug at once,
// through HTTP with real concurrency (on PostgreSQL each request has its own connection).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, cli, type TestApp } from './helpers.js';

let t: TestApp;
let admin: string;
const N = 20;
beforeAll(async () => {
  t = await buildTestApp();
  admin = (await t.modules.catalogue.service.createApiKey(cli, { serviceSlug: null, platform: 'catalogue', type: 'live' })).secret;
  await t.modules.catalogue.service.createOrganisation(cli, { slug: 'race-council', name: 'Race Council', kind: 'local_authority' } as any);
  await t.modules.catalogue.service.createService(cli, {
    slug: 'race-service',
    name: 'Race a thing',
    summary: 'A service raced for',
    phase: 'beta',
    organisation_slug: 'race-council',
  } as any);
});
afterAll(() => t?.close());

const call = (method: 'POST' | 'PUT', url: string, payload: unknown) =>
  t.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  });
const statuses = (rs: Array<{ statusCode: number }>) => rs.map((r) => r.statusCode).sort();

describe('concurrent catalogue writes', () => {
  it(`${N} concurrent office-holder changes of one service all succeed, one after another`, async () => {
    const rs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        call('PUT', '/api/catalogue/v1/services/race-service/office-holder', {
          name: `Holder ${i}`,
          role: 'Cabinet member',
          in_post_since: '2026-01-01',
        }),
      ),
    );
    expect(statuses(rs)).toEqual(Array(N).fill(200));
    const { rows } = await t.kernel.db.query<{ current: number; total: number }>(
      `SELECT count(*) FILTER (WHERE left_post IS NULL) AS current, count(*) AS total
         FROM catalogue.office_holders h JOIN catalogue.services s ON s.id = h.service_id WHERE s.slug = 'race-service'`,
    );
    expect(Number(rows[0].current)).toBe(1);
    expect(Number(rows[0].total)).toBe(N);
    const audit = await t.kernel.db.query<{ n: number }>(`SELECT count(*) AS n FROM kernel.audit_log WHERE action = 'office_holder.set'`);
    expect(Number(audit.rows[0].n)).toBe(N);
  });

  it(`${N} concurrent creations of one service slug: one 201, the rest 409 slug_taken`, async () => {
    const rs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        call('POST', '/api/catalogue/v1/services', {
          slug: 'one-slug',
          name: `Contender ${i}`,
          summary: 'Raced',
          phase: 'beta',
          organisation_slug: 'race-council',
        }),
      ),
    );
    expect(statuses(rs)).toEqual([201, ...Array(N - 1).fill(409)]);
    for (const r of rs.filter((x) => x.statusCode === 409)) expect(r.json()).toMatchObject({ status: 409, code: 'slug_taken' });
  });

  it(`${N} concurrent creations of one organisation slug: one 201, the rest 409 slug_taken`, async () => {
    const rs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        call('POST', '/api/catalogue/v1/organisations', { slug: 'one-org', name: `Contender ${i}`, kind: 'local_authority' }),
      ),
    );
    expect(statuses(rs)).toEqual([201, ...Array(N - 1).fill(409)]);
    for (const r of rs.filter((x) => x.statusCode === 409)) expect(r.json()).toMatchObject({ status: 409, code: 'slug_taken' });
  });

  it(`${N} concurrent creations of one team slug: one 201, the rest 409`, async () => {
    const rs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        call('POST', '/api/catalogue/v1/organisations/race-council/teams', { slug: 'one-team', name: `Team ${i}` }),
      ),
    );
    expect(statuses(rs)).toEqual([201, ...Array(N - 1).fill(409)]);
  });
});
