// Webhooks end to end: a real HTTP receiver started by the test checks each delivery's
// Pay-Signature, fails the first one so it is retried with backoff, and sees only the event
// types subscribed to; events committed while no worker runs are delivered once one starts —
// after a restart, from a database on disk (PGlite) or PostgreSQL.
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type BuiltApp } from '../../app.js';
import { testConfig } from '../../config.js';
import { buildTestApp, freshPostgres, type TestApp } from '../../../test/helpers.js';
import { newPayment, payClient, payContract, payFixture, until } from './testing.js';
import { SANDBOX_CARDS } from './gateways/sandbox.js';

interface Delivery {
  body: string;
  signature: string;
  json: any;
}

/** A callback endpoint: records deliveries; answers 500 to the first `failFirst` of them. */
async function receiver(failFirst = 0) {
  const got: Delivery[] = [];
  let seen = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen += 1;
      if (seen <= failFirst) {
        res.statusCode = 500;
        res.end('not yet');
        return;
      }
      got.push({ body, signature: String(req.headers['pay-signature']), json: JSON.parse(body) });
      res.statusCode = 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    got,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
    seen: () => seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const contract = payContract();
// Delivery waits for the kernel outbox, which on a PostgreSQL shared with other busy databases can
// hold events back while their transactions run: generous upper bounds, no timing assertions.
const WAIT = 150_000;
const LONG = { timeout: 240_000 };
const sign = (secret: string, body: string) => createHmac('sha256', secret).update(body, 'utf8').digest('hex');
const ALL = [
  'card_payment_started',
  'card_payment_succeeded',
  'card_payment_captured',
  'card_payment_refunded',
  'card_payment_failed',
  'card_payment_expired',
];

async function payByPhone(app: Pick<BuiltApp, 'app'>, key: string, card: string = SANDBOX_CARDS.success) {
  const api = payClient(app, key);
  const p = (await api.post('/v1/payments', newPayment({ authorisation_mode: 'moto_api', return_url: undefined, amount: 2000 }))).json();
  const r = await app.app.inject({
    method: 'POST',
    url: '/pay/v1/auth',
    headers: { 'content-type': 'application/json' },
    payload: {
      one_time_token: p._links.auth_url_post.params.one_time_token,
      card_number: card,
      cvc: '123',
      expiry_date: '12/39',
      cardholder_name: 'J Citizen',
    },
  });
  return { id: p.payment_id as string, status: r.statusCode };
}

describe('webhooks', () => {
  let t: TestApp;
  let hook: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    t = await buildTestApp();
    hook = await receiver(1);
    await t.startWorkers();
  });
  afterAll(async () => {
    await t?.close();
    await hook?.close();
  });

  it('delivers signed messages for subscribed events, retrying until a 2xx', LONG, async () => {
    const f = await payFixture(t);
    const { webhooks } = t.modules.payments.service;
    const all = await webhooks.create(
      f.service.id,
      false,
      { callbackUrl: hook.url, description: 'Everything', subscriptions: ALL },
      'test',
    );
    const captured = await receiver();
    const some = await webhooks.create(
      f.service.id,
      false,
      { callbackUrl: captured.url, description: 'Captured only', subscriptions: ['card_payment_captured'] },
      'test',
    );
    const secret = webhooks.secretOf(all);
    expect(secret).toMatch(/^webhook_test_/);

    const paid = await payByPhone(t, f.keys.test);
    expect(paid.status).toBe(204);
    const refund = (await payClient(t, f.keys.test).post(`/v1/payments/${paid.id}/refunds`, { amount: 500 })).json();
    const declined = await payByPhone(t, f.keys.test, SANDBOX_CARDS.declined);

    const types = () => hook.got.map((d) => `${d.json.event_type}:${d.json.resource_id}`).sort();
    const want = [
      `card_payment_started:${paid.id}`,
      `card_payment_succeeded:${paid.id}`,
      `card_payment_captured:${paid.id}`,
      `card_payment_refunded:${refund.refund_id}`,
      `card_payment_started:${declined.id}`,
      `card_payment_failed:${declined.id}`,
    ].sort();
    expect(await until(() => types().length >= want.length, WAIT)).toBe(true);
    expect(types()).toEqual(want);
    for (const d of hook.got) {
      expect(d.signature).toBe(sign(secret, d.body));
      expect(d.signature).toMatch(/^[0-9a-f]{64}$/);
      expect(d.json).toMatchObject({ api_version: 1, resource_type: d.json.event_type === 'card_payment_refunded' ? 'refund' : 'payment' });
      expect(d.json.webhook_message_id).toMatch(/^[0-9a-v]{26}$/);
      expect(d.json.created_date).toMatch(/Z$/);
      expect(contract.checkSchema('PaymentDetailForSearch', d.json.resource)).toBeNull();
    }
    const refunded = hook.got.find((d) => d.json.event_type === 'card_payment_refunded')!;
    expect(refunded.json.resource).toMatchObject({ payment_id: paid.id, refund_summary: { amount_submitted: 500 } });

    // The first delivery was refused and retried; the log shows both attempts.
    expect(hook.seen()).toBe(want.length + 1);
    const log = await webhooks.messages(all.id);
    expect(log).toHaveLength(want.length);
    expect(await until(async () => (await webhooks.messages(all.id)).every((m) => m.status === 'successful'), WAIT)).toBe(true);
    const retried = (await webhooks.messages(all.id)).find((m) => m.attempts === 2)!;
    expect(retried).toBeDefined();
    expect((await webhooks.attempts(retried.id)).map((a) => a.status_code)).toEqual([500, 200]);

    // The captured-only webhook got only that.
    expect(await until(() => captured.got.length >= 1, WAIT)).toBe(true);
    expect(captured.got.map((d) => d.json.event_type)).toEqual(['card_payment_captured']);
    expect(captured.got[0].signature).toBe(sign(webhooks.secretOf(some), captured.got[0].body));
    await captured.close();

    // A deactivated webhook sends nothing more.
    await webhooks.setStatus(all.id, 'inactive');
    const before = hook.got.length;
    await payByPhone(t, f.keys.test);
    await t.kernel.events.drain();
    await new Promise((r) => setTimeout(r, 1500));
    expect(hook.got.length).toBe(before);
  });

  it('refuses callback URLs that are not https for live webhooks, and unknown event types', async () => {
    const f = await payFixture(t);
    const { webhooks } = t.modules.payments.service;
    await expect(
      webhooks.create(f.service.id, true, { callbackUrl: 'http://example.org/x', description: '', subscriptions: ALL }, 'test'),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      webhooks.create(
        f.service.id,
        false,
        { callbackUrl: 'https://example.org/x', description: '', subscriptions: ['card_payment_exploded'] },
        'test',
      ),
    ).rejects.toMatchObject({ status: 400 });
  });
});

