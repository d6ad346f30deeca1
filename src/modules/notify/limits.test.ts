// Daily limits on both databases: exact under concurrent sends in one app, and across two app
// instances (each with its own memory) on one database, as several processes share PostgreSQL.
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type BuiltApp } from '../../app.js';
import { testConfig } from '../../config.js';
import { openDb } from '../../kernel/db.js';
import { freshPostgres } from '../../../test/helpers.js';
import { notifyAuth, notifyFixture } from './testing.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** `n` app instances on one new database: PostgreSQL when DATABASE_URL is set, else one PGlite. */
async function instances(n: number): Promise<BuiltApp[]> {
  const where: { url?: string; db?: Awaited<ReturnType<typeof openDb>> } = {};
  if (process.env.DATABASE_URL) {
    const fresh = await freshPostgres(process.env.DATABASE_URL);
    cleanups.push(fresh.drop);
    where.url = fresh.url;
  } else {
    where.db = await openDb(undefined, 'memory://');
    cleanups.push(() => where.db!.close());
  }
  const apps: BuiltApp[] = [];
  for (let i = 0; i < n; i++) {
    const built = await buildApp({ config: testConfig({ databaseUrl: where.url }), db: where.db });
    await built.app.ready();
    cleanups.push(() => built.close());
    apps.push(built);
  }
  return apps;
}

const sendEmail = (app: BuiltApp, f: Awaited<ReturnType<typeof notifyFixture>>, key = f.keys.live) =>
  app.app.inject({
    method: 'POST',
    url: '/notify/v2/notifications/email',
    headers: { authorization: notifyAuth(key), 'content-type': 'application/json' },
    payload: {
      template_id: f.templates.email.id,
      email_address: 'someone@example.com',
      personalisation: { name: 'Ada', reference: 'R', extra: 'no' },
    },
  });

async function accepted(app: BuiltApp, serviceId: string): Promise<number> {
  const { rows } = await app.kernel.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM notify.notifications WHERE service_id = $1 AND key_type <> 'test'`,
    [serviceId],
  );
  return rows[0].n;
}

describe('daily limits', () => {
  it('accept exactly the sends left today when 100 arrive at once', async () => {
    const [app] = await instances(1);
    const f = await notifyFixture(app);
    const svc = app.modules.notify.service;
    await svc.saveSettings(f.service.id, { ...(await svc.settings(f.service.id)).settings, email_limit: 20 });

    const results = await Promise.all(Array.from({ length: 100 }, () => sendEmail(app, f)));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(20);
    const refused = results.filter((r) => r.statusCode !== 201);
    expect(refused).toHaveLength(80);
    for (const r of refused)
      expect(r.json()).toEqual({
        status_code: 429,
        errors: [{ error: 'TooManyRequestsError', message: 'Exceeded send limits (email: 20) for today' }],
      });
    expect(await accepted(app, f.service.id)).toBe(20);
    // Test keys are still not counted; raising the limit lets sends through again at once.
    expect((await sendEmail(app, f, f.keys.test)).statusCode).toBe(201);
    await svc.saveSettings(f.service.id, { ...(await svc.settings(f.service.id)).settings, email_limit: 21 });
    expect((await sendEmail(app, f)).statusCode).toBe(201);
    expect((await sendEmail(app, f)).statusCode).toBe(429);
  });

  it('hold exactly across two app instances sharing one database', async () => {
    const [one, two] = await instances(2);
    const f = await notifyFixture(one);
    const svc = one.modules.notify.service;
    await svc.saveSettings(f.service.id, { ...(await svc.settings(f.service.id)).settings, email_limit: 30 });
    const results = await Promise.all(Array.from({ length: 80 }, (_, i) => sendEmail(i % 2 ? one : two, f).then((r) => r.statusCode)));
    expect(results.filter((s) => s === 201)).toHaveLength(30);
    expect(results.filter((s) => s === 429)).toHaveLength(50);
    expect(await accepted(one, f.service.id)).toBe(30);
  });
});
