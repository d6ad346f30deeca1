// record / kpis / perKey / live through the real outbox and database: figures from other
// platforms' events, exactly-once ingestion, bad payloads skipped, tenants kept apart, monthly
// partitions (rows of unknown months moved out of the default partition), range edges.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers.js';
import { emit, perfFixture, waitFor } from './testing.js';
import type { LiveFigures } from './live.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
  await t.startWorkers();
});
afterAll(() => t?.close());

const hourAgo = () => new Date(Date.now() - 3600_000);
const soon = () => new Date(Date.now() + 60_000);

describe('KPIs from the platforms’ own events', () => {
  it('counts forms, satisfaction and payments for the service whose events they are, and no other', async () => {
    const a = await perfFixture(t);
    const b = await perfFixture(t);
    const id = a.service.id;
    await emit(t, [
      ...['k1', 'k2', 'k3', 'k4'].map((key) => ({ type: 'forms.started', payload: { service_id: id, form_id: 'f', key } })),
      ...['k1', 'k2', 'k3'].map((key) => ({
        type: 'forms.submission.created',
        payload: { service_id: id, form_id: 'f', version: 1, key },
      })),
      { type: 'payments.card_payment_succeeded', payload: { service_id: id, payment_id: 'p1', live: true, amount: 2500 } },
      { type: 'payments.card_payment_succeeded', payload: { service_id: id, payment_id: 'p2', live: false, amount: 999 } },
      { type: 'forms.started', payload: { service_id: b.service.id, form_id: 'g', key: 'x' } },
    ]);
    await t.modules.catalogue.service.submitFeedback(a.service.slug, { rating: 5 });
    await t.modules.catalogue.service.submitFeedback(a.service.slug, { rating: 4 });
    await t.kernel.events.drain();

    const k = await t.modules.performance.kpis(id, { from: hourAgo(), to: soon() });
    expect(k.starts).toBe(4);
    expect(k.transactions).toBe(3);
    expect(k.completionRate).toBeCloseTo(0.75);
    expect(k.userSatisfaction).toBeCloseTo(0.875); // (mean 4.5 − 1) / 4, as the catalogue shows it
    expect(k.costPerTransaction).toBeNull(); // no cost reported by the team
    expect(k.digitalTakeUp).toBeNull(); // no offline volumes reported
    expect(k.liveUsers).toBe(4); // four keyed people in the last five minutes

    const other = await t.modules.performance.kpis(b.service.id, { from: hourAgo(), to: soon() });
    expect(other).toMatchObject({ starts: 1, transactions: 0, userSatisfaction: null });

    // Payments only: live ones, with amounts (the test-key payment is not the service's users).
    const f = await t.modules.performance.service.figures([id], { from: hourAgo(), to: soon() });
    expect(f.get(id)!.volume('payments.card_payment_succeeded')).toEqual({ n: 1, total: 2500 });
  });

  it('a payments-only service takes starts and completions from payments', async () => {
    const { service } = await perfFixture(t);
    await emit(t, [
      ...[1, 2, 3, 4, 5].map((i) => ({
        type: 'payments.card_payment_started',
        payload: { service_id: service.id, payment_id: `s${i}`, live: true },
      })),
      ...[1, 2].map((i) => ({
        type: 'payments.card_payment_succeeded',
        payload: { service_id: service.id, payment_id: `s${i}`, live: true, amount: 100 },
      })),
    ]);
    await t.kernel.events.drain();
    const k = await t.modules.performance.kpis(service.id, { from: hourAgo(), to: soon() });
    expect(k).toMatchObject({ starts: 5, transactions: 2, completionRate: 0.4 });
  });

  it('skips events it cannot measure and carries on with the rest', async () => {
    const { service } = await perfFixture(t);
    await emit(t, [
      { type: 'forms.started', payload: { service_id: 'not-a-uuid', key: 'a' } },
      { type: 'forms.started', payload: { service_id: service.id, key: 'long-key-' + 'x'.repeat(1_000_000), value: 'x'.repeat(1000) } },
      { type: 'forms.started', payload: { service_id: service.id, value: 1e308 * 10, ms: { nested: true } } },
      { type: 'notify.notification.status', payload: { service_id: service.id, receipts: 'oops' } },
      {
        type: 'notify.notification.status',
        payload: {
          service_id: service.id,
          receipts: [
            { status: 'delivered', notification_type: 'email' },
            { status: 'permanent-failure', notification_type: 'sms' },
          ],
        },
      },
    ]);
    await t.kernel.events.drain();
    const k = await t.modules.performance.kpis(service.id, { from: hourAgo(), to: soon() });
    expect(k.starts).toBe(2);
    const f = (await t.modules.performance.service.figures([service.id], { from: hourAgo(), to: soon() })).get(service.id)!;
    expect(f.volume('notify.delivered').n).toBe(1);
    expect(f.volume('notify.failed').n).toBe(1);
    const keys = await t.modules.performance.perKey({ serviceId: service.id, metric: 'forms.started', from: hourAgo() });
    expect(keys.map((r) => r.key.length)).toEqual([200]);
    // NUL bytes and lone surrogates never reach the database through record().
    await t.modules.performance.record(null, {
      serviceId: service.id,
      type: 'custom.odd',
      key: 'a\u0000b\ud800',
      props: { '\u0000x': 'y\u0000' },
    });
    const odd = await t.modules.performance.perKey({ serviceId: service.id, metric: 'custom.odd', from: hourAgo() });
    expect(odd.map((r) => r.key)).toEqual(['ab\ufffd']);
  });
});

