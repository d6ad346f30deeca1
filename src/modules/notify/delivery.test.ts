// Delivery through a real SMTP server started here: bounces (5xx → permanent-failure), a 4xx
// retried with backoff, delivery receipts to a service's callback URL retried until 2xx, and
// the process stopping mid-delivery: after a restart on the same database every notification
// is delivered or failed, none lost, none sent twice.
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp, type BuiltApp } from '../../app.js';
import { testConfig, type Config } from '../../config.js';
import { openDb, type Db } from '../../kernel/db.js';
import { freshPostgres } from '../../../test/helpers.js';
import { notifyFixture, smtpSink, until } from './testing.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A database that outlives one app: in-memory PGlite, or a fresh PostgreSQL database. */
async function sharedDb(): Promise<{ db?: Db; url?: string }> {
  if (process.env.DATABASE_URL) {
    const fresh = await freshPostgres(process.env.DATABASE_URL);
    cleanups.push(fresh.drop);
    return { url: fresh.url };
  }
  const db = await openDb(undefined, 'memory://');
  cleanups.push(() => db.close());
  return { db };
}

async function start(where: { db?: Db; url?: string }, overrides: Partial<Config>): Promise<BuiltApp> {
  const config = testConfig({ databaseUrl: where.url, ...overrides });
  const built = await buildApp({ config, db: where.db });
  await built.app.ready();
  await built.startWorkers();
  return built;
}

const notifyConfig = (o: Partial<Config['notify']> = {}) => ({
  ...testConfig().notify,
  leaseSeconds: 2,
  recoverAfterSeconds: 2,
  retryBaseSeconds: 1,
  ...o,
});
const statusOf = async (built: BuiltApp, serviceId: string, id: string) =>
  (await built.modules.notify.service.notification(serviceId, id)).status;

