// The group commit (batch.ts) on both databases: sends of several services that arrive together
// share one transaction, so a row the database refuses must fail only its own send. Here the
// database refuses rows that passed every check at the door (a constraint added for the test,
// and NUL bytes and lone surrogates sent by another module straight to the service), while
// another service's 200 concurrent sends must all be accepted and queued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { notifyAuth, notifyFixture } from './testing.js';

let t: TestApp;
let a: Awaited<ReturnType<typeof notifyFixture>>;
let b: Awaited<ReturnType<typeof notifyFixture>>;

beforeAll(async () => {
  t = await buildTestApp();
  a = await notifyFixture(t);
  b = await notifyFixture(t);
  await t.kernel.db.exec(
    `ALTER TABLE notify.notifications ADD CONSTRAINT refused_in_test CHECK (reference IS DISTINCT FROM 'refused-by-the-database')`,
  );
});
afterAll(async () => {
  await t?.close();
});

const send = (f: typeof a, reference: string) =>
  t.app.inject({
    method: 'POST',
    url: '/notify/v2/notifications/email',
    headers: { authorization: notifyAuth(f.keys.live), 'content-type': 'application/json' },
    payload: {
      template_id: f.templates.email.id,
      email_address: 'someone@example.com',
      personalisation: { name: 'Ada', reference, extra: 'no' },
      reference,
    },
  });

describe('group commit', () => {
  it('fails only the send whose row the database refuses; every other service’s concurrent send is accepted and queued', async () => {
    const internal = t.modules.notify.service;
    const results = await Promise.all([
      ...Array.from({ length: 200 }, (_, i) => send(b, `b-${i}`).then((r) => ({ who: 'b', status: r.statusCode, body: r.json() }))),
      ...Array.from({ length: 5 }, () =>
        send(a, 'refused-by-the-database').then((r) => ({ who: 'a', status: r.statusCode, body: r.json() })),
      ),
      ...['nul \u0000 byte', 'lone \ud800 surrogate'].map((personal) =>
        internal
          .sendLetter(a.service.id, {
            templateId: a.templates.letter.id,
            personalisation: {
              name: personal,
              permit: 'P-1',
              address_line_1: personal,
              address_line_2: '1 High Street',
              postcode: 'SW1A 1AA',
            },
          })
          .then(
            () => ({ who: 'a-internal', status: 201, body: null }),
            () => ({ who: 'a-internal', status: 0, body: null }),
          ),
      ),
    ]);
    const bs = results.filter((r) => r.who === 'b');
    expect(
      bs.map((r) => r.status),
      JSON.stringify(bs.find((r) => r.status !== 201)?.body),
    ).toEqual(bs.map(() => 201));
    expect(results.filter((r) => r.who === 'a').map((r) => r.status)).toEqual([500, 500, 500, 500, 500]);
    expect(results.filter((r) => r.who === 'a-internal').map((r) => r.status)).toEqual([0, 0]);

    const { rows } = await t.kernel.db.query<{ service_id: string; n: number; queued: number }>(
      `SELECT n.service_id, count(*)::int AS n, count(j.id)::int AS queued
         FROM notify.notifications n LEFT JOIN pgboss.job j ON j.name = 'notify.deliver' AND j.data->>'id' = n.id::text
        GROUP BY n.service_id`,
    );
    expect(rows).toEqual([{ service_id: b.service.id, n: 200, queued: 200 }]);
    const ids = new Set(bs.map((r) => r.body.id));
    expect(ids.size).toBe(200);
  });
});