describe('record and perKey', () => {
  it('record(null) counts at once; record(tx) counts when the caller commits, and never if it rolls back', async () => {
    const { service } = await perfFixture(t);
    const id = service.id;
    await t.modules.performance.record(null, { serviceId: id, type: 'custom.document_uploaded', key: 'p1', value: 2 });
    await t.modules.performance.record(null, { serviceId: id, type: 'custom.document_uploaded', key: 'p1', value: 3 });
    await t.kernel.db.transaction((tx) => t.modules.performance.record(tx, { serviceId: id, type: 'custom.document_uploaded', key: 'p2' }));
    await t.kernel.db
      .transaction(async (tx) => {
        await t.modules.performance.record(tx, { serviceId: id, type: 'custom.document_uploaded', key: 'p3', value: 100 });
        throw new Error('caller rolled back');
      })
      .catch(() => {});
    await t.kernel.events.drain();
    const rows = await t.modules.performance.perKey({ serviceId: id, metric: 'custom.document_uploaded', from: hourAgo() });
    expect(rows.map((r) => [r.key, r.value])).toEqual([
      ['p1', 5],
      ['p2', 1], // no values: counted
    ]);
    const only = await t.modules.performance.perKey({
      serviceId: id,
      metric: 'custom.document_uploaded',
      from: hourAgo(),
      keys: ['p2', 'zz'],
    });
    expect(only.map((r) => r.key)).toEqual(['p2']);
  });

  it('completion, satisfaction, payment_success and time_to_complete per key', async () => {
    const { service } = await perfFixture(t);
    const id = service.id;
    const t0 = new Date(Date.now() - 10 * 60_000);
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    const rec = (type: string, key: string, s: number, value?: number) =>
      t.modules.performance.record(null, { serviceId: id, type, key, at: at(s), value });
    await rec('forms.started', 'a', 0);
    await rec('forms.started', 'b', 10);
    await rec('forms.submission.created', 'a', 95);
    await rec('satisfaction', 'a', 100, 2);
    await rec('satisfaction', 'a', 120, 5);
    await rec('payments.card_payment_succeeded', 'b', 60, 700);
    const p = t.modules.performance;
    expect(await p.perKey({ serviceId: id, metric: 'completion', from: t0 })).toEqual([{ key: 'a', value: 1, at: at(95).toISOString() }]);
    expect(await p.perKey({ serviceId: id, metric: 'satisfaction', from: t0 })).toEqual([
      { key: 'a', value: 5, at: at(120).toISOString() },
    ]);
    expect((await p.perKey({ serviceId: id, metric: 'payment_success', from: t0 })).map((r) => [r.key, r.value])).toEqual([['b', 1]]);
    expect((await p.perKey({ serviceId: id, metric: 'time_to_complete', from: t0 })).map((r) => [r.key, r.value])).toEqual([['a', 95]]);
    // Outside the range: nothing.
    expect(await p.perKey({ serviceId: id, metric: 'completion', from: at(96) })).toEqual([]);
  });

  it('rejects bad input with a clear error, never a database error', async () => {
    const p = t.modules.performance;
    const { service } = await perfFixture(t);
    await expect(p.record(null, { serviceId: 'x', type: 'custom.a' })).rejects.toThrow(/service id/);
    await expect(p.record(null, { serviceId: service.id, type: 'DROP TABLE' })).rejects.toThrow(/type/);
    await expect(p.record(null, { serviceId: service.id, type: 'custom.a', key: 'someone@example.com' })).rejects.toThrow(/email/);
    await expect(p.kpis(service.id, { from: new Date('nope'), to: new Date() })).rejects.toThrow(/range.from/);
    await expect(p.kpis('1; select', { from: new Date(), to: new Date() })).rejects.toThrow(/uuid/);
    await expect(p.perKey({ serviceId: service.id, metric: 'no such metric!', from: new Date() })).rejects.toThrow(/Unknown metric/);
    await expect(p.perKey({ serviceId: service.id, metric: 'completion', from: new Date(), keys: [1 as any] })).rejects.toThrow(/keys/);
  });
});