describe('webhooks across a restart', () => {
  it('delivers events committed while no worker ran, once, after the process starts again', LONG, async () => {
    const hook = await receiver();
    const dir = mkdtempSync(join(tmpdir(), 'cityscape-pay-'));
    const pg = process.env.DATABASE_URL ? await freshPostgres(process.env.DATABASE_URL) : undefined;
    const config = testConfig({ databaseUrl: pg?.url, dataDir: dir });
    let second: BuiltApp | undefined;
    try {
      const first = await buildApp({ config });
      const f = await payFixture(first);
      await first.modules.payments.service.webhooks.create(
        f.service.id,
        false,
        { callbackUrl: hook.url, description: '', subscriptions: ['card_payment_succeeded', 'card_payment_captured'] },
        'test',
      );
      const paid = await payByPhone(first, f.keys.test);
      expect(paid.status).toBe(204);
      await first.close(); // the events are in the outbox; nothing was delivered

      expect(hook.got).toHaveLength(0);
      second = await buildApp({ config });
      await second.startWorkers();
      expect(await until(() => hook.got.length >= 2, WAIT)).toBe(true);
      await new Promise((r) => setTimeout(r, 1000));
      expect(hook.got.map((d) => d.json.event_type).sort()).toEqual(['card_payment_captured', 'card_payment_succeeded']);
      expect(hook.got.every((d) => d.json.resource_id === paid.id)).toBe(true);
    } finally {
      await second?.close();
      await pg?.drop();
      rmSync(dir, { recursive: true, force: true });
      await hook.close();
    }
  });
});
