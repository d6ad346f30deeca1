// Pairwise subjects turned back into accounts (for the exchange's Exchange-Subject: pairwise:…):
// a remembered sub, one issued before subs were kept (found by recomputing, then remembered),
// another service's sub, and made-up or malformed ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { pairwiseSubject } from './provider.js';

let built: TestApp;
beforeAll(async () => {
  built = await buildTestApp({ seed: true });
});
afterAll(async () => built?.close());

describe('identity.resolveSubject', () => {
  it('finds the account behind a service’s sub, remembers it, and never answers for another service', async () => {
    const identity = built.modules.identity;
    const a = await identity.accounts.createAccount(`pw.${randomUUID().slice(0, 8)}@example.org`, 'correct horse 42 battery');
    const b = await identity.accounts.createAccount(`pw.${randomUUID().slice(0, 8)}@example.org`, 'correct horse 42 battery');
    const svc = (await built.modules.catalogue.service.getService('apply-for-a-blue-badge')).id;
    const other = (await built.modules.catalogue.service.getService('pay-a-parking-fine')).id;
    const subA = pairwiseSubject(built.kernel.config, svc, a.id);
    const subB = pairwiseSubject(built.kernel.config, svc, b.id);

    // Issued before subs were kept: found by recomputing, then kept.
    const kept = (sub: string) => built.kernel.db.query('SELECT account_id::text FROM identity.pairwise_subjects WHERE sub = $1', [sub]);
    expect((await kept(subA)).rows).toHaveLength(0);
    expect(await identity.resolveSubject(svc, subA)).toBe(a.id);
    expect((await kept(subA)).rows).toEqual([{ account_id: a.id }]);
    expect(await identity.resolveSubject(svc, subA)).toBe(a.id);
    expect(await identity.resolveSubject(svc, subB)).toBe(b.id);

    // A sub is one service's: another service sending it learns nothing.
    expect(await identity.resolveSubject(other, subA)).toBeNull();
    expect(await identity.resolveSubject(other, pairwiseSubject(built.kernel.config, other, a.id))).toBe(a.id);

    // Made up, malformed, or not a service at all.
    expect(await identity.resolveSubject(svc, 'A'.repeat(43))).toBeNull();
    for (const bad of ['', 'short', "x'; DROP TABLE identity.accounts; --", '\u0000'.repeat(43), 'A'.repeat(5000)])
      expect(await identity.resolveSubject(svc, bad)).toBeNull();
    expect(await identity.resolveSubject('not-a-uuid', subA)).toBeNull();
    expect(await identity.resolveSubject(svc, undefined as unknown as string)).toBeNull();
  });
});