describe('storage', () => {
  it('ranges read rollups exactly to the minute, and to the hour beyond the minute rollups’ two days', async () => {
    const { service } = await perfFixture(t);
    const id = service.id;
    const base = new Date(Math.floor(Date.now() / 3600_000) * 3600_000 - 3 * 3600_000); // three hours ago, on the hour
    const at = (min: number) => new Date(base.getTime() + min * 60_000);
    for (const m of [5, 59, 60, 61, 125]) await t.modules.performance.record(null, { serviceId: id, type: 'forms.started', at: at(m) });
    const starts = async (a: number, b: number) => (await t.modules.performance.kpis(id, { from: at(a), to: at(b) })).starts;
    expect(await starts(0, 180)).toBe(5);
    expect(await starts(6, 60)).toBe(1);
    expect(await starts(59, 62)).toBe(3);
    expect(await starts(60, 125)).toBe(2);
    expect(await starts(61, 126)).toBe(2);
    // Four days ago, mid-hour: counted in its hour.
    const old = new Date(Math.floor(Date.now() / 3600_000) * 3600_000 - 96 * 3600_000 + 30 * 60_000);
    await t.modules.performance.record(null, { serviceId: id, type: 'forms.started', at: old });
    expect(
      (await t.modules.performance.kpis(id, { from: new Date(old.getTime() - 20 * 60_000), to: new Date(old.getTime() + 60_000) })).starts,
    ).toBe(1);
  });

  it('puts each month in its own partition, moving rows that arrived before their month existed', async () => {
    const { service } = await perfFixture(t);
    const id = service.id;
    // Through the outbox (no DDL inside the subscriber's transaction): lands in the default partition.
    await t.kernel.db.transaction((tx) =>
      t.modules.performance.record(tx, { serviceId: id, type: 'custom.backfill', at: new Date('2016-02-10T12:00:00Z'), value: 7 }),
    );
    await t.kernel.events.drain();
    const inDefault = await t.kernel.db.query<{ n: number }>('SELECT count(*)::int AS n FROM performance.measurements_default');
    expect(inDefault.rows[0].n).toBe(1);
    await t.modules.performance.partitions.maintain();
    expect(await t.modules.performance.partitions.list()).toContain('measurements_201602');
    const after = await t.kernel.db.query<{ n: number }>('SELECT count(*)::int AS n FROM performance.measurements_default');
    expect(after.rows[0].n).toBe(0);
    const rows = await t.modules.performance.perKey({
      serviceId: id,
      metric: 'custom.backfill',
      from: new Date('2016-01-01'),
      to: new Date('2016-03-01'),
    });
    expect(rows).toEqual([]); // no key: perKey lists keyed rows only
    const k = await t.kernel.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM performance.measurements_201602 WHERE service_id = $1',
      [id],
    );
    expect(k.rows[0].n).toBe(1);
    // Retention drops whole old months.
    expect(await t.modules.performance.partitions.dropOlderThan(25)).toContain('measurements_201602');
  });
});

describe('live', () => {
  it('pushes a service’s figures when its events are ingested, and only to its watchers', async () => {
    const a = await perfFixture(t);
    const b = await perfFixture(t);
    const seen: LiveFigures[] = [];
    const seenB: LiveFigures[] = [];
    const stop = t.modules.performance.live([a.service.id], (f) => seen.push(f));
    const stopB = t.modules.performance.live([b.service.id], (f) => seenB.push(f));
    await t.modules.performance.hub.ready();
    await waitFor(() => seen.length > 0 && seenB.length > 0, 'the first figures');
    expect(seen[0].figures.starts).toBe(0);
    const bCount = seenB.length;
    await emit(t, [{ type: 'forms.started', payload: { service_id: a.service.id, key: 'live-1' } }]);
    const f = await waitFor(() => seen.find((x) => x.figures.starts === 1), 'figures with the new start');
    expect(f).toMatchObject({ serviceId: a.service.id, figures: { liveUsers: 1 } });
    expect(seenB.length).toBe(bCount);
    stop();
    stopB();
  });

  it.skipIf(!process.env.DATABASE_URL)('reaches a watcher in another process through LISTEN/NOTIFY', async () => {
    const other = await buildTestApp({ databaseUrl: t.databaseUrl, workers: false });
    try {
      const { service } = await perfFixture(t);
      const seen: LiveFigures[] = [];
      const stop = other.modules.performance.live([service.id], (f) => seen.push(f));
      await other.modules.performance.hub.ready();
      await waitFor(() => seen.length > 0, 'the first figures');
      await emit(t, [{ type: 'forms.submission.created', payload: { service_id: service.id, key: 'x1' } }]);
      await waitFor(() => seen.find((x) => x.figures.transactions === 1), 'figures from the other process');
      stop();
    } finally {
      await other.close();
    }
  });
});