describe('email delivery over SMTP', () => {
  it('marks a 5xx bounce permanent-failure, retries a 4xx with backoff, and gives up after the last attempt', async () => {
    const seen = new Map<string, number>();
    const sink = await smtpSink({
      answer: (to) => {
        const n = (seen.get(to) ?? 0) + 1;
        seen.set(to, n);
        if (to.startsWith('bounce')) return 550;
        if (to.startsWith('busy')) return n === 1 ? 451 : 'ok';
        if (to.startsWith('full')) return 452;
        return 'ok';
      },
    });
    cleanups.push(sink.close);
    const built = await start(await sharedDb(), { smtpUrl: sink.url, notify: notifyConfig({ maxAttempts: 2 }) });
    cleanups.push(built.close);
    const fx = await notifyFixture(built);
    const svc = built.modules.notify.service;
    const send = (to: string) =>
      svc.sendEmail(fx.service.id, { templateId: fx.templates.email.id, to, personalisation: { name: 'A', reference: 'R', extra: 'no' } });
    const bounce = await send('bounce@example.com');
    const busy = await send('busy@example.com');
    const full = await send('full@example.com');

    expect(await until(async () => (await statusOf(built, fx.service.id, bounce.id)) === 'permanent-failure')).toBe(true);
    expect(await until(async () => (await statusOf(built, fx.service.id, busy.id)) === 'delivered')).toBe(true);
    expect(await until(async () => (await statusOf(built, fx.service.id, full.id)) === 'temporary-failure')).toBe(true);
    const busyRow = await svc.notification(fx.service.id, busy.id);
    expect(busyRow.attempts).toBe(2);
    expect(sink.received.filter((m) => m.to[0] === 'busy@example.com')).toHaveLength(1);
    expect(sink.received.some((m) => m.to[0] === 'bounce@example.com')).toBe(false);
    expect((await svc.notification(fx.service.id, bounce.id)).provider_response).toContain('550');
    expect(seen.get('full@example.com')).toBe(2);
  });

  it('posts delivery receipts to the service’s callback URL with its bearer token until it answers 2xx', async () => {
    const calls: Array<{ auth: string | undefined; body: any }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        calls.push({ auth: req.headers.authorization, body: JSON.parse(body) });
        res.writeHead(calls.length === 1 ? 500 : 200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const built = await start(await sharedDb(), { notify: notifyConfig() });
    cleanups.push(built.close);
    const fx = await notifyFixture(built);
    const svc = built.modules.notify.service;
    await svc.callbacks.save(
      fx.service.id,
      'delivery_status',
      `http://127.0.0.1:${(server.address() as AddressInfo).port}/receipts`,
      'callback-token-1234567890',
    );
    const sent = await svc.sendSms(fx.service.id, {
      templateId: fx.templates.sms.id,
      to: '07700900123',
      personalisation: { code: '1' },
      reference: 'cb-ref',
    });
    await until(() => calls.length >= 2, 100);
    expect(calls[1].auth).toBe('Bearer callback-token-1234567890');
    expect(calls[1].body).toMatchObject({
      id: sent.id,
      reference: 'cb-ref',
      to: '07700900123',
      status: 'delivered',
      notification_type: 'sms',
      template_id: fx.templates.sms.id,
      template_version: 1,
    });
    expect(calls[1].body.created_at).toMatch(/Z$/);
    expect(calls[1].body.completed_at).toMatch(/Z$/);
    expect(calls[0].body).toEqual(calls[1].body);
  });
});

describe('stopping mid-delivery', () => {
  it('after a restart on the same database, delivers or fails every notification; none lost, none sent twice', async () => {
    let stall = true;
    const sink = await smtpSink({ answer: (to) => (stall && to.startsWith('slow') ? 'stall' : 'ok') });
    cleanups.push(sink.close);
    const where = await sharedDb();
    const overrides = { smtpUrl: sink.url, notify: notifyConfig({ concurrency: 2 }) };
    const first = await start(where, overrides);
    let firstClosed = false;
    cleanups.push(async () => {
      if (!firstClosed) await first.close();
    });
    const fx = await notifyFixture(first);
    const send = (to: string) =>
      first.modules.notify.service.sendEmail(fx.service.id, {
        templateId: fx.templates.email.id,
        to,
        personalisation: { name: 'A', reference: 'R', extra: 'no' },
      });
    const ids: string[] = [];
    for (const to of ['slow-1@example.com', 'slow-2@example.com']) ids.push((await send(to)).id);
    for (let i = 0; i < 8; i++) ids.push((await send(`fast-${i}@example.com`)).id);

    // Both delivery slots are now waiting on a relay that took the message and never answered.
    await until(() => sink.stalled.length >= 1);
    await first.close();
    firstClosed = true;
    stall = false;

    const second = await start(where, overrides);
    cleanups.push(second.close);
    const finals = ['delivered', 'technical-failure', 'permanent-failure', 'temporary-failure'];
    const rows = (await until(async () => {
      const all = await Promise.all(ids.map((id) => second.modules.notify.service.notification(fx.service.id, id)));
      return all.every((n) => finals.includes(n.status)) ? all : null;
    }, 200))!;

    const handedOver = (id: string) => [...sink.received, ...sink.stalled].filter((m) => m.raw.includes(`Message-ID: <${id}@`)).length;
    for (const n of rows) {
      expect(handedOver(n.id), `${n.recipient} handed to the relay once at most`).toBeLessThanOrEqual(1);
      if (n.status === 'delivered') expect(sink.received.filter((m) => m.raw.includes(n.id))).toHaveLength(1);
    }
    for (const m of sink.stalled) {
      const id = /Message-ID: <([0-9a-f-]{36})@/.exec(m.raw)![1];
      expect(rows.find((n) => n.id === id)!.status, 'an unanswered hand-over is failed, not sent again').toBe('technical-failure');
    }
    expect(rows.filter((n) => n.recipient!.startsWith('fast')).every((n) => n.status === 'delivered')).toBe(true);
  });
});
